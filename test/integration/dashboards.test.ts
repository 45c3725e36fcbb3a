import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { inject } from 'vitest';
import { DASHBOARDS, renderDashboards } from '../../dashboards/src/index.ts';
import { DATASOURCE, UIDS, buildDashboard, type Dashboard, type VariableJson } from '../../dashboards/src/grafana.ts';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { ALL, PORTABLE_MACROS, expandQuery, macroArgs, macrosUsed, type QueryContext } from '../support/grafana-macros.ts';
import { METRIC_SEED, SEED, SLO_SEED, logRows, metricRows, seedRows, sloRows, type Row } from '../support/dashboard-seed.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const JSON_DIR = join(ROOT, 'dashboards', 'json');
const committed = new Map(readdirSync(JSON_DIR).filter((f) => f.endsWith('.json')).map((f) => [f, readFileSync(join(JSON_DIR, f), 'utf8')]));
const dashboards: Dashboard[] = [...committed.values()].map((text) => JSON.parse(text));

/** Panels that need a current ClickHouse, with the reason their spec gives (`modernOnly`). */
const MODERN_ONLY = new Map(Object.values(DASHBOARDS).flatMap((d) => d.panels.filter((p) => p.modernOnly).map((p) => [`${d.uid}/${p.title}`, p.modernOnly!] as const)));
const onServer1816 = inject('clickhouseEngine') === 'server';

const variableSql = (v: VariableJson) => (typeof v.query === 'object' ? v.query.rawSql : '');

interface Query {
  where: string;
  sql: string;
}

/** Every SQL text of a dashboard: panel targets and query variables. */
function queriesOf(d: Dashboard): Query[] {
  const out: Query[] = [];
  for (const v of d.templating.list) if (typeof v.query === 'object') out.push({ where: `variable ${v.name}`, sql: v.query.rawSql });
  for (const p of d.panels) for (const t of p.targets) out.push({ where: `panel "${p.title}"`, sql: t.rawSql });
  return out;
}

