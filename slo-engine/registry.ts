// The SLOs the engine runs, stored in `slo_definitions` so `status` without --slos (and dashboards)
// know them. Only the engine registers SLOs: `status --slos` and `backtest` read files and leave no
// trace here, so a backtest of a draft never shows up in later `status` calls.
import type { Clickhouse } from '../storage/client.ts';
import { ident, sql } from '../storage/sql.ts';
import { TABLES } from '../storage/tables.ts';
import type { Slo } from './model.ts';
import { sliHash } from './sli/sql.ts';
import { inSet } from './sli/sql-set.ts';
import { fromJson, toJson } from './spec/json.ts';

/** Writes the definitions whose stored spec differs (new SLO, changed spec or SLI). */
export async function registerSlos(ch: Clickhouse, slos: readonly Slo[], version: number): Promise<number> {
  if (slos.length === 0) return 0;
  const rows = await ch.query<{ slo_id: string; sli_hash: string; spec: string }>(
    sql`SELECT slo_id, sli_hash, argMax(spec, version) AS spec FROM ${ident(TABLES.sloDefinitions)} WHERE slo_id IN ${inSet(slos.map((s) => s.id))} GROUP BY slo_id, sli_hash`,
  );
  const stored = new Map(rows.map((r) => [`${r.slo_id}\u0000${r.sli_hash}`, r.spec]));
  const changed = slos.filter((s) => stored.get(`${s.id}\u0000${sliHash(s)}`) !== toJson(s));
  await ch.insertJson(
    TABLES.sloDefinitions,
    // counted_from / counted_until are no longer used (slo_coverage holds what is counted).
    changed.map((s) => ({ slo_id: s.id, sli_hash: sliHash(s), service: s.service, name: s.name, spec: toJson(s), counted_from: 0, counted_until: 0, updated: Math.floor(version / 1000), version })),
  );
  return changed.length;
}

/** A spec stored by an older version, in today's model: fields added since get their defaults. */
export function fromStoredSpec(json: string): Slo {
  const slo = fromJson<Slo & { sli: { tenant?: string } }>(json);
  const { tenant: sliTenant, ...sli } = slo.sli;
  return {
    ...slo,
    ...(slo.tenant === undefined && sliTenant !== undefined ? { tenant: sliTenant } : {}),
    sli: sli as Slo['sli'],
    repeatInterval: slo.repeatInterval ?? 0,
    inhibitTicketAfterPage: slo.inhibitTicketAfterPage ?? true,
  };
}

/** SLO definitions the engine stored (the latest spec per id), for `status` without --slos. */
export async function storedSlos(ch: Clickhouse): Promise<Slo[]> {
  const rows = await ch.query<{ spec: string }>(
    sql`SELECT argMax(spec, version) AS spec FROM ${ident(TABLES.sloDefinitions)} GROUP BY slo_id ORDER BY slo_id`,
  );
  return rows.map((r) => fromStoredSpec(r.spec));
}
