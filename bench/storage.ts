// Storage benchmark (`npm run bench:storage`, issue 16): the same spans stored burnrate's way and the
// OpenTelemetry Collector ClickHouse exporter's way, on the embedded current ClickHouse, side by side:
// bytes on disk per span (every table and view each side needs), trace-by-id latency, RED per span
// name of one service over the last hour, the slowest 20 spans of a service with an attribute value,
// and insert throughput. burnrate is measured in its current-server layout, and in the portable
// layout 18.16 gets, for reference.
//
//   npm run bench:storage -- [--spans 2000000] [--services 50] [--hours 2] [--rounds 7] [--keep]
//
// Prints a table (ratios burnrate / exporter) and writes .bench/storage.json. See docs/performance.md.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClickhouse, ensureDatabase } from '../storage/client.ts';
import { startEmbeddedClickhouse } from '../storage/embedded/start.ts';
import { migrate } from '../storage/migrate.ts';
import { ALL_MIGRATIONS } from '../storage/migrations/index.ts';
import { identifier, literal } from '../storage/sql.ts';
import { SPAN_COLUMNS } from '../collector/rows/spans-row-binary.ts';
import { closeHttp, postQuery, selectRows, type HttpQuery } from './clickhouse-http.ts';
import { EXPORTER_DDL, exporterRowsFrom } from './storage/exporter-schema.ts';
import { burnrateCurrent, burnratePortable, exporter, type Questions } from './storage/queries.ts';
import { spanBatches } from './storage/spans.ts';
import { measureInserts, type InsertSide } from './storage/inserts.ts';

const { values: flags } = parseArgs({
  options: {
    spans: { type: 'string', default: '2000000' },
    services: { type: 'string', default: '50' },
    hours: { type: 'string', default: '2' },
    /** Repetitions of every question (each with other trace ids and services); medians are reported. */
    rounds: { type: 'string', default: '7' },
    /** Rows per insert, as the collector's writer batches them (and the exporter's batch processor). */
    'insert-rows': { type: 'string', default: '50000' },
    keep: { type: 'boolean', default: false },
  },
});
const SPANS = Number(flags.spans);
const SERVICES = Number(flags.services);
const HOURS = Number(flags.hours);
const ROUNDS = Math.max(1, Number(flags.rounds));
const INSERT_ROWS = Number(flags['insert-rows']);
const round = (x: number, digits = 0) => Number(x.toFixed(digits));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Side extends InsertSide {
  label: string;
  questions: Questions;
}

const SIDES: Side[] = [
  { key: 'current', label: 'burnrate (current-server layout)', database: 'burnrate_current', questions: burnrateCurrent, tables: ['spans', 'trace_index', 'span_red_1m'], spansTable: 'spans' },
  { key: 'exporter', label: 'clickhouseexporter (otel_traces)', database: 'otel', questions: exporter, tables: ['otel_traces', 'otel_traces_trace_id_ts'], spansTable: 'otel_traces' },
  { key: 'portable', label: 'burnrate (portable layout, as on 18.16)', database: 'burnrate_portable', questions: burnratePortable, tables: ['spans', 'trace_index', 'span_red_1m'], spansTable: 'spans' },
];

/** The migrations 18.16 gets: those with statements there (the current-server layout's have none). */
const PORTABLE_MIGRATIONS = ALL_MIGRATIONS.filter((m) => m.up({ serverVersion: '18.16.1' }).length > 0);

