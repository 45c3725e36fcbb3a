import type { LogRow } from '../rows/log-rows.ts';

// What the protobuf and JSON log decoders share: record validation (partial success) and derived columns.

const MAX_SEVERITY_NUMBER = 24; // SEVERITY_NUMBER_FATAL4

/** Why the record must be rejected (ids as lowercase hex), or ''. */
export function logIdsProblem(row: LogRow): string {
  if (row.traceId.length !== 0 && row.traceId.length !== 32) return 'invalid trace_id length (expected 16 bytes or empty)';
  if (row.spanId.length !== 0 && row.spanId.length !== 16) return 'invalid span_id length (expected 8 bytes or empty)';
  return '';
}

/**
 * Fills the derived columns of a valid record: `timestamp` from time_unix_nano, else from
 * observed_time_unix_nano (the spec's rule), else the time of receipt; out-of-range severity → 0.
 */
export function deriveLogFields(row: LogRow, receivedAtSeconds: number): void {
  const ns = row.timeNs !== 0n ? row.timeNs : row.observedTimeNs;
  row.timestamp = ns !== 0n ? Number(ns / 1_000_000_000n) : receivedAtSeconds;
  if (!(row.severityNumber >= 0 && row.severityNumber <= MAX_SEVERITY_NUMBER)) row.severityNumber = 0;
}
