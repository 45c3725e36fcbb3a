import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { resource, scope, spanRow } from '../support/rows.ts';
import { versionAtLeast, type Clickhouse } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { ALL_MIGRATIONS } from '../../storage/migrations/index.ts';
import { CURRENT_LAYOUT_MIN_VERSION } from '../../storage/migrations/current-server.ts';
import { sql } from '../../storage/sql.ts';
import { encodeRows } from '../../collector/writer/batch-writer.ts';
import { SPANS_TABLE } from '../../collector/signals/traces.ts';
import type { SpanRow } from '../../collector/rows/types.ts';

// The spans table has two layouts: the portable one (18.16) and, on current servers, the same columns
// with LowCardinality types, codecs and skip indexes (migrations 111-116, with span_red_1m and trace_index). The collector writes one
// RowBinary encoding to both.

const CURRENT_LAYOUT_MIGRATIONS = [111, 112, 113, 114, 115, 116];

async function insertSpans(ch: Clickhouse, rows: SpanRow[]): Promise<void> {
  const encoded = encodeRows(SPANS_TABLE, rows);
  await ch.insertRaw(SPANS_TABLE.table, SPANS_TABLE.columns, 'RowBinary', Readable.from([encoded.body]));
}

/** Spans with span and resource attributes, an event and a link: every kind of column the layout changes. */
function richSpans(count: number, tag: string): SpanRow[] {
  return Array.from({ length: count }, (_, i) =>
    spanRow({
      name: `GET /items/${i % 5}`,
      httpRoute: `/items/${i % 5}`,
      httpStatusCode: 200,
      statusMessage: i % 7 === 0 ? 'upstream failed' : '',
      attributes: { keys: ['http.route', 'url.path', 'tag'], types: ['string', 'string', 'string'], values: [`/items/${i % 5}`, `/items/${i}`, tag] },
      events: i % 3 === 0 ? [{ timeNs: 1_763_000_000_000_000_001n + BigInt(i), name: 'exception', attributesJson: '[{"key":"exception.type","value":{"stringValue":"Timeout"}}]', droppedAttributesCount: 0 }] : [],
      links: i % 4 === 0 ? [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'k=v', flags: 1, attributesJson: '[]', droppedAttributesCount: 0 }] : [],
      resource: resource({
        serviceName: `svc-${i % 3}`,
        serviceNamespace: 'shop',
        deploymentEnvironment: 'prod',
        attributes: { keys: ['service.name', 'host.name'], types: ['string', 'string'], values: [`svc-${i % 3}`, `node-${i % 2}`] },
      }),
      scope: scope({ name: '@opentelemetry/instrumentation-http', version: '0.57.0', schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }),
    }),
  );
}

const READ_BACK = `SELECT tenant, toUnixTimestamp(timestamp) AS ts, start_time_ns, end_time_ns, duration_ns, trace_id, span_id, name, kind,
  status_message, service_name, service_namespace, deployment_environment, http_route, http_status_code,
  attributes.key, attributes.type, attributes.value, events.time_ns, events.name, events.attributes,
  links.trace_id, links.span_id, links.trace_state, resource_attributes.key, resource_attributes.value,
  scope_name, scope_version, scope_schema_url
  FROM spans ORDER BY span_id`;

function expectedReadBack(rows: SpanRow[]) {
  return [...rows]
    .sort((a, b) => (a.spanId < b.spanId ? -1 : 1))
    .map((r) => ({
      tenant: r.tenant,
      ts: r.timestamp,
      start_time_ns: String(r.startTimeNs),
      end_time_ns: String(r.endTimeNs),
      duration_ns: String(r.durationNs),
      trace_id: r.traceId,
      span_id: r.spanId,
      name: r.name,
      kind: r.kind,
      status_message: r.statusMessage,
      service_name: r.resource.serviceName,
      service_namespace: r.resource.serviceNamespace,
      deployment_environment: r.resource.deploymentEnvironment,
      http_route: r.httpRoute,
      http_status_code: r.httpStatusCode,
      'attributes.key': r.attributes.keys,
      'attributes.type': r.attributes.types,
      'attributes.value': r.attributes.values,
      'events.time_ns': r.events.map((e) => String(e.timeNs)),
      'events.name': r.events.map((e) => e.name),
      'events.attributes': r.events.map((e) => e.attributesJson),
      'links.trace_id': r.links.map((l) => l.traceId),
      'links.span_id': r.links.map((l) => l.spanId),
      'links.trace_state': r.links.map((l) => l.traceState),
      'resource_attributes.key': r.resource.attributes.keys,
      'resource_attributes.value': r.resource.attributes.values,
      scope_name: r.scope.name,
      scope_version: r.scope.version,
      scope_schema_url: r.scope.schemaUrl,
    }));
}