async function main() {
  const loadAtStart = loadavg().map((x) => round(x, 2));
  log(`${SPANS} spans, ${SERVICES} services over ${HOURS} h; load average ${loadAtStart.join(' ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-bench-storage-'));
  const engine = await startEmbeddedClickhouse({ dir });
  log(`embedded ClickHouse ${engine.version} at ${engine.url} (data in ${dir})`);
  // No caching of filter results between repetitions: every question is answered from the data.
  const at = (database: string, settings: Record<string, string | number> = {}): HttpQuery => ({ url: engine.url, database, settings: { use_query_condition_cache: 0, use_query_cache: 0, ...settings } });
  const results: Record<string, unknown> = {};
  try {
    // ---- schemas: burnrate's migrations (all of them / the portable ones), the exporter's DDL
    const createSide = async (side: Side, database: string) => {
      const config = { url: engine.url, username: 'default', password: '', database };
      await ensureDatabase(config);
      if (side.key === 'exporter') {
        for (const ddl of EXPORTER_DDL) await postQuery(at(database), ddl);
        return;
      }
      const ch = connectClickhouse(config);
      try {
        await migrate(ch, side.key === 'portable' ? PORTABLE_MIGRATIONS : ALL_MIGRATIONS);
      } finally {
        await ch.close();
      }
    };
    for (const side of SIDES) await createSide(side, side.database);

    // ---- load: the collector's RowBinary bodies into both burnrate layouts (interleaved, timed),
    // then the same spans into otel_traces, converted by the server (the exporter's own encoding is
    // measured below, in Native, like everyone's).
    const insertSql = `INSERT INTO spans (${SPAN_COLUMNS.map(identifier).join(', ')}) FORMAT RowBinary`;
    const loadSeconds = { current: 0, portable: 0 };
    let loaded = 0;
    let turn = 0;
    const t0 = performance.now();
    for (const batch of spanBatches({ total: SPANS, services: SERVICES, hours: HOURS, rowsPerInsert: INSERT_ROWS, nowMs: Date.now() })) {
      const order = turn++ % 2 === 0 ? (['current', 'portable'] as const) : (['portable', 'current'] as const);
      for (const key of order) {
        const start = performance.now();
        await postQuery(at(SIDES.find((s) => s.key === key)!.database), insertSql, batch.body);
        loadSeconds[key] += (performance.now() - start) / 1000;
      }
      loaded += batch.rows;
      if (turn % 10 === 0) log(`loaded ${loaded} spans`);
    }
    log(`loaded ${loaded} spans in ${round((performance.now() - t0) / 1000, 1)} s (RowBinary inserts: current ${round(loadSeconds.current, 1)} s, portable ${round(loadSeconds.portable, 1)} s)`);
    let start = performance.now();
    await postQuery(at('otel'), exporterRowsFrom('burnrate_current'));
    log(`otel_traces filled from burnrate's rows in ${round((performance.now() - start) / 1000, 1)} s`);
    for (const side of SIDES) {
      const [row] = await selectRows<{ n: string }>(at(side.database), `SELECT count() AS n FROM ${side.spansTable}`);
      if (Number(row!.n) !== loaded) throw new Error(`${side.label}: ${row!.n} spans stored, ${loaded} loaded`);
    }
    results.rowBinaryInsert = {
      current: Math.round(loaded / loadSeconds.current),
      portable: Math.round(loaded / loadSeconds.portable),
    };

    // ---- bytes on disk, every table of each side fully merged (as parts end up after background merges)
    const bytes: Record<string, { total: number; perSpan: number; tables: Record<string, { rows: number; bytes: number; compressed: number; uncompressed: number }> }> = {};
    for (const side of SIDES) {
      for (const table of side.tables) await postQuery(at(side.database), `OPTIMIZE TABLE ${table} FINAL`);
      const parts = await selectRows<{ table: string; rows: string; bytes: string; compressed: string; uncompressed: string }>(
        at(side.database),
        `SELECT table, sum(rows) AS rows, sum(bytes_on_disk) AS bytes, sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed
         FROM system.parts WHERE database = ${literal(side.database)} AND active GROUP BY table ORDER BY table`,
      );
      const tables = Object.fromEntries(parts.map((p) => [p.table, { rows: Number(p.rows), bytes: Number(p.bytes), compressed: Number(p.compressed), uncompressed: Number(p.uncompressed) }]));
      const total = parts.reduce((a, p) => a + Number(p.bytes), 0);
      bytes[side.key] = { total, perSpan: round(total / loaded, 1), tables };
      log(`${side.label}: ${round(total / 2 ** 20, 1)} MiB on disk = ${round(total / loaded, 1)} bytes/span (${parts.map((p) => `${p.table} ${round(Number(p.bytes) / 2 ** 20, 1)} MiB`).join(', ')})`);
    }
    const columns = await selectRows<{ name: string; type: string; codec: string; compressed: string; uncompressed: string }>(
      at('burnrate_current'),
      `SELECT name, type, compression_codec AS codec, data_compressed_bytes AS compressed, data_uncompressed_bytes AS uncompressed FROM system.columns
       WHERE database = 'burnrate_current' AND table = 'spans' ORDER BY data_compressed_bytes DESC LIMIT 12`,
    );
    const exporterColumns = await selectRows<{ name: string; compressed: string }>(
      at('otel'),
      `SELECT name, data_compressed_bytes AS compressed FROM system.columns WHERE database = 'otel' AND table = 'otel_traces' ORDER BY data_compressed_bytes DESC LIMIT 12`,
    );
    const indexBytes = await selectRows<{ database: string; name: string; bytes: string }>(
      at('default'),
      `SELECT database, name, data_compressed_bytes AS bytes FROM system.data_skipping_indices WHERE database IN ('burnrate_current', 'otel') ORDER BY database, name`,
    );
    results.bytes = bytes;
    results.largestColumns = { current: columns, exporter: exporterColumns, skipIndexes: indexBytes };
    log(`largest columns, burnrate current: ${columns.map((c) => `${c.name} ${round(Number(c.compressed) / loaded, 1)} B/span`).join(', ')}`);
    log(`largest columns, exporter: ${exporterColumns.map((c) => `${c.name} ${round(Number(c.compressed) / loaded, 1)} B/span`).join(', ')}`);
    log(`skip indexes: ${indexBytes.map((c) => `${c.database}.${c.name} ${round(Number(c.bytes) / loaded, 2)} B/span`).join(', ')}`);

    // ---- questions: the same instances asked of every side, rounds interleaved, order rotated
    const nowMinute = Math.floor(Date.now() / 60_000) * 60;
    const since = nowMinute - 3600;
    const sample = await selectRows<{ trace_id: string; service_name: string; path: string }>(
      at('burnrate_current'),
      `SELECT trace_id, service_name, attributes.value[indexOf(attributes.key, 'url.path')] AS path FROM spans
       WHERE timestamp >= toDateTime(${since}) AND parent_span_id = '' ORDER BY cityHash64(span_id) LIMIT ${ROUNDS}`,
    );
    type Kind = 'traceById' | 'red' | 'slowestCommon' | 'slowestRare';
    const ask = (q: Questions, kind: Kind, i: number) => {
      const s = sample[i % sample.length]!;
      if (kind === 'traceById') return q.traceById(s.trace_id);
      if (kind === 'red') return q.redBySpanName(s.service_name, since);
      // A value shared by 1/8 of the spans, and one held by a handful (a specific URL path).
      if (kind === 'slowestCommon') return q.slowestWithAttribute(s.service_name, since, 'http.route', '/checkout');
      return q.slowestWithAttribute(s.service_name, since, 'url.path', s.path);
    };
    const kinds: Kind[] = ['traceById', 'red', 'slowestCommon', 'slowestRare'];
    const times: Record<string, Record<Kind, number[]>> = {};
    const answers: Record<string, Record<string, string>> = {};
    for (const side of SIDES) {
      times[side.key] = { traceById: [], red: [], slowestCommon: [], slowestRare: [] };
      answers[side.key] = {};
    }
    // One unmeasured pass warms every side's files into the page cache alike.
    for (const kind of kinds) for (const side of SIDES) await postQuery(at(side.database), ask(side.questions, kind, 0));
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of kinds) {
        const order = SIDES.map((_, k) => SIDES[(k + i) % SIDES.length]!);
        for (const side of order) {
          const t = performance.now();
          const rows = await selectRows<Record<string, unknown>>(at(side.database), ask(side.questions, kind, i));
          times[side.key]![kind].push(performance.now() - t);
          answers[side.key]![`${kind}#${i}`] = fingerprint(kind, rows);
        }
      }
    }
    // The sides must give the same answers (else the comparison is of different work).
    for (const [key, value] of Object.entries(answers.current!)) {
      for (const other of ['exporter', 'portable']) {
        if (answers[other]![key] !== value) throw new Error(`answers differ for ${key}: current ${value.slice(0, 200)} vs ${other} ${answers[other]![key]!.slice(0, 200)}`);
      }
    }
    results.queryMs = Object.fromEntries(SIDES.map((side) => [side.key, Object.fromEntries(kinds.map((k) => [k, round(median(times[side.key]![k]), 1)]))]));
    // Rows and bytes each side reads for one instance of every question (the JSON format's statistics).
    const readRows: Record<string, Record<string, string>> = {};
    for (const side of SIDES) {
      readRows[side.key] = {};
      for (const kind of kinds) {
        const text = (await postQuery(at(side.database), `${ask(side.questions, kind, 0)} FORMAT JSON`)).toString('utf8');
        const stats = (JSON.parse(text) as { statistics?: { rows_read?: number; bytes_read?: number } }).statistics;
        readRows[side.key]![kind] = `${stats?.rows_read ?? '?'} rows, ${round((stats?.bytes_read ?? 0) / 2 ** 20, 1)} MiB`;
      }
    }
    results.queryReadRows = readRows;
    log(`query medians (ms): ${JSON.stringify(results.queryMs)}`);

    // ---- insert throughput (bench/storage/inserts.ts)
    const inserts = await measureInserts({ sides: SIDES, loaded, rowsPerInsert: INSERT_ROWS, at, createSide });
    results.nativeInsert = inserts.rates;
    results.nativeBodyBytesPerSpan = inserts.nativeBodyBytesPerSpan;
    log(`Native inserts (rows/s): ${JSON.stringify(results.nativeInsert)}`);
  } finally {
    closeHttp();
    if (flags.keep) log(`embedded ClickHouse left running at ${engine.url}, data in ${dir}`);
    else {
      await engine.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // ---- the table
  const r = results as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const table: Record<string, unknown>[] = [];
  const line = (measure: string, current: number, exp: number, portable: number, unit: string, lowerIsBetter: boolean) => {
    const ratio = current / exp;
    table.push({
      measure,
      'burnrate (current)': `${current} ${unit}`,
      exporter: `${exp} ${unit}`,
      'burnrate / exporter': `${round(ratio, 2)}x`,
      goal: lowerIsBetter ? '<= 1x' : '>= 1x',
      result: (lowerIsBetter ? ratio <= 1 : ratio >= 1) ? 'PASS' : 'FAIL',
      'burnrate (portable, info)': `${portable} ${unit}`,
    });
  };
  line('bytes on disk per span (all tables)', r.bytes.current.perSpan, r.bytes.exporter.perSpan, r.bytes.portable.perSpan, 'B', true);
  line('trace by id (median)', r.queryMs.current.traceById, r.queryMs.exporter.traceById, r.queryMs.portable.traceById, 'ms', true);
  line('RED per span name, one service, last hour', r.queryMs.current.red, r.queryMs.exporter.red, r.queryMs.portable.red, 'ms', true);
  line('slowest 20 of a service, http.route = /checkout', r.queryMs.current.slowestCommon, r.queryMs.exporter.slowestCommon, r.queryMs.portable.slowestCommon, 'ms', true);
  line('slowest 20 of a service, url.path = one value', r.queryMs.current.slowestRare, r.queryMs.exporter.slowestRare, r.queryMs.portable.slowestRare, 'ms', true);
  line('insert throughput (Native, 50k-row inserts, views included)', r.nativeInsert.current.best, r.nativeInsert.exporter.best, r.nativeInsert.portable.best, 'rows/s', false);
  console.table(table);
  const loadAtEnd = loadavg().map((x) => round(x, 2));
  console.log(`burnrate's spans table alone (views dropped), Native: ${r.nativeInsert.currentSpansAlone.best} rows/s (the trace_index and span_red_1m views cost the rest)`);
  console.log(`burnrate's own encoding (RowBinary) into the current layout, same spans and rounds: ${r.nativeInsert.currentRowBinary.best} rows/s`);
  console.log(`while loading (RowBinary, ${INSERT_ROWS}-row inserts, payloads built between inserts): current layout ${r.rowBinaryInsert.current} rows/s, portable ${r.rowBinaryInsert.portable} rows/s`);
  console.log(`rows read per question: ${JSON.stringify(r.queryReadRows)}`);
  console.log(`load average at start ${loadAtStart.join(' ')}, at end ${loadAtEnd.join(' ')} (2 cores shared with other processes: compare ratios, not times)`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/storage.json', JSON.stringify({ at: new Date().toISOString(), spans: SPANS, services: SERVICES, hours: HOURS, rounds: ROUNDS, loadAtStart, loadAtEnd, results, table }, null, 2));
  log('wrote .bench/storage.json');
}

/** What must agree between the sides: span ids (traces, slowest), counts per span name (RED). */
function fingerprint(kind: string, rows: Record<string, unknown>[]): string {
  if (kind === 'red') return JSON.stringify(rows.map((r) => [r.span_name, String(r.calls), String(r.failures)]));
  return JSON.stringify(rows.map((r) => String(r.span_id ?? r.SpanId)).sort());
}

await main();
