import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from '../main.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { listSetAside, removeSetAside, REJECTED_DIR, type SetAsideRecord } from '../../collector/spool/set-aside.ts';
import { DAMAGED_DIR, listSegments } from '../../collector/spool/segments.ts';
import { connectClickhouse } from '../../storage/client.ts';
import { classifyClickhouseError, describeClickhouseError } from '../../storage/errors.ts';
import { identifier } from '../../storage/sql.ts';

// The operator's view of a collector's spool directory (docs/durability.md): what waits to be
// sent, what ClickHouse refused and was set aside, what was damaged; and re-sending the set-aside
// records once the cause is fixed. Safe while the collector runs: the collector only adds files
// to rejected/ and damaged/, this command only removes the ones it re-sent.

const USAGE = `usage: burnrate spool <command> --spool-dir DIR [options]

  list [--json]              segments waiting to be sent, records set aside, damaged bytes kept
  show ID [--body FILE]      one set-aside record: table, rows, when, why; --body writes its rows
                             (RowBinary, the columns listed) to FILE
  resend [ID...]             inserts set-aside records (all, or the IDs given) into ClickHouse,
                             each on its own, and removes each one that went in

  --spool-dir DIR            BURNRATE_SPOOL_DIR   the collector's --spool-dir

Set-aside records are in DIR/${REJECTED_DIR}/ (one .rec file each), damaged bytes in DIR/${DAMAGED_DIR}/.

${CLICKHOUSE_USAGE}`;

function spoolDir(values: Record<string, unknown>): string {
  const dir = (values['spool-dir'] as string | undefined) ?? process.env.BURNRATE_SPOOL_DIR ?? '';
  if (dir === '') throw new ConfigError(['--spool-dir / BURNRATE_SPOOL_DIR: required']);
  if (!existsSync(dir)) throw new ConfigError([`--spool-dir: no spool directory at ${dir}`]);
  return dir;
}

const kib = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

function filesIn(dir: string): { name: string; bytes: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
}

function summary(record: SetAsideRecord) {
  return {
    id: record.id,
    table: record.rows?.spec.table ?? '',
    rows: record.rows?.rows ?? 0,
    bytes: record.bytes,
    at: record.note.at ?? '',
    error: record.note.error ?? '',
    problem: record.problem,
  };
}

async function list(dir: string, json: boolean): Promise<number> {
  const segments = await listSegments(dir);
  const rejected = (await listSetAside(dir)).map(summary);
  const damaged = filesIn(join(dir, DAMAGED_DIR));
  if (json) {
    console.log(JSON.stringify({ dir, segments: segments.map((s) => ({ path: s.path, bytes: s.bytes })), rejected, damaged }, null, 2));
    return 0;
  }
  console.log(`spool ${dir}`);
  console.log(`  waiting to be sent: ${segments.length} segment(s), ${kib(segments.reduce((sum, s) => sum + s.bytes, 0))}`);
  console.log(`  set aside (refused by ClickHouse for their content): ${rejected.length} record(s)${rejected.length ? ' — burnrate spool show ID / resend' : ''}`);
  for (const r of rejected) {
    console.log(`    ${r.id}  ${r.problem ? `unreadable: ${r.problem}` : `${r.table}  ${r.rows} row(s)  ${kib(r.bytes)}  ${r.at}  ${r.error}`}`);
  }
  console.log(`  damaged bytes kept for inspection: ${damaged.length} file(s)${damaged.length ? ` in ${join(dir, DAMAGED_DIR)} (delete them when done)` : ''}`);
  for (const d of damaged) console.log(`    ${d.name}  ${kib(d.bytes)}`);
  return 0;
}

async function find(dir: string, ids: string[]): Promise<SetAsideRecord[]> {
  const all = await listSetAside(dir);
  if (ids.length === 0) return all;
  const missing = ids.filter((id) => !all.some((r) => r.id === id));
  if (missing.length) throw new ConfigError(missing.map((id) => `no set-aside record ${id} in ${join(dir, REJECTED_DIR)}`));
  return all.filter((r) => ids.includes(r.id));
}

async function show(dir: string, ids: string[], body: string | undefined): Promise<number> {
  if (ids.length !== 1) throw new ConfigError(['show: give exactly one record ID (see burnrate spool list)']);
  const [record] = await find(dir, ids);
  const s = summary(record!);
  console.log(`record ${s.id} (${record!.path})`);
  if (!record!.rows) {
    console.log(`  unreadable: ${s.problem}`);
    return 1;
  }
  const { spec } = record!.rows;
  console.log(`  table: ${spec.table}\n  rows: ${s.rows}\n  set aside: ${s.at}\n  refused: ${s.error}`);
  console.log(`  insert: INSERT INTO ${identifier(spec.table)} (${spec.columns.map(identifier).join(', ')}) FORMAT ${spec.format}`);
  if (body) {
    writeFileSync(body, record!.rows.body);
    console.log(`  rows written to ${body} (${kib(record!.rows.body.length)}, ${spec.format})`);
  }
  return 0;
}

async function resend(dir: string, ids: string[], values: Record<string, unknown>): Promise<number> {
  const records = await find(dir, ids);
  const ch = connectClickhouse(clickhouseFromFlags(values));
  let failed = 0;
  try {
    for (const record of records) {
      if (!record.rows) {
        console.log(`${record.id}: unreadable (${record.problem}); left in place`);
        failed++;
        continue;
      }
      const { spec, body, rows } = record.rows;
      try {
        await ch.insertRaw(spec.table, spec.columns, spec.format, Readable.from([body]));
      } catch (err) {
        console.log(`${record.id}: not inserted (${classifyClickhouseError(err)}): ${describeClickhouseError(err)}; left in place`);
        failed++;
        continue;
      }
      await removeSetAside(record);
      console.log(`${record.id}: inserted ${rows} row(s) into ${spec.table}; removed`);
    }
  } finally {
    await ch.close();
  }
  console.log(`${records.length - failed} of ${records.length} record(s) re-sent`);
  return failed > 0 ? 1 : 0;
}

export const command: Command = {
  summary: "inspect the collector's spool: waiting, set-aside and damaged data; re-send set-aside records",
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseFlags(
      rest,
      { ...CLICKHOUSE_OPTIONS, 'spool-dir': { type: 'string' }, json: { type: 'boolean', default: false }, body: { type: 'string' } },
      true,
    );
    if (sub === 'list') return list(spoolDir(values), values.json === true);
    if (sub === 'show') return show(spoolDir(values), positionals, values.body as string | undefined);
    if (sub === 'resend') return resend(spoolDir(values), positionals, values);
    throw new ConfigError([`unknown spool command "${sub ?? ''}"; use list, show or resend (burnrate spool --help)`]);
  },
};
