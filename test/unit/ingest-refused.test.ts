import { describe, expect, it } from 'vitest';
import { createIngestor, type RowSink } from '../../collector/ingest.ts';
import { toHttpError } from '../../collector/http/app.ts';
import { DEFAULT_DECODE_LIMITS } from '../../collector/rows/types.ts';
import { tracesSignal } from '../../collector/signals/traces.ts';
import { CollectorTelemetry } from '../../collector/telemetry.ts';
import { RowsRefusedError } from '../../collector/writer/errors.ts';

// How a request is answered when ClickHouse refuses some of its rows for their content (the
// writer has already kept them from failing anyone else's): a partial success when the rest was
// stored, 400 when nothing was. The sink stands in for the writer, which has its own real tests.

const span = (i: number) => ({ traceId: 'ab'.repeat(16), spanId: (i + 1).toString(16).padStart(16, '0'), name: 's', startTimeUnixNano: '1780000000000000000', endTimeUnixNano: '1780000000000000001' });
const request = (spans: number) => Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: spans }, (_, i) => span(i)) }] }] }));

function ingestorRefusing(rows: number) {
  const telemetry = new CollectorTelemetry({ defaultMetrics: false });
  const sink: RowSink = { write: () => Promise.reject(new RowsRefusedError(`ClickHouse refused ${rows} row(s) for spans: Code 252 TOO_MANY_PARTS: Too many partitions`, rows)) };
  return { telemetry, ingestor: createIngestor(sink, telemetry, DEFAULT_DECODE_LIMITS) };
}

describe('answers to rows ClickHouse refuses for their content', () => {
  it('is a partial success counting the refused items when the rest of the request was stored', async () => {
    const { ingestor, telemetry } = ingestorRefusing(2);
    const result = await ingestor.ingest(tracesSignal, request(5), 'json', '');
    expect(result).toEqual({ accepted: 3, rejected: 2, errorMessage: '2 spans refused by ClickHouse: ClickHouse refused 2 row(s) for spans: Code 252 TOO_MANY_PARTS: Too many partitions' });
    const metrics = await telemetry.registry.metrics();
    expect(metrics).toMatch(/burnrate_collector_items_rejected_total\{signal="traces",reason="refused"\} 2/);
    expect(metrics).toMatch(/burnrate_collector_items_accepted_total\{signal="traces"\} 3/);
  });

  it('is 400 INVALID_ARGUMENT (not retried by exporters) when nothing of the request was stored', async () => {
    const { ingestor } = ingestorRefusing(5);
    const error = await ingestor.ingest(tracesSignal, request(5), 'json', '').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RowsRefusedError);
    expect(toHttpError(error)).toMatchObject({ status: 400, grpcCode: 3 });
  });
});
