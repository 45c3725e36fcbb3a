// Which minutes of an SLO are counted in `slo_sli_1m`. A minute without a row there means "no
// events" only if that minute was counted, so the counted minutes are recorded exactly: a set of
// ranges per (SLO id, SLI hash) in `slo_coverage`, never a hull (a hull would mark a gap between two
// counted ranges as counted although no row was written for it).
//
// Only *settled* minutes are recorded: minutes that ended at least the re-count margin before the
// counting (late spans arrive within the margin). The engine counts the unsettled edge every tick
// into slo_sli_1m without recording it, so it is counted again until it settles. Read-only callers
// (`status`, `backtest`) write and record only settled minutes and compute anything newer in memory
// (planCounting's `live`): they never mark the future as counted and never change what the live
// engine counts.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { inSet } from './sql-set.ts';
import { clip, normalize, subtract, union, type Range } from './ranges.ts';

export type CountingMode = 'engine' | 'read-only';

export interface CountingPlan {
  /** Ranges to count into slo_sli_1m. */
  write: Range[];
  /** The settled part of `write`: recorded as counted once written. */
  record: Range[];
  /** Read-only callers: ranges neither counted nor settled, computed without writing. */
  live: Range[];
}

/**
 * What to count so that `want` can be summed, given the counted set `have` and the first minute that
 * is not settled yet (`settleLimit`). The engine re-counts everything from the settle limit on each
 * tick; read-only callers leave it to the engine and compute it in memory.
 */
export function planCounting(have: readonly Range[], want: Range, settleLimit: number, mode: CountingMode): CountingPlan {
  if (mode === 'engine') {
    const write = subtract([want], clip(have, -Infinity, settleLimit));
    return { write, record: clip(write, -Infinity, settleLimit), live: [] };
  }
  const missing = subtract([want], have);
  const write = clip(missing, -Infinity, settleLimit);
  return { write, record: write, live: subtract(missing, write) };
}

const key = (id: string, hash: string) => `${id}\u0000${hash}`;

export interface CoverageKey {
  sloId: string;
  sliHash: string;
}

/** A table of ranges per (SLO id, SLI hash): `slo_coverage` (counted minutes) or `slo_rollup_coverage` (summed hours). */
export type RangeTable = typeof TABLES.sloCoverage | typeof TABLES.sloRollupCoverage;

export async function readCoverage(ch: Clickhouse, keys: readonly CoverageKey[], table: RangeTable = TABLES.sloCoverage): Promise<(k: CoverageKey) => Range[]> {
  const found = new Map<string, Range[]>();
  const ids = [...new Set(keys.map((k) => k.sloId))];
  // In slices of 5,000 ids: the statement stays well below max_query_size (256 KiB).
  for (let i = 0; i < ids.length; i += 5000) {
    // Ranges sharing a start keep the longest: max() is right whether or not the rows are merged yet.
    const rows = await ch.query<{ slo_id: string; sli_hash: string; from: number; until: number }>(
      sql`SELECT slo_id, sli_hash, toUInt32(range_from) AS from, toUInt32(max(range_until)) AS until
        FROM ${ident(table)} WHERE slo_id IN ${inSet(ids.slice(i, i + 5000))}
        GROUP BY slo_id, sli_hash, range_from`,
    );
    for (const r of rows) {
      const k = key(r.slo_id, r.sli_hash);
      found.set(k, [...(found.get(k) ?? []), [Number(r.from), Number(r.until)]]);
    }
  }
  return (k) => normalize(found.get(key(k.sloId, k.sliHash)) ?? []);
}

/** Records `added` as counted: one row per merged range of the new set that grew. */
export async function recordCoverage(
  ch: Clickhouse,
  entries: readonly (CoverageKey & { have: readonly Range[]; added: readonly Range[] })[],
  countedAt: number,
  table: RangeTable = TABLES.sloCoverage,
): Promise<void> {
  const rows: object[] = [];
  for (const e of entries) {
    if (e.added.length === 0) continue;
    const grown = union(e.have, e.added).filter(([a, b]) => e.added.some(([x, y]) => x < b && y > a));
    for (const [from, until] of grown) rows.push({ slo_id: e.sloId, sli_hash: e.sliHash, range_from: from, range_until: until, counted_at: countedAt });
  }
  await ch.insertJson(table, rows);
}
