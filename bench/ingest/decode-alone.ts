// Decoder-alone throughput (items/s, best of several passes over the same payloads), in a process of
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

function bestRate(payloads: Payload[], iterations: number, decode: (body: Buffer) => number): number {
  const bodies = payloads.map((p) => Buffer.from(p.body.buffer, p.body.byteOffset, p.body.byteLength));
  let best = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    let items = 0;
    for (const body of bodies) items += decode(body);
    best = Math.max(best, items / ((performance.now() - t0) / 1000));
  }
  return Math.round(best);
}

const round2 = (x: number) => Number(x.toFixed(2));
const traces = tracePayloads({ spans, offsets: false });
// Ours, as the collector runs it: the transcoder, bytes → RowBinary insert body. Also the decoder
// (bytes → row objects; the JSON path and the reference for the transcoder) with and without encoding.
const transcoder = bestRate(traces, 8, (b) => transcodeTracesProto(b, OPTS).rows);
const baseline = bestRate(traces, 8, (b) => countSpans(TraceRequest.decode(b)));
const decoder = bestRate(traces, 6, (b) => decodeTracesProto(b, OPTS).rows.length);
const decoderWithEncode = bestRate(traces, 4, (b) => encodeRows(SPANS_TABLE, decodeTracesProto(b, OPTS).rows).rows);
const baselineWithRows = bestRate(traces, 4, (b) => spanRowsFromMessage(TraceRequest.decode(b)).length);
// The baseline's whole way to an insert body: decode, map to rows, serialize as JSONEachRow.
const baselineToInsertBody = bestRate(traces, 4, (b) => {
  const rows = spanRowsFromMessage(TraceRequest.decode(b));
  let bytes = 0;
  for (const row of rows) bytes += JSON.stringify(row).length + 1;
  return bytes > 0 ? rows.length : 0;
});
const json = tracePayloads({ spans: Math.min(spans, 50_000), json: true });
const oursJson = bestRate(json, 4, (b) => decodeTracesJson(b.toString('utf8'), OPTS).rows.length);
const baselineJson = bestRate(json, 4, (b) => JSON.parse(b.toString('utf8')).resourceSpans.reduce((n: number, rs: { scopeSpans: { spans: unknown[] }[] }) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0));
const metrics = metricPayloads({ points: 100_000 });
const logs = logPayloads({ records: 100_000 });
const m = { ours: bestRate(metrics, 5, (b) => decodeMetricsProto(b, OPTS).rows.length), baseline: bestRate(metrics, 5, (b) => countDataPoints(MetricsRequest.decode(b))) };
const l = { ours: bestRate(logs, 5, (b) => decodeLogsProto(b, OPTS).rows.length), baseline: bestRate(logs, 5, (b) => countLogRecords(LogsRequest.decode(b))) };
console.log(
  JSON.stringify({
    tracesProto: {
      ours: transcoder,
      baseline,
      ratio: round2(transcoder / baseline),
      decoderToRowObjects: decoder,
      decoderPlusRowBinaryEncode: decoderWithEncode,
      baselineWithRowMapping: baselineWithRows,
      baselineToJsonEachRowBody: baselineToInsertBody,
      toInsertBodyRatio: round2(transcoder / baselineToInsertBody),
    },
    tracesJson: { ours: oursJson, jsonParseOnly: baselineJson },
    metricsProto: { ...m, ratio: round2(m.ours / m.baseline) },
    logsProto: { ...l, ratio: round2(l.ours / l.baseline) },
  }),
);
