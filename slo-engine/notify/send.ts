// The thin sender: one POST with a timeout. Retrying is the outbox's job (outbox.ts, deliverer.ts):
// across ticks and restarts, with backoff and Retry-After, so a slow or failing receiver never holds
// up anything else. URLs and keys never reach an error text.

export interface AttemptOptions {
  /** Per-attempt timeout (default 10 s): connecting, sending and reading the answer. */
  timeoutMs?: number;
}

export interface AttemptResult {
  ok: boolean;
  /** HTTP status; 0 without an answer (timeout, network error). */
  status: number;
  error: string;
  /** The receiver's Retry-After, when it sent one. */
  retryAfterMs?: number;
  /** A 4xx other than 408/429: sending the same again will fail the same way. */
  permanent: boolean;
}

/** Retry-After in ms: seconds or an HTTP date; undefined when absent or unparsable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export const isRetryable = (status: number) => status === 408 || status === 429 || status >= 500;

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ? `network error ${cause.code}` : 'network error';
  }
  return 'network error';
}

export async function postOnce(url: string, body: string, headers: Record<string, string>, options: AttemptOptions = {}): Promise<AttemptResult> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'burnrate-slo-engine', ...headers },
      body,
      signal,
    });
    const text = (await res.text()).slice(0, 200);
    if (res.ok) return { ok: true, status: res.status, error: '', permanent: false };
    const after = retryAfterMs(res.headers.get('retry-after'));
    return {
      ok: false,
      status: res.status,
      error: `HTTP ${res.status}${text ? ': ' + text.replace(/\s+/g, ' ') : ''}`,
      permanent: !isRetryable(res.status),
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    };
  } catch (err) {
    return { ok: false, status: 0, error: describe(err), permanent: false };
  }
}