// Features ClickHouse 18.16 lacks, or macros that expand to them.
const NOT_PORTABLE = [/DateTime64/i, /\bMap\s*\(/, /toStartOfInterval/i, /toStartOfTenMinutes/i, /fromUnixTimestamp64/i, /\bOVER\s*\(/i, /\bLowCardinality\b/i];

describe('dashboard JSON', () => {
  it('the committed JSON is exactly what dashboards/build.ts generates', () => {
    const generated = renderDashboards();
    expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(committed.get(name), `dashboards/json/${name} is stale: run node bin/run-ts.js dashboards/build.ts`).toBe(text);
  });

  it('dashboard uids are unique and panel ids are unique within each dashboard', () => {
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids.sort()).toEqual(Object.keys(DASHBOARDS).map((k) => DASHBOARDS[k]!.uid).sort());
    for (const d of dashboards) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size, d.uid).toBe(ids.length);
    }
  });

  it('every panel, query and variable references the provisioned datasource by uid', () => {
    const provisioned = parseYaml(readFileSync(join(ROOT, 'dashboards/provisioning/datasources/clickhouse.yaml'), 'utf8'));
    expect(provisioned.datasources[0]).toMatchObject({ uid: DATASOURCE.uid, type: DATASOURCE.type });
    for (const d of dashboards) {
      for (const p of d.panels) {
        expect(p.datasource, `${d.uid} ${p.title}`).toEqual(DATASOURCE);
        for (const t of p.targets) expect(t.datasource).toEqual(DATASOURCE);
      }
      for (const v of d.templating.list) if (v.type === 'query') expect(v.datasource).toEqual(DATASOURCE);
    }
  });

  it('has no import placeholders', () => {
    for (const [name, text] of committed) {
      expect(text, name).not.toContain('__inputs');
      expect(text, name).not.toContain('__requires');
      expect(text, name).not.toMatch(/\$\{DS_/);
      expect(JSON.parse(text).id, name).toBeUndefined();
    }
  });

  it('queries use only the portable macros and SQL that ClickHouse 18.16 has (but for panels marked modern-only)', () => {
    expect([...MODERN_ONLY.keys()]).toEqual([`${UIDS.trace}/Waterfall`]);
    for (const d of dashboards) {
      for (const q of queriesOf(d)) {
        for (const macro of macrosUsed(q.sql)) expect(PORTABLE_MACROS, `${d.uid} ${q.where}: $__${macro}`).toContain(macro);
        if (MODERN_ONLY.has(`${d.uid}/${q.where.replace(/^panel "(.*)"$/, '$1')}`)) continue;
        for (const pattern of NOT_PORTABLE) expect(q.sql, `${d.uid} ${q.where}`).not.toMatch(pattern);
      }
    }
  });

  it('$__conditionalAll names a variable of its dashboard as $name (the form the plugin resolves)', () => {
    for (const d of dashboards) {
      const names = d.templating.list.map((v) => v.name);
      for (const q of queriesOf(d)) {
        for (const m of q.sql.matchAll(/\$__conditionalAll\(/g)) {
          const { args } = macroArgs(q.sql, m.index! + m[0].length - 1);
          expect(args).toHaveLength(2);
          const name = /^\$(\w+)$/.exec(args[1]!.trim())?.[1];
          expect(name && names.includes(name), `${d.uid} ${q.where}: ${args[1]}`).toBe(true);
        }
      }
    }
  });

  it('data links open existing dashboards with existing variables', () => {
    const byUid = new Map(dashboards.map((d) => [d.uid, d]));
    let links = 0;
    for (const d of dashboards) {
      for (const p of d.panels) {
        for (const o of p.fieldConfig.overrides) {
          for (const prop of o.properties.filter((x) => x.id === 'links')) {
            for (const { url } of prop.value as Array<{ url: string }>) {
              links++;
              const m = /^\/d\/([\w-]+)\?(.*)$/.exec(url);
              expect(m, url).not.toBeNull();
              const target = byUid.get(m![1]!);
              expect(target, url).toBeDefined();
              for (const param of m![2]!.split('&').filter((x) => x.startsWith('var-'))) {
                expect(target!.templating.list.map((v) => v.name)).toContain(param.slice(4).split('=')[0]);
              }
            }
          }
        }
      }
    }
    expect(links).toBeGreaterThanOrEqual(3);
  });

  it('time series panels ask for a bucket named time', () => {
    for (const d of dashboards) {
      for (const p of d.panels.filter((x) => x.type === 'timeseries')) {
        expect(p.targets[0]!.format, `${d.uid} ${p.title}`).toBe(0);
        expect(p.targets[0]!.rawSql, `${d.uid} ${p.title}`).toContain('$__interval_s) * $__interval_s) AS time');
      }
    }
  });

  it('the layout keeps every panel inside the 24-column grid without overlaps', () => {
    for (const spec of Object.values(DASHBOARDS)) {
      const cells = new Set<string>();
      for (const p of buildDashboard(spec).panels) {
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            expect(cells.has(`${x},${y}`), `${spec.uid} ${p.title}`).toBe(false);
            cells.add(`${x},${y}`);
          }
      }
    }
  });
});

describe('the macro expansion the tests run dashboards through', () => {
  const ctx = (variables: QueryContext['variables']): QueryContext => ({ from: 1_700_000_000, to: 1_700_003_600, intervalSeconds: 30, variables });

  it('expands the backend macros as the plugin does', () => {
    expect(expandQuery('SELECT $__interval_s WHERE $__timeFilter(ts) AND d >= $__fromTime AND d <= $__toTime AND $__dateFilter(day)', ctx({}))).toBe(
      "SELECT 30 WHERE ts >= toDateTime(1700000000) AND ts <= toDateTime(1700003600) AND d >= toDateTime(1700000000) AND d <= toDateTime(1700003600) AND day >= toDate('2023-11-14') AND day <= toDate('2023-11-14')",
    );
  });

  it('turns $__conditionalAll into 1=1 for All and keeps the condition, nested parentheses and all, otherwise', () => {
    const sql = 'WHERE $__conditionalAll(lower(s) IN (${s:singlequote}), $s) AND x';
    expect(expandQuery(sql, ctx({ s: { value: ALL, options: ['a'] } }))).toBe('WHERE 1=1 AND x');
    expect(expandQuery(sql, ctx({ s: { value: ['a', "o'k"] } }))).toBe("WHERE lower(s) IN ('a','o\\'k') AND x");
  });

  it('formats variables like Grafana: singlequote escapes quotes, the plugin quotes multi-values', () => {
    expect(expandQuery("$v ${v} ${v:singlequote} [[v]]", ctx({ v: { value: "it's" } }))).toBe("it's it's 'it\\'s' it's");
    expect(expandQuery('$v', ctx({ v: { value: ['a', 'b'] } }))).toBe("'a','b'");
  });

  it('refuses macros outside the portable set and leftover placeholders', () => {
    expect(() => expandQuery('SELECT $__timeInterval(ts)', ctx({}))).toThrow(/unsupported macro/);
    expect(() => expandQuery('SELECT $__fromTime_ms', ctx({}))).toThrow(/unsupported macro/);
    expect(() => expandQuery('SELECT $nope', ctx({}))).toThrow(/unexpanded/);
  });
});

