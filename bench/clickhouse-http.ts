// Raw ClickHouse HTTP for the benchmarks: a statement (and an optional body) in, the server's bytes
// out, settings in the URL. The benchmarks time exactly this round trip, and they need binary bodies
// both ways (Native), which the project's client does not hand out.
import { Agent, request } from 'node:http';

// No keep-alive: a server closes idle connections after a few seconds, and a request sent on one
// as it closes fails (EPIPE); a fresh loopback connection per statement costs far less than we measure.
const agent = new Agent({ keepAlive: false, maxSockets: 8 });

export interface HttpQuery {
  url: string;
  database: string;
  /** Settings for this statement only (URL parameters). */
  settings?: Record<string, string | number>;
}

/**
 * POSTs `statement` with `body` as its data (an INSERT ... FORMAT X) or, without a body, as the
 * request body itself. Resolves with the response bytes; rejects with the server's error text.
 */
export function postQuery(target: HttpQuery, statement: string, body?: Buffer): Promise<Buffer> {
  const params = new URLSearchParams({ database: target.database });
  for (const [k, v] of Object.entries(target.settings ?? {})) params.set(k, String(v));
  if (body) params.set('query', statement);
  const payload = body ?? Buffer.from(statement);
  return new Promise((resolve, reject) => {
    const req = request(`${target.url}/?${params}`, { method: 'POST', agent, headers: { 'Content-Length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const out = Buffer.concat(chunks);
        if (res.statusCode === 200) resolve(out);
        else reject(new Error(`ClickHouse ${res.statusCode}: ${out.toString('utf8').slice(0, 500)}\n  in: ${statement.slice(0, 300)}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Rows of a SELECT as objects (JSONEachRow). */
export async function selectRows<T = Record<string, unknown>>(target: HttpQuery, statement: string): Promise<T[]> {
  const text = (await postQuery(target, `${statement} FORMAT JSONEachRow`)).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}

export function closeHttp(): void {
  agent.destroy();
}
