import type { DecodeLimits } from './rows/types.ts';
import type { SignalSpec } from './signals/signal.ts';
import type { CollectorTelemetry } from './telemetry.ts';
import type { EncodedRows } from './writer/batch-writer.ts';
import { QueueFullError, ShuttingDownError, StorageUnavailableError } from './writer/errors.ts';

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
 * sink (acknowledged only when it resolves), count everything.
 */
export function createIngestor(sink: RowSink, telemetry: CollectorTelemetry, limits: DecodeLimits): Ingestor {
  return {
    async ingest(signal, body, encoding, tenant) {
      const options = { tenant, limits };
      const decoded = encoding === 'proto' ? signal.decodeProto(body, options) : signal.decodeJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'), options);
      const accepted = signal.count(decoded.rows);
      telemetry.received.inc({ signal: signal.signal }, accepted + decoded.rejected);
      if (decoded.rejected > 0) telemetry.rejected.inc({ signal: signal.signal, reason: 'invalid' }, decoded.rejected);
      if (accepted > 0) {
        try {
          await sink.write(signal.encode(decoded.rows));
        } catch (err) {
          telemetry.rejected.inc({ signal: signal.signal, reason: rejectionReason(err) }, accepted);
          throw err;
        }
        telemetry.accepted.inc({ signal: signal.signal }, accepted);
      }
      return { accepted, rejected: decoded.rejected, errorMessage: decoded.errorMessage };
    },
  };
}

function rejectionReason(err: unknown): string {
  if (err instanceof QueueFullError) return 'queue_full';
  if (err instanceof StorageUnavailableError) return 'storage_unavailable';
  if (err instanceof ShuttingDownError) return 'shutting_down';
  return 'storage_error';
}