// ---------------------------------------------------------------------------------------------
// Every query against the real ClickHouse, on spans whose answers are known (test/support/dashboard-seed.ts).

type Check = (rows: Row[]) => void;
const num = (v: unknown) => Number(v);
const bySeries = (rows: Row[], label: string) => {
  const out: Record<string, Row[]> = {};
  for (const r of rows) (out[String(r[label])] ??= []).push(r);
  return out;
};
const sumValues = (rows: Row[]) => rows.reduce((s, r) => s + num(r.value), 0);

/** The expected result of every query, keyed "<dashboard uid>/<panel title or variable name>". */
const EXPECTED: Record<string, Check> = {
  [`${UIDS.servicesOverview}/service`]: (rows) => expect(rows.map((r) => r.service_name)).toEqual(['checkout', "pay'ments", 'products']),
  [`${UIDS.servicesOverview}/Services`]: (rows) => {
    expect(rows.map((r) => [r.Service, num(r.Requests), num(r.Errors)])).toEqual([
      ['checkout', 30, 6],
      ['products', 20, 0],
      ["pay'ments", 5, 0],
    ]);
    expect(num(rows[0]!['Error ratio'])).toBeCloseTo(0.2, 10);
    expect(num(rows[0]!['Req/s'])).toBeCloseTo(30 / SEED.rangeSeconds, 10);
    expect(num(rows[0]!.p50)).toBe(50);
    expect(num(rows[0]!.p99)).toBeGreaterThan(50);
    expect(num(rows[0]!.p99)).toBeLessThanOrEqual(400);
    expect([num(rows[1]!.p50), num(rows[1]!.p95), num(rows[1]!.p99)]).toEqual([10, 10, 10]);
  },
  [`${UIDS.servicesOverview}/Request rate`]: (rows) => {
    const series = bySeries(rows, 'service_name');
    expect(Object.keys(series).sort()).toEqual(['checkout', "pay'ments", 'products']);
    expect(sumValues(series.checkout!) * SEED.interval).toBeCloseTo(30, 9);
    expect(sumValues(series.products!) * SEED.interval).toBeCloseTo(20, 9);
    expect(sumValues(series["pay'ments"]!) * SEED.interval).toBeCloseTo(5, 9);
  },
  [`${UIDS.servicesOverview}/Error ratio`]: (rows) => {
    const series = bySeries(rows, 'service_name');
    expect(series.checkout!.map((r) => num(r.value))).toEqual([0.2, 0.2, 0.2]);
    expect(series.products!.every((r) => num(r.value) === 0)).toBe(true);
  },
  [`${UIDS.servicesOverview}/Latency p95`]: (rows) => {
    expect(bySeries(rows, 'service_name').products!.map((r) => num(r.value))).toEqual([10, 10]);
  },
  [`${UIDS.servicesOverview}/Latency p99`]: (rows) => {
    const series = bySeries(rows, 'service_name');
    expect(series["pay'ments"]!.map((r) => num(r.value))).toEqual([30]);
    for (const r of series.checkout!) expect(num(r.value)).toBeGreaterThan(50);
  },

  [`${UIDS.serviceDetail}/service`]: (rows) => expect(rows.map((r) => r.service_name)).toEqual(['checkout', "pay'ments", 'products']),
  [`${UIDS.serviceDetail}/operation`]: (rows) => expect(rows.map((r) => r.span_name)).toEqual(['GET /products', 'POST /checkout']),
  [`${UIDS.serviceDetail}/Operations`]: (rows) => {
    expect(rows.map((r) => [r.Operation, r.Kind, num(r.Spans), num(r.Errors)])).toEqual([
      ['POST /checkout', 'server', 30, 6],
      ['GET /products', 'client', 20, 0],
    ]);
    expect(num(rows[1]!.p95)).toBe(20);
  },
  [`${UIDS.serviceDetail}/Request rate`]: (rows) => {
    const series = bySeries(rows, 'span_name');
    expect(Object.keys(series)).toEqual(['POST /checkout']);
    expect(series['POST /checkout']!.map((r) => num(r.value) * SEED.interval)).toEqual([10, 10, 10]);
  },
  [`${UIDS.serviceDetail}/Error ratio`]: (rows) => expect(rows.map((r) => num(r.value))).toEqual([0.2, 0.2, 0.2]),
  [`${UIDS.serviceDetail}/Latency p95`]: (rows) => {
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(num(r.value)).toBeGreaterThanOrEqual(50);
  },
  [`${UIDS.serviceDetail}/Recent errors`]: (rows) => {
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => r.Trace)).toEqual(SEED.checkoutErrorTraceIds.slice().reverse());
    expect(rows.every((r) => num(r['HTTP status']) === 500 && num(r.Duration) === 400 && r.Operation === 'POST /checkout')).toBe(true);
  },
  [`${UIDS.serviceDetail}/Slowest spans`]: (rows) => {
    expect(rows).toHaveLength(50);
    expect(rows.slice(0, 6).map((r) => num(r.Duration))).toEqual([400, 400, 400, 400, 400, 400]);
    expect(num(rows[6]!.Duration)).toBe(50);
    expect(num(rows[49]!.Duration)).toBe(20);
  },

  [`${UIDS.trace}/Summary`]: (rows) => {
    expect(rows).toHaveLength(1);
    expect([num(rows[0]!.Spans), num(rows[0]!.Services), num(rows[0]!.Errors), rows[0]!['Service names']]).toEqual([3, 2, 0, 'checkout, products']);
    expect(num(rows[0]!.Duration)).toBe(50);
  },
  [`${UIDS.trace}/Waterfall`]: (rows) => {
    expect(rows[0]!.tags).toEqual([
      { key: 'http.route', value: '/checkout' },
      { key: 'http.response.status_code', value: '200' },
    ]);
    expect(rows[2]!.serviceTags).toEqual([{ key: 'service.name', value: 'products' }]);
    expect(rows.map((r) => [r.serviceName, r.operationName, r.kind, num(r.duration)])).toEqual([
      ['checkout', 'POST /checkout', 'server', 50],
      ['checkout', 'GET /products', 'client', 20],
      ['products', 'GET /products', 'server', 10],
    ]);
    expect(rows[1]!.parentSpanID).toBe(rows[0]!.spanID);
    expect(rows[2]!.parentSpanID).toBe(rows[1]!.spanID);
    expect(rows.every((r) => r.traceID === SEED.traceId)).toBe(true);
  },
  [`${UIDS.trace}/Logs`]: (rows) => {
    expect(rows.map((r) => [r.service_name, r.body, r.level])).toEqual([
      ['checkout', 'checkout started', 'info'],
      ['products', 'looked up 3 products', 'debug'],
    ]);
    expect(String(rows[0]!.timestamp)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  },

  [`${UIDS.sloOverview}/service`]: (rows) => expect(rows.map((r) => r.service)).toEqual(['checkout', 'products']),
  [`${UIDS.sloOverview}/SLOs`]: (rows) => {
    expect(rows.map((r) => [r.SLO, r.Service, r.Name, r['Burn rates'], r.Alert])).toEqual([
      [SLO_SEED.checkout, 'checkout', 'Checkout availability', '5m 20x  30m 16x  1h 15x  6h 2x', 'page'],
      [SLO_SEED.products, 'products', 'Products latency', '5m 0.5x  30m 0.4x  1h 0.3x  6h –', 'ok'],
    ]);
    // The objective is stored as percent for one SLO and as a fraction for the other: both read as a fraction.
    expect(num(rows[0]!.Objective)).toBeCloseTo(0.999, 12);
    expect(num(rows[1]!.Objective)).toBe(0.99);
    expect(rows.map((r) => [num(r.SLI), num(r['Budget remaining'])])).toEqual([
      [0.99, SLO_SEED.budget(9)],
      [0.995, 0.9],
    ]);
    expect([num(rows[0]!['Budget exhausted in']), rows[1]!['Budget exhausted in']]).toEqual([86400, null]);
  },
  [`${UIDS.sloOverview}/Error budget remaining`]: (rows) => {
    const series = bySeries(rows, 'slo_id');
    expect(series[SLO_SEED.checkout]!.map((r) => num(r.value))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(SLO_SEED.budget));
    expect(series[SLO_SEED.products]!.every((r) => num(r.value) === 0.9)).toBe(true);
  },
  [`${UIDS.sloOverview}/SLI`]: (rows) => {
    const series = bySeries(rows, 'slo_id');
    expect(series[SLO_SEED.checkout]!.map((r) => num(r.value))).toEqual(Array(10).fill(0.99));
    expect(series[SLO_SEED.products]).toHaveLength(10);
  },

  [`${UIDS.sloDetail}/service`]: (rows) => expect(rows.map((r) => r.service)).toEqual(['checkout', 'products']),
  [`${UIDS.sloDetail}/slo`]: (rows) => expect(rows.map((r) => r.slo_id)).toEqual([SLO_SEED.checkout, SLO_SEED.products]),
  [`${UIDS.sloDetail}/Objective`]: (rows) => {
    expect(rows).toHaveLength(1);
    expect(num(rows[0]!.Objective)).toBeCloseTo(0.999, 12);
  },
  [`${UIDS.sloDetail}/SLI`]: (rows) => expect(rows.map((r) => num(r.SLI))).toEqual([0.99]),
  [`${UIDS.sloDetail}/Budget remaining`]: (rows) => expect(rows.map((r) => num(r['Budget remaining']))).toEqual([SLO_SEED.budget(9)]),
  [`${UIDS.sloDetail}/Budget exhausted in`]: (rows) => expect(rows.map((r) => num(r['Budget exhausted in']))).toEqual([86400]),
  [`${UIDS.sloDetail}/Alert`]: (rows) => expect(rows).toEqual([{ Alert: 'page' }]),
  [`${UIDS.sloDetail}/Alert tiers`]: (rows) => {
    expect(rows.map((r) => [r.Severity, r.Windows, num(r.Threshold), num(r['Burn rate (long)']), num(r['Burn rate (short)']), r.State])).toEqual([
      ['page', '1h / 5m', 14.4, 15, 20, 'burning'],
      ['ticket', '6h / 30m', 6, 2, 16, 'ok'],
    ]);
  },
  [`${UIDS.sloDetail}/SLI over time`]: (rows) => {
    expect(rows).toHaveLength(10);
    for (const r of rows) {
      expect(num(r.SLI)).toBe(0.99);
      expect(num(r.Objective)).toBeCloseTo(0.999, 12);
    }
  },
  [`${UIDS.sloDetail}/Burn rate per window`]: (rows) => {
    const series = bySeries(rows, 'series');
    expect(Object.keys(series).sort()).toEqual(['burn 1h', 'burn 30m', 'burn 5m', 'burn 6h', 'threshold page 1h/5m', 'threshold ticket 6h/30m']);
    for (const r of series['burn 5m']!) expect(num(r.value)).toBe(20);
    for (const r of series['threshold page 1h/5m']!) expect(num(r.value)).toBe(14.4);
    expect(series['burn 5m']).toHaveLength(10);
  },
  [`${UIDS.sloDetail}/Error budget remaining`]: (rows) =>
    expect(rows.map((r) => num(r['Budget remaining']))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(SLO_SEED.budget)),
  [`${UIDS.sloDetail}/Alert timeline`]: (rows) => {
    const series = bySeries(rows, 'kind');
    expect(Object.keys(series).sort()).toEqual(['no-data', 'page', 'ticket']);
    expect(series.page!.map((r) => num(r.value))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(series.ticket!.every((r) => num(r.value) === 0)).toBe(true);
  },
  [`${UIDS.sloDetail}/Notifications`]: (rows) => {
    expect(rows.map((r) => [r.Channel, r.Outcome, num(r['HTTP status']), num(r.Attempts), r.Error])).toEqual([
      ['slack', 'failed', 500, 3, 'HTTP 500'],
      ['webhook', 'delivered', 200, 1, ''],
    ]);
  },

  [`${UIDS.metrics}/service`]: (rows) => expect(rows.map((r) => r.service_name)).toEqual(['checkout']),
  [`${UIDS.metrics}/metric`]: (rows) => expect(rows.map((r) => r.metric_name)).toEqual(Object.values(METRIC_SEED).sort()),
  [`${UIDS.metrics}/Gauge`]: (rows) => expect(rows.map((r) => [r.series, num(r.value)])).toEqual([['queue=orders', 1], ['queue=orders', 2], ['queue=orders', 3]]),
  [`${UIDS.metrics}/Sum`]: (rows) => {
    expect(rows.map((r) => r.series)).toEqual(Array(3).fill('queue=orders (per second)'));
    for (const r of rows) expect(num(r.value) * SEED.interval).toBeCloseTo(10, 9);
  },
  [`${UIDS.metrics}/Histogram mean`]: (rows) => expect(rows.map((r) => [r.series, num(r.value)])).toEqual(Array(3).fill([METRIC_SEED.histogram, 0.1])),
  [`${UIDS.metrics}/Histogram count`]: (rows) => {
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(num(r.value) * SEED.interval).toBeCloseTo(20, 9);
  },
  [`${UIDS.metrics}/Latest points`]: (rows) => {
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ Type: 'histogram (delta)', Attributes: METRIC_SEED.histogram, Value: 'count 20, sum 2' });
  },

  [`${UIDS.trace}/Spans`]: (rows) => {
    expect(rows.map((r) => [num(r.Offset), r.Service, r.Kind, r.Status])).toEqual([
      [0, 'checkout', 'server', 'ok'],
      [5, 'checkout', 'client', 'unset'],
      [6, 'products', 'server', 'unset'],
    ]);
  },
};

