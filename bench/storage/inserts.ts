// bench:storage's insert-throughput phase: the same sample of spans inserted into empty copies of
// each side's tables (views included), in each side's Native encoding (ClickHouse's own) read back
// from its loaded table, best of interleaved rounds. In the same rounds: burnrate's spans table with
// its two views dropped (what the views cost), and burnrate's own encoding, RowBinary in the
// collector's column order (ClickHouse writes the collector's bytes: LowCardinality as String).
import { identifier, literal } from '../../storage/sql.ts';
import { SPAN_COLUMNS } from '../../collector/rows/spans-row-binary.ts';
import { postQuery, selectRows, type HttpQuery } from '../clickhouse-http.ts';

export interface InsertSide {
  key: 'current' | 'portable' | 'exporter';
  database: string;
  /** Tables the side writes (views write into them). */
  tables: string[];
  /** Span rows are in this table. */
  spansTable: string;
}

export interface InsertContext<S extends InsertSide> {
  sides: S[];
  /** Spans loaded into every side. */
  loaded: number;
  rowsPerInsert: number;
  at(database: string): HttpQuery;
  /** Creates a side's tables (and views) in another database. */
  createSide(side: S, database: string): Promise<void>;
}

const ROUNDS = 3;
const round = (x: number, digits = 0) => Number(x.toFixed(digits));

export async function measureInserts<S extends InsertSide>({ sides, loaded, rowsPerInsert, at, createSide }: InsertContext<S>) {
  // Four chunks of ~rowsPerInsert spans picked by a hash of the span id: the same spans on every side.
  const chunks = Math.max(1, Math.round(loaded / rowsPerInsert));
  const chunkOf = (idColumn: string, k: number) => `cityHash64(${idColumn}) % ${chunks} = ${k}`;
  const sampleChunks = [0, 1, 2, 3].filter((k) => k < chunks);
  const current = sides.find((s) => s.key === 'current')!;
  const [counted] = await selectRows<{ n: string }>(at(current.database), `SELECT count() AS n FROM spans WHERE ${sampleChunks.map((k) => chunkOf('span_id', k)).join(' OR ')}`);
  const sampleRows = Number(counted!.n);

  const nativeBodies = new Map<string, { columns: string; bodies: Buffer[] }>();
  for (const side of sides) {
    const cols = await selectRows<{ name: string }>(
      at(side.database),
      `SELECT name FROM system.columns WHERE database = ${literal(side.database)} AND table = ${literal(side.spansTable)} AND default_kind NOT IN ('ALIAS', 'MATERIALIZED') ORDER BY position`,
    );
    const columns = cols.map((c) => identifier(c.name)).join(', ');
    const bodies: Buffer[] = [];
    for (const k of sampleChunks) {
      bodies.push(await postQuery(at(side.database), `SELECT ${columns} FROM ${side.spansTable} WHERE ${chunkOf(side.key === 'exporter' ? 'SpanId' : 'span_id', k)} FORMAT Native`));
    }
    nativeBodies.set(side.key, { columns, bodies });
    await createSide(side, `${side.database}_insert`);
  }
  await createSide(current, 'spans_alone_insert');
  for (const view of ['trace_index_mv', 'span_red_1m_mv']) await postQuery(at('spans_alone_insert'), `DROP VIEW ${view}`);
  const spanColumns = SPAN_COLUMNS.map(identifier).join(', ');
  const rowBinary: Buffer[] = [];
  for (const k of sampleChunks) rowBinary.push(await postQuery(at(current.database), `SELECT ${spanColumns} FROM spans WHERE ${chunkOf('span_id', k)} FORMAT RowBinary`));

  type Target = { key: string; side: S; database: string; columns: string; bodies: Buffer[]; format: 'Native' | 'RowBinary' };
  const targets: Target[] = [
    ...sides.map((side): Target => ({ key: side.key, side, database: `${side.database}_insert`, ...nativeBodies.get(side.key)!, format: 'Native' })),
    { key: 'currentSpansAlone', side: current, database: 'spans_alone_insert', ...nativeBodies.get('current')!, format: 'Native' },
    { key: 'currentRowBinary', side: current, database: `${current.database}_insert`, columns: spanColumns, bodies: rowBinary, format: 'RowBinary' },
  ];
  const rates = new Map<string, number[]>(targets.map((t) => [t.key, []]));
  for (let i = 0; i < ROUNDS; i++) {
    const order = targets.map((_, k) => targets[(k + i) % targets.length]!);
    for (const { key, side, database, columns, bodies, format } of order) {
      const target = at(database);
      for (const table of side.tables) await postQuery(target, `TRUNCATE TABLE ${table}`);
      const start = performance.now();
      for (const body of bodies) await postQuery(target, `INSERT INTO ${side.spansTable} (${columns}) FORMAT ${format}`, body);
      rates.get(key)!.push(Math.round(sampleRows / ((performance.now() - start) / 1000)));
    }
  }
  return {
    sampleRows,
    rates: Object.fromEntries([...rates].map(([k, v]) => [k, { best: Math.max(...v), rounds: v }])),
    nativeBodyBytesPerSpan: Object.fromEntries([...nativeBodies].map(([k, v]) => [k, round(v.bodies.reduce((a, b) => a + b.length, 0) / sampleRows, 1)])),
  };
}
