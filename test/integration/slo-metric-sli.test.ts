// Metric SLIs (metric-ratio over counters, metric-latency over a histogram) counted by the real
// ClickHouse from metric points inserted as the collector stores them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { countsQuery } from '../../slo-engine/sli/sql.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { evaluateAt } from '../../slo-engine/evaluate-at.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';
import type { Slo } from '../../slo-engine/model.ts';

// A minute boundary two days ago (noon UTC); every point lies around it.
const T = Math.floor(Date.now() / 1000 / 86_400) * 86_400 - 2 * 86_400 + 12 * 3600;
const ns = (seconds: number) => (BigInt(Math.round(seconds * 1000)) * 1_000_000n).toString();

interface Point {
  service?: string;
  metric: string;
  /** Epoch seconds of the point (time_unix_nano). */
  time: number;
  /** Epoch seconds of start_time_unix_nano (cumulative: the series start). */
  start?: number;
  temporality: 1 | 2;
  attributes?: Record<string, string>;
  resource?: Record<string, string>;
  flags?: number;
  unit?: string;
}

const common = (p: Point) => ({
  tenant: '',
  timestamp: Math.floor(p.time),
  start_time_ns: ns(p.start ?? p.time - 60),
  time_ns: ns(p.time),
  service_name: p.service ?? 'shop',
  metric_name: p.metric,
  metric_unit: p.unit ?? '',
  'attributes.key': Object.keys(p.attributes ?? {}),
  'attributes.type': Object.keys(p.attributes ?? {}).map(() => 'string'),
  'attributes.value': Object.values(p.attributes ?? {}),
  'resource_attributes.key': ['service.name', ...Object.keys(p.resource ?? {})],
  'resource_attributes.type': ['string', ...Object.keys(p.resource ?? {}).map(() => 'string')],
  'resource_attributes.value': [p.service ?? 'shop', ...Object.values(p.resource ?? {})],
  flags: p.flags ?? 0,
  aggregation_temporality: p.temporality,
  scope_name: 'test',
});

async function sums(db: TestDatabase, points: (Point & { int?: number; double?: number; monotonic?: 0 | 1 })[]) {
  await db.ch.insertJson(
    'metrics_sum',
    points.map((p) => ({
      ...common(p),
      is_monotonic: p.monotonic ?? 1,
      value_type: p.int !== undefined ? 2 : 1,
      value_int: String(p.int ?? 0),
      value_double: p.double ?? 0,
    })),
  );
}

const BOUNDS = [0.1, 0.25, 0.5, 1];
async function histograms(db: TestDatabase, points: (Point & { buckets: number[]; bounds?: number[] })[]) {
  await db.ch.insertJson(
    'metrics_histogram',
    points.map((p) => ({
      ...common({ unit: 's', ...p }),
      count: String(p.buckets.reduce((a, b) => a + b, 0)),
      bucket_counts: p.buckets.map(String),
      explicit_bounds: p.bounds ?? BOUNDS,
    })),
  );
}

async function counts(db: TestDatabase, slo: Slo, from = T, to = T + 600): Promise<[number, number, number][]> {
  const rows = await db.ch.query<{ m: number; good: string; total: string }>(
    `SELECT toUInt32(minute) AS m, good, total FROM (${countsQuery(slo, from, to).text}) ORDER BY m`,
  );
  return rows.map((r) => [(Number(r.m) - T) / 60, Number(r.good), Number(r.total)]);
}

const ratio = (id: string, sli: string) => sloFromYaml(`id: ${id}\nservice: shop\nobjective: 99\nperiod: 30d\nsli: ${sli}\nalerting: { ingestDelay: 0s }\n`);

