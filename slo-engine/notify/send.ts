// The thin sender: POST with a timeout per attempt, retries with exponential backoff on 429/5xx and
// network errors (honouring Retry-After), never on other 4xx. URLs and keys never reach an error text.

export interface SendOptions {
  maxAttempts?: number;
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryResult {
  ok: boolean;
  status: number;
  attempts: number;
  error: string;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Retry-After in ms: seconds or an HTTP date; undefined when absent or unparsable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export const isRetryable = (status: number) => status === 429 || status >= 500;

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ? `network error ${cause.code}` : 'network error';
  }
  return 'network error';
}

export async function postJson(url: string, body: string, headers: Record<string, string>, options: SendOptions = {}): Promise<DeliveryResult> {
  const maxAttempts = options.maxAttempts ?? 4;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  let last: DeliveryResult = { ok: false, status: 0, attempts: 0, error: '' };
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let wait = Math.min(maxDelay, base * 2 ** (attempt - 1));
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'burnrate-slo-engine', ...headers },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = (await res.text().catch(() => '')).slice(0, 200);
      if (res.ok) return { ok: true, status: res.status, attempts: attempt, error: '' };
      last = { ok: false, status: res.status, attempts: attempt, error: `HTTP ${res.status}${text ? ': ' + text.replace(/\s+/g, ' ') : ''}` };
      if (!isRetryable(res.status)) return last;
      const after = retryAfterMs(res.headers.get('retry-after'));
      if (after !== undefined) wait = Math.min(maxDelay, after);
    } catch (err) {
      last = { ok: false, status: 0, attempts: attempt, error: describe(err) };
    }
    if (attempt < maxAttempts) await sleep(wait);
  }
  return last;
}
