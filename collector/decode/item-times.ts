import { DATETIME_MAX_SECONDS, storableTimes, type DecodeOptions, type TimeWindow } from '../rows/types.ts';

// Every item is stored under a `DateTime` (whole seconds, UInt32) that partitions its table: a span's
// start, a data point's time, a log record's time. A time outside the accepted window rejects that
// item (partial success) instead of wrapping around in the column (a year-2300 span landed in 2027).

/** The window around `nowMs`: from `maxAgeSeconds` back to `maxFutureSeconds` ahead, within what `DateTime` holds. */
export function acceptedTimes(nowMs: number, maxAgeSeconds: number, maxFutureSeconds: number): TimeWindow {
  const nowSeconds = Math.floor(nowMs / 1000);
  return {
    nowSeconds,
    minSeconds: Math.max(0, nowSeconds - maxAgeSeconds),
    maxSeconds: Math.min(DATETIME_MAX_SECONDS, nowSeconds + maxFutureSeconds),
  };
}

/** The window of `options`, or what a `DateTime` can hold when none was given. */
export function timesOf(options: DecodeOptions): TimeWindow {
  return options.times ?? storableTimes();
}

/** Why an item whose partition time is `seconds` must be rejected, or ''. `field` names the OTLP field. */
export function timeProblem(seconds: number, times: TimeWindow, field: string): string {
  if (seconds < times.minSeconds) return `${field} before the accepted range (earliest ${iso(times.minSeconds)})`;
  if (seconds > times.maxSeconds) return `${field} after the accepted range (latest ${iso(times.maxSeconds)})`;
  return '';
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