describe('metric SLIs on a real ClickHouse', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slo_metric');
  });
  afterAll(async () => db?.close());

  it('metric-ratio over DELTA counters: sums per minute, filters attributes, skips staleness markers, other services and non-monotonic sums', async () => {
    const ok = { route: '/pay' };
    await sums(db, [
      // total: 60 + 40 in minute 0, 50 in minute 1, 7 in minute 9; minute 10 is outside [T, T+10m)
      { metric: 'd.requests', time: T + 10, temporality: 1, attributes: ok, int: 60 },
      { metric: 'd.requests', time: T + 50, temporality: 1, attributes: ok, int: 40 },
      { metric: 'd.requests', time: T + 70, temporality: 1, attributes: ok, int: 50 },
      { metric: 'd.requests', time: T + 545, temporality: 1, attributes: ok, int: 7 },
      { metric: 'd.requests', time: T + 600, temporality: 1, attributes: ok, int: 1000 },
      { metric: 'd.requests', time: T - 1, temporality: 1, attributes: ok, int: 1000 },
      // excluded: another route, a staleness marker, another service, a non-monotonic sum
      { metric: 'd.requests', time: T + 10, temporality: 1, attributes: { route: '/other' }, int: 1000 },
      { metric: 'd.requests', time: T + 20, temporality: 1, attributes: ok, int: 1000, flags: 1 },
      { metric: 'd.requests', time: T + 20, temporality: 1, attributes: ok, int: 1000, service: 'other' },
      { metric: 'd.requests', time: T + 20, temporality: 1, attributes: ok, int: 1000, monotonic: 0 },
      // good: doubles, rounded per minute; the attribute filter falls back to resource attributes
      { metric: 'd.ok', time: T + 10, temporality: 1, attributes: ok, double: 97.25 },
      { metric: 'd.ok', time: T + 20, temporality: 1, resource: ok, double: 0.5 },
      { metric: 'd.ok', time: T + 80, temporality: 1, attributes: ok, double: 49.4 },
      // more good than total in minute 9 is clamped to total
      { metric: 'd.ok', time: T + 550, temporality: 1, attributes: ok, int: 9 },
    ]);
    const slo = ratio('delta-good', '{ kind: metric-ratio, good: { metric: d.ok, attributes: { route: /pay } }, total: { metric: d.requests, attributes: { route: /pay } } }');
    expect(await counts(db, slo)).toEqual([
      [0, 98, 100],
      [1, 49, 50],
      [9, 7, 7],
    ]);
  });

  it('metric-ratio over CUMULATIVE counters: per-series increases, a reset (value drops) and a restart (new start time) count the new value in full', async () => {
    const S = T - 3600; // series A started an hour before: its baseline comes from the lookback
    await sums(db, [
      // series A, host a
      ...[
        [-180, 1000], [-120, 1010], [-60, 1020], [0, 1030], [60, 1050],
        [120, 5], // reset without a new start time: +5
        [180, 15],
      ].map(([t, v]) => ({ metric: 'c.requests', time: T + t! + 5, start: S, temporality: 2 as const, attributes: { host: 'a' }, int: v! })),
      // series A restarted (new start time inside the range): first point counts in full
      { metric: 'c.requests', time: T + 245, start: T + 200, temporality: 2, attributes: { host: 'a' }, int: 7 },
      { metric: 'c.requests', time: T + 305, start: T + 200, temporality: 2, attributes: { host: 'a' }, int: 17 },
      { metric: 'c.requests', time: T + 335, start: T + 200, temporality: 2, attributes: { host: 'a' }, int: 20 }, // last of minute 5: +13
      // series B (host b): started long ago, no point in the 10 minutes before its first → that point counts 0
      { metric: 'c.requests', time: T + 65, start: T - 86_400, temporality: 2, attributes: { host: 'b' }, int: 500 },
      { metric: 'c.requests', time: T + 125, start: T - 86_400, temporality: 2, attributes: { host: 'b' }, int: 510 },
      // series C (host c): doubles, started inside the range
      { metric: 'c.requests', time: T + 15, start: T + 1, temporality: 2, attributes: { host: 'c' }, double: 2.25 },
      { metric: 'c.requests', time: T + 75, start: T + 1, temporality: 2, attributes: { host: 'c' }, double: 3 },
      // a staleness marker (value 0) must not look like a reset
      { metric: 'c.requests', time: T + 150, start: S, temporality: 2, attributes: { host: 'a' }, int: 0, flags: 1 },
      // errors: one cumulative series started in the range
      { metric: 'c.errors', time: T + 5, start: T, temporality: 2, attributes: { host: 'a' }, int: 2 },
      { metric: 'c.errors', time: T + 65, start: T, temporality: 2, attributes: { host: 'a' }, int: 30 },
      { metric: 'c.errors', time: T + 185, start: T, temporality: 2, attributes: { host: 'a' }, int: 31 },
    ]);
    const slo = ratio('cumulative-bad', '{ kind: metric-ratio, bad: { metric: c.errors }, total: { metric: c.requests } }');
    expect(await counts(db, slo)).toEqual([
      [0, 10, 12], // A +10, C 2.25 (12.25 → 12); 2 bad
      [1, 0, 21], // A +20, B first point 0, C +0.75 (20.75 → 21); 28 bad > total → good 0
      [2, 15, 15], // A reset +5, B +10
      [3, 9, 10], // A +10; 1 bad
      [4, 7, 7], // restarted A, in full
      [5, 13, 13],
    ]);
    // Re-counting only the tail (as each tick does) gives the same minutes: the lookback finds the baselines.
    expect(await counts(db, slo, T + 120, T + 600)).toEqual([
      [2, 15, 15],
      [3, 9, 10],
      [4, 7, 7],
      [5, 13, 13],
    ]);
  });

  it('metric-latency: good = buckets with upper bound <= threshold (in the metric unit), DELTA and CUMULATIVE', async () => {
    const route = { 'http.route': '/checkout' };
    await histograms(db, [
      // DELTA: buckets (≤0.1, ≤0.25, ≤0.5, ≤1, >1)
      { metric: 'http.server.request.duration', time: T + 10, temporality: 1, attributes: route, buckets: [5, 3, 2, 1, 1] },
      { metric: 'http.server.request.duration', time: T + 40, temporality: 1, attributes: route, buckets: [1, 1, 0, 0, 0] },
      { metric: 'http.server.request.duration', time: T + 70, temporality: 1, attributes: route, buckets: [0, 0, 4, 0, 0] },
      { metric: 'http.server.request.duration', time: T + 70, temporality: 1, attributes: { 'http.route': '/other' }, buckets: [100, 0, 0, 0, 0] },
      { metric: 'http.server.request.duration', time: T + 75, temporality: 1, attributes: route, buckets: [0, 0, 0, 0, 0], flags: 1, bounds: [] },
      // CUMULATIVE, one series started in the range, then reset
      { metric: 'http.server.request.duration', time: T + 125, start: T + 100, temporality: 2, attributes: route, buckets: [1, 1, 1, 0, 0] },
      { metric: 'http.server.request.duration', time: T + 185, start: T + 100, temporality: 2, attributes: route, buckets: [4, 2, 1, 1, 0] },
      { metric: 'http.server.request.duration', time: T + 245, start: T + 100, temporality: 2, attributes: route, buckets: [1, 0, 0, 0, 0] },
    ]);
    const slo = ratio('latency', '{ kind: metric-latency, metric: http.server.request.duration, attributes: { http.route: /checkout }, threshold: 0.25 }');
    expect(await counts(db, slo)).toEqual([
      [0, 10, 14],
      [1, 0, 4],
      [2, 2, 3],
      [3, 4, 5], // +3 ≤0.1, +1 ≤0.25; count 3 → 8
      [4, 1, 1], // reset: in full
    ]);
    const wider = ratio('latency-1s', '{ kind: metric-latency, metric: http.server.request.duration, attributes: { http.route: /checkout }, threshold: "1" }');
    expect(await counts(db, wider)).toEqual([
      [0, 13, 14],
      [1, 4, 4],
      [2, 3, 3],
      [3, 5, 5],
      [4, 1, 1],
    ]);
  });

  it('custom SQL may read the metric tables (raw points: DELTA histograms summed by hand)', async () => {
    const custom = sloFromYaml(`id: custom-histogram
service: shop
objective: 99
period: 30d
sli:
  kind: custom
  table: metrics_histogram
  good: sum(arraySum(arraySlice(bucket_counts, 1, 2)))
  total: sum(count)
  where: metric_name = 'http.server.request.duration' AND aggregation_temporality = 1 AND bitAnd(flags, 1) = 0 AND has(attributes.value, '/checkout')
`);
    expect(await counts(db, custom)).toEqual([
      [0, 10, 14],
      [1, 0, 4],
    ]);
  });

  it('metric-latency: a threshold that is no point\'s bucket bound is an evaluation error naming the SLO, metric, threshold and bounds', async () => {
    // Points that lack the threshold bound are never counted against the wrong bucket: the query skips them.
    expect(await counts(db, ratio('not-a-bound', '{ kind: metric-latency, metric: http.server.request.duration, threshold: 0.3 }'))).toEqual([]);
    // A milliseconds threshold against a seconds histogram is the typical mistake: the unit is in the message.
    const ms = ratio('ms', '{ kind: metric-latency, metric: http.server.request.duration, threshold: 250 }');
    const results = await evaluateAt(db.ch, [ms, ratio('fine', '{ kind: metric-ratio, bad: { metric: c.errors }, total: { metric: c.requests } }')], T + 600, {
      refresh: { mode: 'engine', now: T + 600, marginSeconds: 600, version: Date.now() },
    });
    expect(results[0]!.error).toBe(
      'SLO "ms": metric-latency threshold 250 is not a bucket bound of histogram "http.server.request.duration" (service shop); bounds found: [0.1,0.25,0.5,1] (unit "s") (the threshold is in the metric unit and must equal one of them)',
    );
    expect(results[1]!.error).toBeUndefined();
    // The 1h window [T-50m, T+10m) also holds series A's increases at minutes -2 and -1 (+10 each).
    const hour = results[1]!.evaluation!.windows.find((w) => w.seconds === 3600)!;
    expect([hour.good, hour.total]).toEqual([74n, 98n]);
  });
});

