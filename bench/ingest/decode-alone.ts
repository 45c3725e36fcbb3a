// Decoder-alone throughput (items/s, best of several interleaved passes over the same payloads), in a process of
// its own: bodies are Buffers, as node:http hands them to both collectors, and nothing else has run
// the decoders with other argument types (the collector's JIT sees only Buffers too).
//   node bin/run-ts.js bench/ingest/decode-alone.ts SPANS   → one JSON line on stdout
import { decodeTracesProto } from '../../collector/decode/traces-proto.ts';
import { decodeTracesJson } from '../../collector/decode/traces-json.ts';
import { transcodeTracesProto } from '../../collector/decode/traces-transcode.ts';
import { decodeMetricsProto } from '../../collector/decode/metrics-proto.ts';
import { decodeLogsProto } from '../../collector/decode/logs-proto.ts';
import { DEFAULT_DECODE_LIMITS } from '../../collector/rows/types.ts';
import { SPANS_TABLE } from '../../collector/signals/traces.ts';
import { encodeRows } from '../../collector/writer/batch-writer.ts';
import { logPayloads, metricPayloads, tracePayloads, type Payload } from './payloads.ts';
import { countDataPoints, countLogRecords, countSpans, LogsRequest, MetricsRequest, spanRowsFromMessage, TraceRequest } from './baseline-decode.ts';

const OPTS = { tenant: '', limits: DEFAULT_DECODE_LIMITS };
const spans = Number(process.argv[2] ?? 100_000);

/**
 * Best rate (items/s) of each contender over the same payloads. Passes are interleaved (a pass of
 * each, then again), so a change in the machine's speed during the run hits them all alike.
 */
function race<K extends string>(payloads: Payload[], passes: number, contenders: Record<K, (body: Buffer) => number>): Record<K, number> {
  const bodies = payloads.map((p) => Buffer.from(p.body.buffer, p.body.byteOffset, p.body.byteLength));
  const best = {} as Record<K, number>;
  for (let i = 0; i < passes; i++) {
    for (const name of Object.keys(contenders) as K[]) {
      const decode = contenders[name];
      const t0 = performance.now();
      let items = 0;
      for (const body of bodies) items += decode(body);
      best[name] = Math.max(best[name] ?? 0, Math.round(items / ((performance.now() - t0) / 1000)));
    }
  }
  return best;
}

const round2 = (x: number) => Number(x.toFixed(2));
const traces = race(tracePayloads({ spans, offsets: false }), 8, {
  // Ours, as the collector runs it: the transcoder, bytes → RowBinary insert body.
  transcoder: (b) => transcodeTracesProto(b, OPTS).rows,
  // protobufjs with generated code: bytes → message objects.
  baseline: (b) => countSpans(TraceRequest.decode(b)),
  // Our decoder (bytes → row objects; the JSON path's and the transcoder's reference), and + encoding.
  decoder: (b) => decodeTracesProto(b, OPTS).rows.length,
  decoderWithEncode: (b) => encodeRows(SPANS_TABLE, decodeTracesProto(b, OPTS).rows).rows,
  baselineWithRows: (b) => spanRowsFromMessage(TraceRequest.decode(b)).length,
  // The baseline's whole way to an insert body: decode, map to rows, serialize as JSONEachRow.
  baselineToInsertBody: (b) => {
    const rows = spanRowsFromMessage(TraceRequest.decode(b));
    let bytes = 0;
    for (const row of rows) bytes += JSON.stringify(row).length + 1;
    return bytes > 0 ? rows.length : 0;
  },
});
const json = race(tracePayloads({ spans: Math.min(spans, 50_000), json: true }), 4, {
  ours: (b) => decodeTracesJson(b.toString('utf8'), OPTS).rows.length,
  jsonParseOnly: (b) => JSON.parse(b.toString('utf8')).resourceSpans.reduce((n: number, rs: { scopeSpans: { spans: unknown[] }[] }) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0),
});
const m = race(metricPayloads({ points: 100_000 }), 5, {
  ours: (b) => decodeMetricsProto(b, OPTS).rows.length,
  baseline: (b) => countDataPoints(MetricsRequest.decode(b)),
});
const l = race(logPayloads({ records: 100_000 }), 5, {
  ours: (b) => decodeLogsProto(b, OPTS).rows.length,
  baseline: (b) => countLogRecords(LogsRequest.decode(b)),
});
console.log(
  JSON.stringify({
    tracesProto: {
      ours: traces.transcoder,
      baseline: traces.baseline,
      ratio: round2(traces.transcoder / traces.baseline),
      decoderToRowObjects: traces.decoder,
      decoderPlusRowBinaryEncode: traces.decoderWithEncode,
      baselineWithRowMapping: traces.baselineWithRows,
      baselineToJsonEachRowBody: traces.baselineToInsertBody,
      toInsertBodyRatio: round2(traces.transcoder / traces.baselineToInsertBody),
    },
    tracesJson: json,
    metricsProto: { ...m, ratio: round2(m.ours / m.baseline) },
    logsProto: { ...l, ratio: round2(l.ours / l.baseline) },
  }),
);
