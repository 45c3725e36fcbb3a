import { classifyClickhouseError, type ErrorClass } from '../../storage/errors.ts';

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up after this long in total (keep it under typical exporter timeouts of 10 s). */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 2_000, maxElapsedMs: 8_000 };

export type RetryOutcome = { ok: true } | { ok: false; errorClass: ErrorClass; error: unknown; attempts: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds, fails with a data error (retrying the same rows cannot help),
 * or the time budget is spent. Transient and environmental failures are both retried: a password
 * change or a recreated table may be over in a second. Exponential backoff with full jitter, as
 * the OpenTelemetry Collector's retry sender does.
 */
export async function withRetry(attempt: () => Promise<void>, policy: RetryPolicy, onError: (err: unknown, errorClass: ErrorClass) => void = () => {}): Promise<RetryOutcome> {
  const started = Date.now();
  let delay = policy.initialDelayMs;
  for (let attempts = 1; ; attempts++) {
    try {
      await attempt();
      return { ok: true };
    } catch (error) {
      const errorClass = classifyClickhouseError(error);
      onError(error, errorClass);
      const wait = Math.random() * delay;
      if (errorClass === 'data' || Date.now() - started + wait > policy.maxElapsedMs) return { ok: false, errorClass, error, attempts };
      await sleep(wait);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
