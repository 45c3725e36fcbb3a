import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../demo/service.ts';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';

// The quick start's demo service, against a real collector and ClickHouse: everything it counts it
// served must arrive as spans, as `http.server.request.duration` points and, for failures, as log
// records in the failing request's trace.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('demo service', () => {
  let db: TestDatabase;
  let collector: TestCollector;

  beforeAll(async () => {
    db = await createTestDatabase('demo');
    collector = await startTestCollector(db.config, { grpcDisabled: true });
  });

  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  it('sends a span, a histogram point and (when it fails) a log record for every request it served', async () => {
    const demo = await startDemo({ port: 0, otlpEndpoint: collector.url, control: { rps: 40, errorRate: 0.5 }, metricIntervalMs: 500, log: () => {} });
    // At least 3 s, and on a busy machine until it has served enough to compare (not a timing assertion).
    const started = Date.now();
    const servedSoFar = () => Object.values(demo.counts()).reduce((a, b) => a + b, 0);
    while (Date.now() - started < 3_000 || (servedSoFar() <= 60 && Date.now() - started < 20_000)) await sleep(250);
    demo.setControl({ rps: 0 });
    await sleep(500); // requests in flight finish (base service times are under 100 ms)
    const counts = demo.counts();
    await demo.stop(); // flushes spans, the last metric export and logs
    const served = Object.values(counts).reduce((a, b) => a + b, 0);
    const failed = (counts['/checkout 500'] ?? 0) + (counts['/products 500'] ?? 0);
    expect(served).toBeGreaterThan(50);
    expect(failed).toBeGreaterThan(5);

    const q = <T>(sql: string) => db.ch.query<T>(sql);
    const serverSpans = async () =>
      q<{ name: string; status: number; n: string }>(`SELECT name, http_status_code AS status, count() AS n FROM spans WHERE service_name = 'demo' AND kind = 2 GROUP BY name, status`);
    let spans = await serverSpans();
    for (let i = 0; i < 50 && spans.reduce((a, r) => a + Number(r.n), 0) < served; i++) {
      await sleep(100);
      spans = await serverSpans();
    }
    const spanCounts = Object.fromEntries(spans.map((r) => [`${r.name.replace(/^GET /, '')} ${r.status}`, Number(r.n)]));
    expect(spanCounts).toEqual(counts);

    // Cumulative histogram: the last point of each series carries the total.
    const points = await q<{ route: string; status: number; n: string }>(
      `SELECT http_route AS route, http_status_code AS status, max(count) AS n FROM metrics_histogram
       WHERE service_name = 'demo' AND metric_name = 'http.server.request.duration' GROUP BY route, status`,
    );
    expect(Object.fromEntries(points.map((r) => [`${r.route} ${r.status}`, Number(r.n)]))).toEqual(counts);

    // One ERROR record per failure, each in the trace of a failed server span.
    const [logs] = await q<{ errors: string; inFailedTraces: string }>(
      `SELECT count() AS errors,
              countIf(trace_id IN (SELECT trace_id FROM spans WHERE service_name = 'demo' AND kind = 2 AND status_code = 2)) AS inFailedTraces
       FROM logs WHERE service_name = 'demo' AND severity_number = 17`,
    );
    expect(Number(logs!.errors)).toBe(failed);
    expect(Number(logs!.inFailedTraces)).toBe(failed);
  }, 60_000);
});
