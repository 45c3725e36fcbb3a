// Measures the three insert formats ClickHouse 18.16 and current versions share, on span rows:
// serialization time in Node plus insert time on a private server. `npm run bench:formats`.
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startLocalClickhouse } from '../storage/local-server.ts';
import { connectClickhouse, ensureDatabase } from '../storage/client.ts';
import { migrate } from '../storage/migrate.ts';
import { tracesMigrations } from '../storage/migrations/traces.ts';
import { SPAN_COLUMNS, spanToTsv } from './spans-tsv.ts';
import { writeSpanRow } from '../collector/rows/spans-row-binary.ts';
import { RowBinaryWriter } from '../collector/rows/row-binary.ts';
import type { SpanRow } from '../collector/rows/types.ts';
import { realisticSpanRows } from './span-rows.ts';

const ROWS = Number(process.argv[2] ?? 200_000);

function spanToJson(r: SpanRow): string {
  return JSON.stringify({
    tenant: r.tenant, timestamp: r.timestamp, start_time_ns: String(r.startTimeNs), end_time_ns: String(r.endTimeNs), duration_ns: String(r.durationNs),
    trace_id: r.traceId, span_id: r.spanId, parent_span_id: r.parentSpanId, trace_state: r.traceState, flags: r.flags,
    name: r.name, kind: r.kind, status_code: r.statusCode, status_message: r.statusMessage, http_route: r.httpRoute, http_status_code: r.httpStatusCode,
    'attributes.key': r.attributes.keys, 'attributes.type': r.attributes.types, 'attributes.value': r.attributes.values, dropped_attributes_count: r.droppedAttributesCount,
    'events.time_ns': r.events.map((e) => String(e.timeNs)), 'events.name': r.events.map((e) => e.name), 'events.attributes': r.events.map((e) => e.attributesJson), 'events.dropped_attributes_count': r.events.map((e) => e.droppedAttributesCount), dropped_events_count: r.droppedEventsCount,
    'links.trace_id': [], 'links.span_id': [], 'links.trace_state': [], 'links.flags': [], 'links.attributes': [], 'links.dropped_attributes_count': [], dropped_links_count: r.droppedLinksCount,
    service_name: r.resource.serviceName, service_namespace: r.resource.serviceNamespace, deployment_environment: r.resource.deploymentEnvironment,
    'resource_attributes.key': r.resource.attributes.keys, 'resource_attributes.type': r.resource.attributes.types, 'resource_attributes.value': r.resource.attributes.values,
    resource_dropped_attributes_count: r.resource.droppedAttributesCount, resource_schema_url: r.resource.schemaUrl,
    scope_name: r.scope.name, scope_version: r.scope.version, scope_attributes: r.scope.attributesJson, scope_dropped_attributes_count: r.scope.droppedAttributesCount, scope_schema_url: r.scope.schemaUrl,
  }) + '\n';
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-bench-formats-'));
  const server = await startLocalClickhouse({ dir });
  const config = { url: server.url, username: 'default', password: '', database: 'bench' };
  await ensureDatabase(config);
  const ch = connectClickhouse(config, { requestTimeoutMs: 300_000 });
  await migrate(ch, tracesMigrations);
  const rows = realisticSpanRows(ROWS);
  const results: Record<string, unknown>[] = [];
  const formats: [string, () => Buffer][] = [
    ['TabSeparated', () => { let s = ''; for (const r of rows) s += spanToTsv(r); return Buffer.from(s); }],
    ['JSONEachRow', () => { let s = ''; for (const r of rows) s += spanToJson(r); return Buffer.from(s); }],
    ['RowBinary', () => { const w = new RowBinaryWriter(1 << 20); for (const r of rows) writeSpanRow(w, r); return w.take(); }],
  ];
  for (const [format, encode] of formats) {
    await ch.command('TRUNCATE TABLE spans');
    const t0 = performance.now();
    const body = encode();
    const t1 = performance.now();
    const columns = SPAN_COLUMNS.join(', ');
    // RowBinary is not in the client's format list: send it as a raw HTTP insert.
    const res = await fetch(`${server.url}/?database=bench&query=${encodeURIComponent(`INSERT INTO spans (${columns}) FORMAT ${format}`)}`, { method: 'POST', body: Readable.toWeb(Readable.from([body], { objectMode: false })) as unknown as BodyInit, duplex: 'half' } as RequestInit);
    if (!res.ok) throw new Error(`${format}: ${res.status} ${await res.text()}`);
    await res.text();
    const t2 = performance.now();
    const [{ n }] = await ch.query<{ n: string }>('SELECT count() AS n FROM spans');
    if (Number(n) !== ROWS) throw new Error(`${format}: stored ${n} rows, expected ${ROWS}`);
    results.push({ format, rows: ROWS, bytes: body.length, encodeMs: Math.round(t1 - t0), insertMs: Math.round(t2 - t1), rowsPerSecEndToEnd: Math.round(ROWS / ((t2 - t0) / 1000)) });
  }
  console.table(results);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/insert-formats.json', JSON.stringify({ machine: { cpus: 2 }, clickhouse: await ch.serverVersion(), results }, null, 2));
  await ch.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

await main();