async function columnTypes(ch: Clickhouse): Promise<Record<string, string>> {
  const rows = await ch.query<{ name: string; type: string }>(sql`SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'spans'`);
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

describe('spans layout per server version', () => {
  let db: TestDatabase;
  let version: string;
  let current: boolean;
  beforeAll(async () => {
    db = await createTestDatabase('schema');
    version = await db.ch.serverVersion();
    current = versionAtLeast(version, CURRENT_LAYOUT_MIN_VERSION);
  });
  afterAll(async () => db?.close());

  it('current servers get LowCardinality, codecs and skip indexes; 18.16 keeps the portable columns', async () => {
    const types = await columnTypes(db.ch);
    const recorded = (await db.ch.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version));
    expect(recorded).toEqual(expect.arrayContaining(CURRENT_LAYOUT_MIGRATIONS));
    if (!current) {
      expect(version.startsWith('18.')).toBe(true);
      expect(types).toMatchObject({ tenant: 'String', service_name: 'String', name: 'String', 'attributes.key': 'Array(String)', 'resource_attributes.value': 'Array(String)', start_time_ns: 'UInt64' });
      return;
    }
    expect(types).toMatchObject({
      tenant: 'LowCardinality(String)',
      service_name: 'LowCardinality(String)',
      name: 'LowCardinality(String)',
      http_route: 'LowCardinality(String)',
      'attributes.key': 'Array(LowCardinality(String))',
      'attributes.value': 'Array(String)',
      'resource_attributes.value': 'Array(LowCardinality(String))',
      trace_id: 'String',
      start_time_ns: 'UInt64',
    });
    const codecs = await db.ch.query<{ name: string; compression_codec: string }>(
      `SELECT name, compression_codec FROM system.columns WHERE database = currentDatabase() AND table = 'spans' AND name IN ('timestamp', 'start_time_ns', 'duration_ns', 'trace_id') ORDER BY name`,
    );
    expect(codecs).toEqual([
      { name: 'duration_ns', compression_codec: 'CODEC(T64, ZSTD(1))' },
      { name: 'start_time_ns', compression_codec: 'CODEC(Delta(8), ZSTD(1))' },
      { name: 'timestamp', compression_codec: 'CODEC(Delta(4), ZSTD(1))' },
      { name: 'trace_id', compression_codec: 'CODEC(ZSTD(1))' },
    ]);
    const indexes = await db.ch.query<{ name: string; type_full: string }>(`SELECT name, type_full FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'spans' ORDER BY name`);
    expect(indexes).toEqual([
      { name: 'attribute_values_bloom', type_full: 'bloom_filter(0.01)' },
      { name: 'trace_id_bloom', type_full: 'bloom_filter(0.001)' },
    ]);
  });

  it("reads back exactly what the collector's RowBinary encoding wrote, on either layout", async () => {
    const rows = richSpans(12, 'same-encoding');
    await insertSpans(db.ch, rows);
    expect(await db.ch.query(READ_BACK)).toEqual(expectedReadBack(rows));
    await db.ch.command('TRUNCATE TABLE spans');
  });

  it('trace id lookups and attribute filters use the skip indexes (current servers)', async ({ skip }) => {
    // 18.16 keeps the portable layout, which has no skip indexes (the test above checks that side).
    if (!current) skip();
    const rows = richSpans(3000, 'indexed');
    await insertSpans(db.ch, rows);
    const target = rows[1234]!;
    // force_data_skipping_indices fails the query when the named index cannot be used for it.
    const byTrace = await db.ch.query<{ span_id: string }>(
      sql`SELECT span_id FROM spans WHERE trace_id = ${target.traceId} AND timestamp >= toDateTime(${target.timestamp}) AND timestamp <= toDateTime(${target.timestamp}) SETTINGS force_data_skipping_indices = 'trace_id_bloom'`,
    );
    expect(byTrace).toEqual([{ span_id: target.spanId }]);
    const byAttribute = await db.ch.query<{ span_id: string }>(
      sql`SELECT span_id FROM spans WHERE service_name = ${target.resource.serviceName}
        AND has(attributes.value, ${target.attributes.values[1]!}) AND attributes.value[indexOf(attributes.key, 'url.path')] = ${target.attributes.values[1]!}
        SETTINGS force_data_skipping_indices = 'attribute_values_bloom'`,
    );
    expect(byAttribute).toEqual([{ span_id: target.spanId }]);
    await db.ch.command('TRUNCATE TABLE spans');
  });
});

describe('an existing portable spans table migrates forward', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('schema_fwd', { migrate: false });
  });
  afterAll(async () => db?.close());

  it('keeps every row when the current-server layout is applied to a table with data', async () => {
    await migrate(db.ch, ALL_MIGRATIONS.filter((m) => !CURRENT_LAYOUT_MIGRATIONS.includes(m.version)));
    const rows = richSpans(40, 'before-upgrade');
    await insertSpans(db.ch, rows);
    const result = await migrate(db.ch);
    expect(result.applied).toEqual(CURRENT_LAYOUT_MIGRATIONS);
    // Rows written before and after the layout change read back the same.
    const later = richSpans(5, 'after-upgrade');
    await insertSpans(db.ch, later);
    expect(await db.ch.query(READ_BACK)).toEqual(expectedReadBack([...rows, ...later]));
    const pending = await db.ch.query<{ n: string }>(`SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND table = 'spans' AND is_done = 0`);
    expect(Number(pending[0]!.n)).toBe(0);
    if (versionAtLeast(await db.ch.serverVersion(), CURRENT_LAYOUT_MIN_VERSION)) expect((await columnTypes(db.ch)).service_name).toBe('LowCardinality(String)');
  });
});
