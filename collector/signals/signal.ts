import type { DecodeOptions, DecodeResult } from '../rows/types.ts';
import type { EncodedRows } from '../writer/batch-writer.ts';
import type { Signal } from '../telemetry.ts';

/** Everything the transports need to know about one OTLP signal. */
export interface SignalSpec<Row> {
  signal: Signal;
  /** OTLP/HTTP path, e.g. /v1/traces. */
  path: string;
  /** Plural noun for messages: "spans", "data points", "log records". */
  items: string;
  /** JSON name of the partial-success counter: rejectedSpans, rejectedDataPoints, rejectedLogRecords. */
  rejectedJsonField: string;
  decodeProto(body: Uint8Array, options: DecodeOptions): DecodeResult<Row>;
  /** OTLP/JSON as UTF-8 bytes (the transports) or text (tests). */
  decodeJson(body: string | Uint8Array, options: DecodeOptions): DecodeResult<Row>;
  /** Rows → TabSeparated bodies per table (a signal may write to several tables). */
  encode(rows: Row[]): EncodedRows[];
  /** Items in a decoded result (rows may be per item, or several per item). */
  count(rows: Row[]): number;
  /**
   * Optional fast path: protobuf bytes straight to insert bodies, byte-identical to decodeProto +
   * encode (the ingestor prefers it). Throws PayloadError like decodeProto.
   */
  transcodeProto?(body: Uint8Array, options: DecodeOptions): Insertable;
}

/** A request's rows, ready to insert, and its partial-success account. */
export interface Insertable {
  batches: EncodedRows[];
  accepted: number;
  rejected: number;
  errorMessage: string;
}