describe('metric SLO end to end', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slo_metric_e2e');
  });
  afterAll(async () => db?.close());

  it('the engine backfills a cumulative metric-ratio SLO and computes exact burn rates', async () => {
    // Two instances exporting cumulative counters every 60 s (from 2 h before T): each serves 100
    // requests a minute; 1 a minute fail until T-30m, then 10 a minute; instance b restarts at T-20m.
    const points: Parameters<typeof sums>[1] = [];
    for (const host of ['a', 'b']) {
      let requests = 0;
      let errors = 0;
      let start = T - 7200;
      for (let t = T - 7200 + 30; t < T; t += 60) {
        if (host === 'b' && t === T - 1200 + 30) {
          start = T - 1200 + 1;
          requests = 0;
          errors = 0;
        }
        requests += 100;
        errors += t < T - 1800 ? 1 : 10;
        const attributes = { host, 'http.route': '/pay' };
        points.push({ metric: 'app.requests', time: t, start, temporality: 2, attributes, int: requests });
        points.push({ metric: 'app.errors', time: t, start, temporality: 2, attributes, int: errors });
      }
    }
    await sums(db, points);
    const slo = sloFromYaml(`id: pay-metric
service: shop
objective: 99
period: 30d
sli: { kind: metric-ratio, bad: { metric: app.errors, attributes: { http.route: /pay } }, total: { metric: app.requests, attributes: { http.route: /pay } } }
alerting: { ingestDelay: 0s, minEvents: 100 }
`);
    const { router, problems } = buildRouter([slo], {});
    expect(problems).toEqual([]);
    const engine = createEngine({ ch: db.ch, slos: [slo], router, clock: () => (T + 20) * 1000 });
    const result = await engine.tick();
    const r = result.results[0]!;
    expect(r.error).toBeUndefined();
    const e = r.evaluation!;
    expect(e.end).toBe(T);
    const burn = Object.fromEntries(e.windows.map((w) => [w.seconds, w.burnRate]));
    expect(burn[300]).toBe(10); // 20 errors of 200 requests a minute = 10% / 1%
    expect(burn[3600]).toBe(5.5); // (30×2 + 30×20) / 12,000 / 1%
    // Both series started at T-2h (inside the 30-day backfill), so every request counts.
    expect(e.period).toEqual({ good: 24_000n - 780n, total: 24_000n });
    expect(result.transitions.map((t) => `${t.kind}:${t.status}`)).toEqual(['ticket:firing']);
  });
});
