import { describe, expect, it } from 'vitest';
import { tracePayloads } from '../../bench/ingest/payloads.ts';
import { decodeTracesProto } from '../../collector/decode/traces-proto.ts';
import { DEFAULT_DECODE_LIMITS } from '../../collector/rows/types.ts';

// The benchmarks' trace payloads must look like an SDK's: traces of 4 spans (a root and its children).
// They once carried one trace id per request (the serializer read a loop variable after the loop),
// which made trace ids compress 10x too well and the trace_index view write one row per request.
describe('benchmark trace payloads', () => {
  it('hold traces of four spans, each span under its own trace id', () => {
    const payloads = tracePayloads({ spans: 4096, minSpans: 512, maxSpans: 512 });
    const rows = payloads.flatMap((p) => decodeTracesProto(p.body, { tenant: '', limits: DEFAULT_DECODE_LIMITS }).rows);
    expect(rows).toHaveLength(4096);
    const perTrace = new Map<string, number>();
    for (const r of rows) perTrace.set(r.traceId, (perTrace.get(r.traceId) ?? 0) + 1);
    expect(perTrace.size).toBe(1024);
    expect(new Set(perTrace.values())).toEqual(new Set([4]));
    // The parent of every child span is the root of its own trace.
    const rootOf = new Map(rows.filter((r) => r.parentSpanId === '').map((r) => [r.traceId, r.spanId]));
    for (const r of rows) if (r.parentSpanId !== '') expect(r.parentSpanId).toBe(rootOf.get(r.traceId));
  });
});
