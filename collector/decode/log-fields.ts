import type { LogRow } from '../rows/log-rows.ts';
import type { TimeWindow } from '../rows/types.ts';
import { timeProblem } from './item-times.ts';

// What the protobuf and JSON log decoders share: record validation (partial success) and derived columns.

const MAX_SEVERITY_NUMBER = 24; // SEVERITY_NUMBER_FATAL4

/** Why the record must be rejected (ids as lowercase hex), or ''. */
export function logIdsProblem(row: LogRow): string {
  if (row.traceId.length !== 0 && row.traceId.length !== 32) return 'invalid trace_id length (expected 16 bytes or empty)';
  if (row.spanId.length !== 0 && row.spanId.length !== 16) return 'invalid span_id length (expected 8 bytes or empty)';
  return '';
}

/**
 * Fills the derived columns of a record: `timestamp` from time_unix_nano, else from
 * observed_time_unix_nano (the spec: 0 means unknown, use the observed time), else the time of
 * receipt; out-of-range severity → 0. Returns why the record must be rejected (its timestamp is
 * outside the accepted window), or ''.
 */
export function deriveLogFields(row: LogRow, times: TimeWindow): string {
  const field = row.timeNs !== 0n ? 'time_unix_nano' : 'observed_time_unix_nano';
  const ns = row.timeNs !== 0n ? row.timeNs : row.observedTimeNs;
  row.timestamp = ns !== 0n ? Number(ns / 1_000_000_000n) : times.nowSeconds;
  if (!(row.severityNumber >= 0 && row.severityNumber <= MAX_SEVERITY_NUMBER)) row.severityNumber = 0;
  return ns !== 0n ? timeProblem(row.timestamp, times, field) : '';
}
