// Hourly sums (issue 15): a window read through `slo_sli_1h` gives exactly the numbers the minute
// table gives. Random SLO histories with re-counted minutes (newer and stale versions in several
// parts, some partitions merged), gaps in what is counted, maintenance windows with second-precise
// ends, calendar periods in zones at :30 and :45 offsets, and minutes a read-only caller computes in
// memory; summed partly, at several instants and budgets. Every sum is checked against a model of
// the table in the test, through the hourly path and through the minutes alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { prng } from '../../bench/fuzz-lib.ts';
import { ident, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { sliHash } from '../../slo-engine/sli/sql.ts';
import { readCoverage, recordCoverage } from '../../slo-engine/sli/coverage.ts';
import { rollUpHours } from '../../slo-engine/sli/rollups.ts';
import { fetchWindowCounts, type SumItem } from '../../slo-engine/sli/window-sums.ts';
import { settleDays } from '../../slo-engine/sli/partitions.ts';
import { hoursToRead, HOUR } from '../../slo-engine/sli/rollup-plan.ts';
import { subtract, type Range } from '../../slo-engine/sli/ranges.ts';
import { evaluationPlan, type EvaluationPlan } from '../../slo-engine/math/windows.ts';
import type { WindowCounts } from '../../slo-engine/evaluate.ts';
import type { Slo } from '../../slo-engine/model.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';

const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);
/** The seeded history: [START, END), all of it settled. */
const END = Math.floor(NOW / HOUR) * HOUR - 2 * HOUR;
const START = END - 36 * DAY;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

interface Row {
  minute: number;
  good: number;
  total: number;
  version: number;
}

/** What slo_sli_1m holds for one SLO once deduplicated: the newest version of each minute. */
class Model {
  readonly minutes = new Map<number, Row>();
  apply(rows: readonly Row[]) {
    for (const r of rows) {
      const have = this.minutes.get(r.minute);
      if (!have || r.version > have.version) this.minutes.set(r.minute, r);
    }
  }
}

function specs(seed: number, random: () => number): Slo[] {
  const at = (t: number) => new Date(t * 1000).toISOString();
  // Maintenance in the evaluated days, starting and ending at odd seconds.
  const maintenance = Array.from({ length: 2 }, () => {
    const start = END - Math.floor(random() * 6 * DAY) - 17;
    return `  - { start: "${at(start)}", end: "${at(start + 600 + Math.floor(random() * 4 * HOUR) + 31)}" }`;
  }).join('\n');
  const yaml = (id: string, period: string, extra = '') =>
    `id: ${id}-${seed}\nservice: s\nobjective: 99\nperiod: ${period}\nsli: { kind: availability }\nalerting:\n  ingestDelay: 0s\n${extra}`;
  return [
    sloFromYaml(`${yaml('rolling', '1d')}maintenance:\n${maintenance}\n`),
    sloFromYaml(yaml('kolkata', '{ calendar: month, timeZone: Asia/Kolkata }')),
    sloFromYaml(yaml('kathmandu', '{ calendar: week, timeZone: Asia/Kathmandu }', '  tiers: [{ severity: page, long: 2h, short: 7m, factor: 3 }]\n')),
    sloFromYaml(yaml('la', '{ calendar: week, timeZone: America/Los_Angeles }')),
  ];
}

async function write(db: TestDatabase, slo: Slo, model: Model, rows: readonly Row[]) {
  const hash = sliHash(slo);
  await db.ch.insertJson(TABLES.sloSli1m, rows.map((r) => ({ slo_id: slo.id, sli_hash: hash, minute: r.minute, good: r.good, total: r.total, version: r.version })));
  model.apply(rows);
}

