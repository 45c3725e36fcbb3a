// Sharded SLO engines (issue 15): engines started with `--shard 0/2` and `BURNRATE_SLO_SHARD=1/2`
// over the same SLO files evaluate disjoint sets of SLOs whose union is every SLO, each exactly once
// per tick; the SLOs of a shard that has no engine are not evaluated, and `status` shows them as
// never evaluated (stale) instead of hiding them.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { ident, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { createEngine, type Engine } from '../../slo-engine/engine.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { loadSlosOrThrow } from '../../slo-engine/cli-support.ts';
import { shardOf } from '../../slo-engine/shard.ts';
import { sloEngineConfigFrom } from '../../cli/commands/slo-engine.ts';
import { command as statusCommand } from '../../cli/commands/status.ts';

const NOW = Math.floor(Date.now() / 1000);

/** A directory with `n` SLOs `prefix-0` … over the same service. */
function sloFiles(prefix: string, n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'slo-shards-'));
  const docs = Array.from({ length: n }, (_, i) => `id: ${prefix}-${i}\nservice: sharded\ntenant: ""\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s, minEvents: 10 }\n`);
  writeFileSync(join(dir, 'slos.yaml'), docs.join('---\n'));
  return dir;
}

async function status(args: string[]): Promise<{ slos: { id: string; stale: boolean; staleReason: string | null; lastEvaluation: string | null; sli: number | null }[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    expect(await statusCommand.run([...args, '--json'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(lines.join('\n'));
}

describe('SLO engines sharded with --shard i/n', () => {
  let db: TestDatabase;
  let chFlags: string[];
  beforeAll(async () => {
    db = await createTestDatabase('slo_shards');
    chFlags = ['--clickhouse-url', db.config.url, '--clickhouse-database', db.config.database];
    // 100% errors over the last 20 minutes: every SLO pages on its first evaluation.
    const start = Math.floor(NOW / 60) * 60 - 1200;
    await db.ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${start} + intDiv(number, 10) * 60 + 1), 't', toString(number), 'GET /', 2, 2, 'sharded', '/', 500, 1000 FROM numbers(200)`);
  });
  afterAll(async () => db?.close());

  /** Engines as the CLI configures them: the shard from the flag or the environment variable. */
  function engineFor(dir: string, flags: Record<string, string>, env: NodeJS.ProcessEnv): Engine {
    const { config } = sloEngineConfigFrom({ slos: dir, ...flags }, env);
    const { slos } = loadSlosOrThrow(config.slos);
    const { router } = buildRouter(slos, {});
    return createEngine({ ch: db.ch, slos, router, shard: config.shard, clock: () => NOW * 1000 });
  }

  it('two engines (--shard 0/2 and BURNRATE_SLO_SHARD=1/2) evaluate disjoint sets whose union is every SLO, each once', async () => {
    const dir = sloFiles('duo', 16);
    const all = Array.from({ length: 16 }, (_, i) => `duo-${i}`);
    const a = engineFor(dir, { shard: '0/2' }, {});
    const b = engineFor(dir, {}, { BURNRATE_SLO_SHARD: '1/2' });
    const mine = (e: Engine) => e.slos.map((s) => s.id);
    expect(mine(a).length).toBeGreaterThan(0);
    expect(mine(b).length).toBeGreaterThan(0);
    expect(mine(a).filter((id) => mine(b).includes(id))).toEqual([]);
    expect([...mine(a), ...mine(b)].sort()).toEqual([...all].sort());
    for (const id of mine(a)) expect(shardOf(id, 2), id).toBe(0);

    // Both tick at once, as two processes would.
    const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
    for (const [engine, result] of [[a, ra], [b, rb]] as const) {
      expect(result.results.map((r) => r.slo.id)).toEqual(mine(engine));
      expect(result.results.every((r) => r.evaluation && r.evaluation.period.total === 200n), 'every SLO of the shard evaluated on all its events').toBe(true);
    }
    // Each SLO evaluated once, by its shard's engine, and paged once.
    const rows = await db.ch.query<{ slo_id: string; n: string }>(
      sql`SELECT slo_id, toString(count()) AS n FROM ${ident(TABLES.sloEvaluations)} WHERE slo_id LIKE 'duo-%' GROUP BY slo_id ORDER BY slo_id`,
    );
    expect(rows.map((r) => `${r.slo_id}:${r.n}`)).toEqual([...all].sort().map((id) => `${id}:1`));
    const pages = [...ra.transitions, ...rb.transitions].filter((t) => t.kind === 'page' && t.status === 'firing').map((t) => t.sloId);
    expect(pages.sort()).toEqual([...all].sort());

    // status sees every SLO evaluated and current.
    const shown = (await status(['--slos', dir, '--at', String(NOW), ...chFlags])).slos;
    expect(shown.map((s) => `${s.id}:${s.stale}`).sort()).toEqual(all.map((id) => `${id}:false`).sort());
  });

  it('the SLOs of a shard with no engine are not evaluated, and status lists them as stale (never evaluated)', async () => {
    const dir = sloFiles('trio', 12);
    // Shards 0/3 and 1/3 run; nobody runs 2/3.
    const engines = [engineFor(dir, { shard: '0/3' }, {}), engineFor(dir, { shard: '1/3' }, {})];
    await Promise.all(engines.map((e) => e.tick()));
    const orphans = Array.from({ length: 12 }, (_, i) => `trio-${i}`).filter((id) => shardOf(id, 3) === 2);
    expect(orphans.length).toBeGreaterThan(0);
    const evaluated = await db.ch.query<{ slo_id: string }>(sql`SELECT DISTINCT slo_id FROM ${ident(TABLES.sloEvaluations)} WHERE slo_id LIKE 'trio-%'`);
    expect(evaluated.map((r) => r.slo_id).filter((id) => orphans.includes(id))).toEqual([]);
    expect(evaluated).toHaveLength(12 - orphans.length);

    // `status` without --slos lists what the engines registered: every SLO of their files, so the
    // orphans too, computed by status itself and marked as not evaluated by any engine.
    const shown = (await status(['--at', String(NOW), ...chFlags])).slos.filter((s) => s.id.startsWith('trio-'));
    expect(shown.map((s) => s.id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `trio-${i}`).sort());
    for (const s of shown) {
      if (orphans.includes(s.id)) expect(s, s.id).toMatchObject({ stale: true, staleReason: 'no evaluation recorded', lastEvaluation: null, sli: 0 });
      else expect(s, s.id).toMatchObject({ stale: false, lastEvaluation: new Date(NOW * 1000).toISOString() });
    }
  });
});
