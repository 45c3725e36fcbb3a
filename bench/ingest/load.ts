// The load client: `concurrency` workers POST pre-serialized payloads over keep-alive connections.
// Payloads are serialized before the clock starts, so the client costs little CPU while measuring.
import { Agent, request } from 'node:http';
import { stampTraceIds, type Payload } from './payloads.ts';

export interface DriveOptions {
  url: string;
  contentType: 'application/x-protobuf' | 'application/json';
  concurrency: number;
  /** Stop after this many items have been acknowledged (payloads are cycled). */
  items: number;
  /** Make every send's trace ids unique (protobuf traces only); the stamp is the send number. */
  stamp?: boolean;
  /** 429 / 503 answers: wait min(Retry-After, cap) then send the same payload again. */
  maxRetryAfterMs?: number;
  /** Give up on a request after this long and send it again, as exporters do (default: never). */
  timeoutMs?: number;
  /** Called after each acknowledged request (the backpressure phase paces itself with it). */
  onAck?: (acked: number) => void;
}

export interface DriveResult {
  requests: number;
  acked: number;
  /** Answers by status code (or error name). */
  statuses: Record<string, number>;
  /** 429/503 answers carrying a Retry-After header. */
  retryAfterAnswers: number;
  /** Latency of each 200 answer, ms. */
  latenciesMs: number[];
  startedAt: number;
  lastAckAt: number;
  /** Acknowledged stamp → items in that payload (stamped runs). */
  ackedStamps: Map<number, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function post(agent: Agent, url: URL, contentType: string, body: Uint8Array, timeoutMs: number | undefined): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, signal: timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined, method: 'POST', hostname: url.hostname, port: url.port, path: url.pathname, headers: { 'Content-Type': contentType, 'Content-Length': body.byteLength } },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let stampSeq = 1;

export async function drive(payloads: Payload[], options: DriveOptions): Promise<DriveResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const result: DriveResult = {
    requests: 0,
    acked: 0,
    statuses: {},
    retryAfterAnswers: 0,
    latenciesMs: [],
    startedAt: performance.now(),
    lastAckAt: 0,
    ackedStamps: new Map(),
  };
  const count = (key: string) => (result.statuses[key] = (result.statuses[key] ?? 0) + 1);
  let next = 0;
  let claimed = 0;
  const worker = async () => {
    while (claimed < options.items) {
      const payload = payloads[next++ % payloads.length]!;
      claimed += payload.items;
      const stamp = options.stamp ? stampSeq++ : 0;
      const body = options.stamp ? stampTraceIds(payload, stamp) : payload.body;
      for (;;) {
        const t0 = performance.now();
        result.requests++;
        try {
          const { status, retryAfter } = await post(agent, url, options.contentType, body, options.timeoutMs);
          count(String(status));
          if (status === 200) {
            const t1 = performance.now();
            result.latenciesMs.push(t1 - t0);
            result.acked += payload.items;
            result.lastAckAt = t1;
            if (stamp) result.ackedStamps.set(stamp, payload.items);
            options.onAck?.(result.acked);
            break;
          }
          if (status !== 429 && status !== 503) break;
          if (retryAfter !== undefined) result.retryAfterAnswers++;
          await sleep(Math.min(Number(retryAfter ?? 1) * 1000, options.maxRetryAfterMs ?? 1000));
        } catch (err) {
          const name = (err as Error).name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR' ? 'timeout' : `error:${(err as { code?: string }).code ?? (err as Error).name}`;
          count(name);
          await sleep(100);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