/** The sums the minute table gives: every minute of the windows except maintenance and `exclude`. */
function expected(model: Model, slo: Slo, plan: EvaluationPlan, exclude: readonly Range[]): WindowCounts {
  const skip: Range[] = [...slo.maintenance.map((m): Range => [Math.floor(m.start / 60) * 60, m.end]), ...exclude];
  const windows = new Map(plan.windows.map((w) => [w, { good: 0n, total: 0n }]));
  let period = { good: 0n, total: 0n };
  let firstData: number | undefined;
  for (const [m, r] of model.minutes) {
    if (m >= plan.end || skip.some(([a, b]) => m >= a && m < b)) continue;
    for (const w of plan.windows) {
      const c = windows.get(w)!;
      if (m >= plan.end - w) windows.set(w, { good: c.good + BigInt(r.good), total: c.total + BigInt(r.total) });
    }
    if (m >= plan.periodStart) {
      period = { good: period.good + BigInt(r.good), total: period.total + BigInt(r.total) };
      if (r.total > 0 && (firstData === undefined || m < firstData)) firstData = m;
    }
  }
  return { windows, period, ...(firstData !== undefined ? { firstData } : {}) };
}

const shown = (c: WindowCounts | undefined) =>
  c && { windows: [...c.windows].map(([w, x]) => `${w}:${x.good}/${x.total}`), period: `${c.period.good}/${c.period.total}`, first: c.firstData ?? null };