/** Variable selections per dashboard; ALL resolves to the options its variable query returns. */
const SELECTIONS: Record<string, Record<string, string | string[]>> = {
  [UIDS.servicesOverview]: { service: ALL },
  [UIDS.serviceDetail]: { service: 'checkout', operation: ALL },
  // Upper case on purpose: the dashboard lowercases what a user pastes.
  [UIDS.trace]: { trace_id: SEED.traceId.toUpperCase() },
  [UIDS.sloOverview]: { service: ALL },
  [UIDS.sloDetail]: { service: ALL, slo: SLO_SEED.checkout },
  [UIDS.metrics]: { service: 'checkout', metric: METRIC_SEED.histogram },
};

/** Panels that show one kind of metric are tested with a metric of that kind. */
const PANEL_SELECTIONS: Record<string, Record<string, string>> = {
  [`${UIDS.metrics}/Gauge`]: { metric: METRIC_SEED.gauge },
  [`${UIDS.metrics}/Sum`]: { metric: METRIC_SEED.sum },
};

describe('dashboard queries on ClickHouse, on seeded spans', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('dashboards');
    await db.ch.insertJson('spans', seedRows());
    await db.ch.insertJson('logs', logRows());
    for (const [table, rows] of [...Object.entries(sloRows()), ...Object.entries(metricRows())]) {
      // One insert per row: ReplacingMergeTree versions must land in separate parts to be tested.
      for (const row of rows) await db.ch.insertJson(table, [row]);
    }
  });
  afterAll(async () => db?.close());

  const run = async (sql: string, ctx: QueryContext) => db.ch.query<Row>(expandQuery(sql, ctx));

  /** Resolves the dashboard's variables in order, the way Grafana refreshes them. */
  async function contextFor(d: Dashboard, panelTitle?: string): Promise<QueryContext> {
    const ctx: QueryContext = { from: SEED.from, to: SEED.to, intervalSeconds: SEED.interval, variables: {} };
    for (const v of d.templating.list) {
      const value = PANEL_SELECTIONS[`${d.uid}/${panelTitle}`]?.[v.name] ?? SELECTIONS[d.uid]?.[v.name];
      expect(value, `no test selection for ${d.uid} $${v.name}`).toBeDefined();
      const options = v.type === 'query' ? (await run(variableSql(v), ctx)).map((r) => String(Object.values(r)[0])) : undefined;
      ctx.variables[v.name] = { value: value!, options };
    }
    return ctx;
  }

  it('every panel and variable has an expected result in this test', () => {
    const keys = dashboards.flatMap((d) => [...d.templating.list.filter((v) => v.type === 'query').map((v) => `${d.uid}/${v.name}`), ...d.panels.map((p) => `${d.uid}/${p.title}`)]);
    expect(keys.filter((k) => !EXPECTED[k])).toEqual([]);
  });

  for (const d of dashboards) {
    for (const v of d.templating.list.filter((x) => x.type === 'query')) {
      it(`${d.title}: variable $${v.name}`, async () => {
        const ctx = await contextFor(d);
        EXPECTED[`${d.uid}/${v.name}`]!(await run(variableSql(v), ctx));
      });
    }
    for (const p of d.panels) {
      const modernOnly = MODERN_ONLY.get(`${d.uid}/${p.title}`);
      if (modernOnly && onServer1816) {
        // Modern-only on purpose (the reason is in the panel's spec): 18.16 must refuse it, not misread it.
        it(`${d.title}: ${p.title} is refused by ClickHouse 18.16 (modern-only: ${modernOnly.split(';')[0]})`, async () => {
          const ctx = await contextFor(d, p.title);
          await expect(run(p.targets[0]!.rawSql, ctx)).rejects.toThrow(/Unknown function map/);
        });
        continue;
      }
      it(`${d.title}: ${p.title}`, async () => {
        const ctx = await contextFor(d, p.title);
        const rows = await run(p.targets[0]!.rawSql, ctx);
        expect(rows.length, 'non-empty on the seed').toBeGreaterThan(0);
        if (p.targets[0]!.format === 0) {
          for (const r of rows) expect(String(r.time)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
          const times = rows.map((r) => String(r.time));
          expect(times, 'sorted by time').toEqual([...times].sort());
        }
        EXPECTED[`${d.uid}/${p.title}`]!(rows);
      });
    }
  }

  it('a single service whose name has a quote selects only that service', async () => {
    const d = dashboards.find((x) => x.uid === UIDS.servicesOverview)!;
    const ctx: QueryContext = { from: SEED.from, to: SEED.to, intervalSeconds: SEED.interval, variables: { service: { value: ["pay'ments"] } } };
    const rows = await run(d.panels.find((p) => p.title === 'Services')!.targets[0]!.rawSql, ctx);
    expect(rows.map((r) => [r.Service, num(r.Requests)])).toEqual([["pay'ments", 5]]);
  });

  it('a wider interval sums the same requests into fewer buckets', async () => {
    const d = dashboards.find((x) => x.uid === UIDS.servicesOverview)!;
    const ctx: QueryContext = { from: SEED.from, to: SEED.to, intervalSeconds: 300, variables: { service: { value: ['checkout'] } } };
    const rows = await run(d.panels.find((p) => p.title === 'Request rate')!.targets[0]!.rawSql, ctx);
    expect(rows).toHaveLength(1);
    expect(num(rows[0]!.value) * 300).toBeCloseTo(30, 9);
  });

  it('an unknown trace id shows nothing', async () => {
    const d = dashboards.find((x) => x.uid === UIDS.trace)!;
    const ctx: QueryContext = { from: SEED.from, to: SEED.to, intervalSeconds: SEED.interval, variables: { trace_id: { value: 'f'.repeat(32) } } };
    for (const p of d.panels) {
      if (onServer1816 && MODERN_ONLY.has(`${d.uid}/${p.title}`)) continue; // refused by 18.16: tested above
      expect(await run(p.targets[0]!.rawSql, ctx), p.title).toEqual([]);
    }
  });
});
