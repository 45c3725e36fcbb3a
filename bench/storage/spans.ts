// The storage benchmark's spans: `total` spans from `services` services over the last `hours`, as
// the ingest benchmark shapes them (SDK-like resource and HTTP span attributes, traces of 4 spans,
// ~5% with an exception event, 512-2,048 spans per request), serialized by the official OTLP
// serializer and turned into rows by the collector's own transcoder: exactly the collector's insert body.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { transcodeTracesProto } from '../../collector/decode/traces-transcode.ts';
import { DEFAULT_DECODE_LIMITS } from '../../collector/rows/types.ts';
import { seededRandom } from '../span-rows.ts';
import { makeSpans, resourceFor, serviceNames } from '../ingest/payloads.ts';

export interface SpanBatch {
  /** RowBinary rows in the collector's column order (SPAN_COLUMNS). */
  body: Buffer;
  rows: number;
}

/**
 * Yields insert bodies of about `rowsPerInsert` rows. Each service has its own clock, so every
 * service's spans cover the whole period, interleaved with the others' as they would arrive.
 */
export function* spanBatches(options: { total: number; services: number; hours: number; rowsPerInsert: number; nowMs: number; seed?: number }): Generator<SpanBatch> {
  const rand = seededRandom(options.seed ?? 42);
  const names = serviceNames(options.services);
  const periodNs = BigInt(Math.round(options.hours * 3600)) * 1_000_000_000n;
  const startNs = BigInt(options.nowMs) * 1_000_000n - periodNs;
  // Per service: total / services spans spread over the period.
  const spacingNs = (periodNs * BigInt(options.services)) / BigInt(options.total);
  const clocks = names.map(() => startNs);
  const decodeOptions = { tenant: '', limits: DEFAULT_DECODE_LIMITS };
  let left = options.total;
  let pending: Buffer[] = [];
  let pendingRows = 0;
  for (let i = 0; left > 0; i++) {
    const k = i % names.length;
    const n = Math.min(left, 512 + Math.floor(rand() * 1537));
    const spans = makeSpans(rand, n, resourceFor(rand, k, names[k]!), clocks[k]!, spacingNs);
    clocks[k]! += BigInt(n) * spacingNs;
    const transcoded = transcodeTracesProto(ProtobufTraceSerializer.serializeRequest(spans as never)!, decodeOptions);
    if (transcoded.rows !== n) throw new Error(`transcoder accepted ${transcoded.rows} of ${n} spans: ${transcoded.errorMessage}`);
    pending.push(Buffer.from(transcoded.body));
    pendingRows += n;
    left -= n;
    if (pendingRows >= options.rowsPerInsert || left === 0) {
      yield { body: Buffer.concat(pending), rows: pendingRows };
      pending = [];
      pendingRows = 0;
    }
  }
}