describe('property: sums through the hourly rollups equal the minute table', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slo_rollups');
  });
  afterAll(async () => db?.close());

  it.each([1, 2, 3, 4])('seed %i', async (seed) => {
    const random = prng(seed);
    const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const slos = specs(seed, random);
    const models = new Map(slos.map((s) => [s.id, new Model()]));
    let version = 1;
    // Counted ranges: all of it but a few gaps that do not start or end on an hour.
    const gaps: Range[] = Array.from({ length: 3 }, () => {
      const a = START + pick(0, 35 * 24 * 60) * 60;
      return [a, a + pick(20, 300) * 60];
    });

    // 1. A history: traffic in ~40% of the hours, rows in ~30% of their minutes, some with total 0.
    for (const slo of slos) {
      const rows: Row[] = [];
      for (let h = START; h < END; h += HOUR) {
        if (random() < 0.6) continue;
        for (let m = h; m < h + HOUR; m += 60) {
          if (random() < 0.7) continue;
          const total = random() < 0.05 ? 0 : pick(1, 30);
          rows.push({ minute: m, total, good: total - pick(0, Math.min(total, 3)), version });
        }
      }
      // In four inserts: several parts per partition.
      for (let i = 0; i < 4; i++) await write(db, slo, models.get(slo.id)!, rows.filter((_, j) => j % 4 === i));
    }
    // 2. Re-counts before anything is summed: newer versions of 3% of the minutes, and stale writes
    // (a lower version arriving later) that must lose.
    for (const slo of slos) {
      const model = models.get(slo.id)!;
      const newer: Row[] = [];
      const stale: Row[] = [];
      for (const m of model.minutes.keys()) {
        if (random() < 0.03) newer.push({ minute: m, total: 40, good: pick(0, 40), version: ++version });
        else if (random() < 0.01) stale.push({ minute: m, total: 1000, good: 0, version: 0 });
      }
      await write(db, slo, model, newer);
      await write(db, slo, model, stale);
      await recordCoverage(db.ch, [{ sloId: slo.id, sliHash: sliHash(slo), have: [], added: subtract([[START, END]], gaps) }], NOW);
    }
    // Some partitions merged, the others not (plain reads and FINAL reads both in play).
    await settleDays(db.ch, NOW, 0, pick(0, 20));

    // 3. Summing at three instants with different budgets: some hours summed, some not; the last
    // time by two replicas at once, which write the same hours twice.
    let summed = 0;
    const rollUp = (now: number, budget: number) => rollUpHours(db.ch, slos, { now, marginSeconds: 600, version: ++version, budget });
    for (const budget of [pick(50, 400), pick(200, 3000)]) summed += (await rollUp(END - pick(0, 5 * 24) * HOUR + pick(0, 3599), budget)).summed;
    const now = END - pick(0, 5 * 24) * HOUR;
    for (const r of await Promise.all([rollUp(now, Infinity), rollUp(now, Infinity)])) summed += r.summed;
    expect(summed).toBeGreaterThan(0);

    // 4. After summing, only minutes nobody recorded as counted are re-written (the gaps).
    for (const slo of slos) {
      const rows: Row[] = [];
      for (const [a, b] of gaps) for (let m = a; m < b; m += 60) if (random() < 0.5) rows.push({ minute: m, total: 9, good: pick(0, 9), version: ++version });
      await write(db, slo, models.get(slo.id)!, rows);
    }

    // Every summed hour holds exactly its minutes' sum and first minute with events.
    const rolled = await readCoverage(db.ch, slos.map((s) => ({ sloId: s.id, sliHash: sliHash(s) })), TABLES.sloRollupCoverage);
    for (const slo of slos) {
      const stored = await db.ch.query<{ h: number; good: string; total: string; first: number }>(
        sql`SELECT toUInt32(hour) AS h, toString(good) AS good, toString(total) AS total, toUInt32(first_minute) AS first FROM ${ident(TABLES.sloSli1h)} FINAL WHERE slo_id = ${slo.id}`,
      );
      const byHour = new Map(stored.map((r) => [Number(r.h), `${r.good}/${r.total} ${Number(r.first) || '-'}`]));
      const truth = new Map<number, { good: number; total: number; first: number }>();
      for (const r of models.get(slo.id)!.minutes.values()) {
        const h = Math.floor(r.minute / HOUR) * HOUR;
        const t = truth.get(h) ?? { good: 0, total: 0, first: Infinity };
        truth.set(h, { good: t.good + r.good, total: t.total + r.total, first: r.total > 0 ? Math.min(t.first, r.minute) : t.first });
      }
      const ranges = rolled({ sloId: slo.id, sliHash: sliHash(slo) });
      expect(subtract(ranges, subtract([[START, END]], gaps)), `${slo.id}: only counted hours are summed`).toEqual([]);
      for (const [a, b] of ranges) {
        for (let h = a; h < b; h += HOUR) {
          const t = truth.get(h);
          expect(byHour.get(h), `${slo.id} hour ${iso(h)}`).toEqual(t && `${t.good}/${t.total} ${Number.isFinite(t.first) ? t.first : '-'}`);
        }
      }
    }

    // 5. Sums at random instants, some with minutes excluded (computed in memory by status/backtest).
    let hourlyReads = 0;
    for (let i = 0; i < 8; i++) {
      const at = END - pick(0, 6 * 24 * 60) * 60 - pick(0, 59);
      const items: SumItem[] = slos.map((slo) => {
        const exclude: Range[] = random() < 0.3 ? [[Math.floor(at / 60) * 60 - pick(1, 200) * 60, Math.floor(at / 60) * 60]] : [];
        return { slo, plan: evaluationPlan(slo, at), exclude };
      });
      const viaHours = await fetchWindowCounts(db.ch, items);
      const viaMinutes = await fetchWindowCounts(db.ch, items, { rolled: () => [] });
      for (const { slo, plan, exclude = [] } of items) {
        const truth = shown(expected(models.get(slo.id)!, slo, plan, exclude));
        const label = `${slo.id} at ${iso(at)}`;
        expect(shown(viaHours.get(slo.id)), `${label}, hourly path`).toEqual(truth);
        expect(shown(viaMinutes.get(slo.id)), `${label}, minutes only`).toEqual(truth);
        const starts = [...plan.windows.map((w) => plan.end - w), plan.periodStart];
        hourlyReads += hoursToRead(starts, plan.end, rolled({ sloId: slo.id, sliHash: sliHash(slo) }), exclude).length;
      }
    }
    expect(hourlyReads, 'the hourly path was taken').toBeGreaterThan(0);
  });
});
