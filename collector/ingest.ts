import { storableTimes, type DecodeLimits, type DecodeOptions, type TimeWindow } from './rows/types.ts';
import type { Insertable, SignalSpec } from './signals/signal.ts';
import type { CollectorTelemetry } from './telemetry.ts';
import type { EncodedRows } from './writer/batch-writer.ts';
import { QueueFullError, RowsRefusedError, ShuttingDownError, StorageUnavailableError } from './writer/errors.ts';

/** Where accepted rows go: the in-memory batch writer, or the disk spool in front of it. */
export interface RowSink {
  /** Resolves once the rows are safe (inserted, or durably spooled); rejects with a writer error. */
  write(batches: EncodedRows[]): Promise<void>;
}

export interface IngestResult {
  accepted: number;
  rejected: number;
  errorMessage: string;
}

export interface Ingestor {
  ingest(signal: SignalSpec<unknown>, body: Uint8Array, encoding: 'proto' | 'json', tenant: string): Promise<IngestResult>;
}

/**
 * The one ingest path both transports share: decode (PayloadError → 400), write through the
 * sink (acknowledged only when it resolves), count everything. Rows ClickHouse refuses for their
 * content while the rest of the request was stored become an OTLP partial success; when nothing
 * was stored the RowsRefusedError goes up (400: retrying the same request cannot help).
 * `acceptedTimes` gives the window of item times at the moment a request arrives (an injected clock).
 */
export function createIngestor(sink: RowSink, telemetry: CollectorTelemetry, limits: DecodeLimits, acceptedTimes: () => TimeWindow = storableTimes): Ingestor {
  return {
    async ingest(signal, body, encoding, tenant) {
      const decoded = decodeAndEncode(signal, body, encoding, { tenant, limits, times: acceptedTimes() });
      let { accepted, rejected, errorMessage } = decoded;
      telemetry.received.inc({ signal: signal.signal }, accepted + rejected);
      if (rejected > 0) telemetry.rejected.inc({ signal: signal.signal, reason: 'invalid' }, rejected);
      if (accepted > 0) {
        try {
          await sink.write(decoded.batches);
        } catch (err) {
          const partly = err instanceof RowsRefusedError && err.rows < accepted;
          telemetry.rejected.inc({ signal: signal.signal, reason: rejectionReason(err) }, partly ? err.rows : accepted);
          if (!partly) throw err;
          accepted -= err.rows;
          rejected += err.rows;
          errorMessage = [errorMessage, `${err.rows} ${signal.items} refused by ClickHouse: ${err.message}`].filter(Boolean).join('; ');
        }
        telemetry.accepted.inc({ signal: signal.signal }, accepted);
      }
      return { accepted, rejected, errorMessage };
    },
  };
}

/**
 * Decode and encode in one synchronous step, so only the encoded bytes live across the await for the
 * insert: decoded rows (many small objects) kept alive that long survive young-generation GCs and get
 * promoted, which showed up as GC time and peak RSS in the profiles (docs/performance.md). Protobuf
 * goes through the signal's transcoder when it has one (no row objects at all).
 */
export function decodeAndEncode(signal: SignalSpec<unknown>, body: Uint8Array, encoding: 'proto' | 'json', options: DecodeOptions): Insertable {
  if (encoding === 'proto' && signal.transcodeProto) return signal.transcodeProto(body, options);
  const decoded = encoding === 'proto' ? signal.decodeProto(body, options) : signal.decodeJson(body, options);
  const accepted = signal.count(decoded.rows);
  return { batches: accepted > 0 ? signal.encode(decoded.rows) : [], accepted, rejected: decoded.rejected, errorMessage: decoded.errorMessage };
}

function rejectionReason(err: unknown): string {
  if (err instanceof QueueFullError) return 'queue_full';
  if (err instanceof StorageUnavailableError) return 'storage_unavailable';
  if (err instanceof ShuttingDownError) return 'shutting_down';
  if (err instanceof RowsRefusedError) return 'refused';
  return 'storage_error';
}
