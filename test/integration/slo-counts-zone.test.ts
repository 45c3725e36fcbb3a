import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { sql } from '../../storage/sql.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';

// slo_sli_1m is partitioned by day in the server's time zone; a minute counted twice (the engine
// re-counts a trailing margin every tick) must still be summed once. Found by the web UI's tests:
// the partitions holding several versions were mapped to UTC days, so on a server outside UTC the
// hours between its midnight and UTC's were summed without FINAL, counting re-counted minutes twice.

const zone = inject('clickhouseTimezone');
const localDate = (t: number) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(t * 1000));
const utcDate = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** An hour, two days back, whose minutes lie in another day in the server's zone than in UTC. */
function hourAcrossDates(): number {
  const base = Math.floor(Date.now() / 1000 / 86_400) * 86_400 - 2 * 86_400;
  for (let t = base + 3600; t <= base + 2 * 86_400; t += 3600) {
    let all = true;
    for (let m = t - 3600; m < t; m += 60) if (localDate(m) === utcDate(m)) all = false;
    if (all) return t;
  }
  throw new Error(`no such hour in ${zone}: the server must run outside UTC for this test`);
}

describe('SLO window counts on a server outside UTC', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('zone');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('sums every re-counted minute once', async () => {
    const T = hourAcrossDates();
    // 100 spans a minute over the hour before T, 10 of them errors.
    await db.ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${T - 3600} + intDiv(number, 100) * 60 + 1), 't', toString(number), 'GET /', 2, if(number % 100 < 10, 2, 1), 'zone', '/', 200, 1000000
      FROM numbers(6000)`);
    const slo = sloFromYaml('id: zone\nservice: zone\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s }');
    const { router } = buildRouter([slo], {});
    let now = (T + 10) * 1000;
    const engine = createEngine({ ch: db.ch, slos: [slo], router, clock: () => now, settleMs: 0 });
    await engine.tick();
    // The second tick re-counts the last 10 minutes: a second version of each in another part.
    now += 10_000;
    const second = await engine.tick();
    const hour = second.results[0]!.evaluation!.windows.find((w) => w.seconds === 3600)!;
    expect({ good: hour.good, total: hour.total }).toEqual({ good: 5400n, total: 6000n });
    expect(second.results[0]!.evaluation!.period).toEqual({ good: 5400n, total: 6000n });
  });
});
