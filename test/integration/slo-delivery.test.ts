// Durable delivery (issue 12, item 2): notifications are stored before sending and delivered apart
// from evaluation, against real local HTTP receivers that are down, slow, hanging, or answer 429 / 500,
// with an injected clock (no real minutes pass) and a real ClickHouse.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { sql } from '../../storage/sql.ts';
import type { Clickhouse } from '../../storage/client.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { createDeliverer, type DeliveryOutcome } from '../../slo-engine/notify/deliverer.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { createSloMetrics } from '../../slo-engine/server.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';
import type { Slo } from '../../slo-engine/model.ts';

// T: a minute boundary two days ago. 200 spans a minute for the hour before T, half of them errors:
// the 1h/5m page fires at T; clean from T to T+45m, so it resolves at T+30m (when the 6h/30m tier's
// short window is clean too).
const T = Math.floor(Date.now() / 1000 / 86_400) * 86_400 - 2 * 86_400 + 12 * 3600;
const spec = (id: string, extra = '') => sloFromYaml(`id: ${id}\nservice: shop\nobjective: 99\nperiod: 30d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s, minEvents: 100${extra} }\n`);

async function seed(db: TestDatabase, from: number, to: number, errorsPerMinute: number) {
  await db.ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
    SELECT toDateTime(${from} + intDiv(number, 200) * 60 + 1), 't', toString(number), 'GET /', 2, if(number % 200 < ${errorsPerMinute}, 2, 1), 'shop', '/', 200, 1000000
    FROM numbers(${((to - from) / 60) * 200})`);
}

/** An engine and its deliverer on one injected clock (epoch seconds, moved by the test). */
function replica(db: TestDatabase, slo: Slo, sink: Receiver, options: { id?: string; timeoutMs?: number; settleMs?: number; leaseSeconds?: number; maxAgeSeconds?: number; ch?: Clickhouse } = {}) {
  const ch = options.ch ?? db.ch;
  const { router, problems } = buildRouter([slo], { SLACK_WEBHOOK_URL: `${sink.url}/slack` });
  expect(problems).toEqual([]);
  const time = { now: T + 5 };
  const clock = () => time.now * 1000;
  const replicaId = options.id ?? 'r1';
  const engine = createEngine({ ch, slos: [slo], router, clock, replicaId });
  const outcomes: DeliveryOutcome[] = [];
  const metrics = createSloMetrics(engine, { clock });
  const deliverer = createDeliverer({
    ch,
    router,
    clock,
    replicaId,
    settleMs: options.settleMs ?? 0,
    timeoutMs: options.timeoutMs ?? 2000,
    ...(options.leaseSeconds ? { leaseSeconds: options.leaseSeconds } : {}),
    ...(options.maxAgeSeconds ? { maxAgeSeconds: options.maxAgeSeconds } : {}),
    onOutcome: (o) => {
      outcomes.push(o);
      metrics.delivered(o);
    },
  });
  return { engine, deliverer, time, outcomes, metrics };
}

/** The real client, with a test's hooks around inserts and queries (to order two replicas' steps). */
function gate(ch: Clickhouse, hooks: { beforeInsert?: (table: string, rows: readonly object[]) => Promise<void>; afterQuery?: (text: string) => void }): Clickhouse {
  return {
    ...ch,
    async insertJson(table, rows) {
      await hooks.beforeInsert?.(table, rows);
      return ch.insertJson(table, rows);
    },
    async query<T>(statement: Parameters<Clickhouse['query']>[0]) {
      const rows = await ch.query<T>(statement);
      hooks.afterQuery?.(typeof statement === 'string' ? statement : statement.text);
      return rows;
    },
  };
}

const events = (sink: Receiver) => sink.received.map((r) => JSON.parse(r.body).text as string);
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(condition()).toBe(true);
};

describe('durable delivery', () => {
  let db: TestDatabase;
  let sink: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase('slo_delivery');
    await seed(db, T - 3600, T, 100);
    await seed(db, T, T + 45 * 60, 0);
  });
  afterEach(async () => sink?.close());
  afterAll(async () => db?.close());

  it('a receiver down for 2 minutes gets the page once it is back, then the resolve, each once', async () => {
    sink = await startReceiver();
    const r = replica(db, spec('down-2m'), sink);
    await sink.down();
    expect((await r.engine.tick()).enqueued.map((e) => `${e.kind}:${e.event}`)).toEqual(['page:firing']);
    // Polls every 10 s of the injected clock while the port refuses connections.
    for (; r.time.now < T + 5 + 120; r.time.now += 10) await r.deliverer.poll();
    expect(r.outcomes.map((o) => o.outcome)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(r.outcomes.map((o) => o.nextAttempt! - (T + 5))).toEqual([10, 30, 70, 150]);
    await sink.up();
    r.time.now = T + 5 + 150;
    await r.deliverer.poll();
    expect(r.outcomes.at(-1)).toMatchObject({ event: 'firing', outcome: 'sent', httpStatus: 200, attempt: 5 });
    r.time.now = T + 1820;
    expect((await r.engine.tick()).enqueued.map((e) => `${e.kind}:${e.event}`)).toEqual(['page:resolved']);
    await r.deliverer.poll();
    r.time.now += 3600;
    await r.deliverer.poll();
    expect(events(sink)).toEqual(['[PAGE] down-2m (shop) is burning its error budget — budget remaining -4900%', '[RESOLVED PAGE] down-2m (shop)']);
    // The attempt log (rows are stamped to the second, so ordered by event and attempt).
    const log = await db.ch.query<{ event: string; outcome: string; attempts: number }>(sql`SELECT event, outcome, attempts FROM slo_notifications WHERE slo_id = 'down-2m' ORDER BY event, attempts`);
    expect(log.map((l) => `${l.event}:${l.outcome}:${l.attempts}`)).toEqual(['firing:failed:1', 'firing:failed:2', 'firing:failed:3', 'firing:failed:4', 'firing:sent:5', 'resolved:sent:1']);
  });

  it('a firing that is still being retried holds back its resolve: the receiver sees them in order', async () => {
    sink = await startReceiver((_p, n) => ({ status: n <= 3 ? 503 : 200 }));
    const r = replica(db, spec('order'), sink);
    await r.engine.tick();
    await r.deliverer.poll();
    r.time.now = T + 1820;
    await r.engine.tick();
    for (let i = 0; i < 8; i++, r.time.now += 60) await r.deliverer.poll();
    expect(r.outcomes.map((o) => `${o.event}:${o.outcome}`)).toEqual(['firing:failed', 'firing:failed', 'firing:failed', 'firing:sent', 'resolved:sent']);
    const page = '[PAGE] order (shop) is burning its error budget — budget remaining -4900%';
    expect(events(sink)).toEqual([page, page, page, page, '[RESOLVED PAGE] order (shop)']);
  });

  it('429 with Retry-After waits as long as the receiver asks, across polls; 500 is retried with backoff; 400 is not retried', async () => {
    sink = await startReceiver((path, n) => (path === '/slack' && n === 1 ? { status: 429, headers: { 'retry-after': '120' } } : { status: 200 }));
    const r = replica(db, spec('retry-after'), sink);
    await r.engine.tick();
    await r.deliverer.poll();
    expect(r.outcomes).toEqual([expect.objectContaining({ outcome: 'failed', httpStatus: 429, nextAttempt: T + 5 + 120 })]);
    r.time.now = T + 5 + 119;
    await r.deliverer.poll();
    expect(sink.received).toHaveLength(1);
    r.time.now = T + 5 + 120;
    await r.deliverer.poll();
    expect(r.outcomes.map((o) => `${o.outcome}:${o.httpStatus}`)).toEqual(['failed:429', 'sent:200']);
    expect(sink.received).toHaveLength(2);

    await sink.close();
    sink = await startReceiver((_p, n) => ({ status: n === 1 ? 500 : 400 }));
    const s = replica(db, spec('server-error'), sink);
    await s.engine.tick();
    await s.deliverer.poll();
    s.time.now += 10;
    await s.deliverer.poll();
    s.time.now += 3600;
    await s.deliverer.poll();
    expect(s.outcomes.map((o) => `${o.outcome}:${o.httpStatus}:${o.error}`)).toEqual(['failed:500:HTTP 500: nope', 'rejected:400:HTTP 400: nope']);
    expect(sink.received).toHaveLength(2);
  });

  it('a hanging or slow receiver never delays a tick; a timed-out attempt is retried after the backoff, not at once', async () => {
    sink = await startReceiver(() => 'hang');
    const r = replica(db, spec('hanging'), sink, { timeoutMs: 8000 });
    await r.engine.tick();
    let settled = false;
    const delivery = r.deliverer.poll().finally(() => (settled = true));
    await until(() => sink.hangingCount() === 1);
    // Ticks complete while the receiver holds the request and the attempt waits for it.
    for (let i = 0; i < 3; i++) {
      r.time.now += 30;
      await r.engine.tick();
      expect([settled, sink.hangingCount()]).toEqual([false, 1]);
    }
    expect((await delivery).map((o) => `${o.outcome}:${o.error}`)).toEqual(['failed:timeout']);
    // Polling again right away does not attempt again: the next attempt is 10 s after the timeout.
    await r.deliverer.poll();
    expect(sink.received).toHaveLength(1);

    sink.setBehaviour(() => ({ status: 200, delayMs: 800 }));
    r.time.now += 10;
    settled = false;
    const slow = r.deliverer.poll().finally(() => (settled = true));
    r.time.now += 30;
    await r.engine.tick();
    expect(settled).toBe(false);
    expect((await slow).map((o) => o.outcome)).toEqual(['sent']);
    expect(sink.received).toHaveLength(2);
  });

  it('an unanswered notification expires at the age limit: logged, counted in /metrics, and the next one goes out', async () => {
    sink = await startReceiver();
    await sink.down();
    const r = replica(db, spec('expiry'), sink);
    await r.engine.tick();
    r.time.now = T + 1820;
    await r.engine.tick();
    for (; r.time.now < T + 86_400; r.time.now += 3600) await r.deliverer.poll();
    expect(r.outcomes.every((o) => o.event === 'firing' && o.outcome === 'failed')).toBe(true);
    r.time.now = T + 86_401;
    await r.deliverer.poll();
    expect(r.outcomes.at(-1)).toMatchObject({ event: 'firing', outcome: 'expired', error: 'not delivered within 24h (the age limit)' });
    // The resolve (created at T+30m) is still within its own age limit: sent once the receiver is back.
    await sink.up();
    r.time.now = T + 86_400 + 700;
    await r.deliverer.poll();
    await r.deliverer.poll();
    expect(r.outcomes.filter((o) => o.outcome !== 'failed').map((o) => `${o.event}:${o.outcome}`)).toEqual(['firing:expired', 'resolved:sent']);
    expect(events(sink)).toEqual(['[RESOLVED PAGE] expiry (shop)']);
    const text = await r.metrics.registry.metrics();
    expect(text).toContain('burnrate_slo_notifications_total{channel="slack",outcome="expired"} 1');
    expect(text).toContain('burnrate_slo_notifications_total{channel="slack",outcome="sent"} 1');
    const [row] = await db.ch.query<{ n: string }>(sql`SELECT toString(count()) AS n FROM slo_notifications WHERE slo_id = 'expiry' AND outcome = 'expired'`);
    expect(row!.n).toBe('1');
  });

  it('repeat notifications (repeatInterval) for a page that stays firing', async () => {
    await seed(db, T - 86_400 - 3600, T - 86_400 + 3 * 3600, 100);
    sink = await startReceiver();
    const slo = spec('repeats', ', repeatInterval: 1h');
    const r = replica(db, slo, sink);
    r.time.now = T - 86_400 + 5;
    await r.engine.tick();
    await r.deliverer.poll();
    for (const at of [T - 86_400 + 1800, T - 86_400 + 3605, T - 86_400 + 3 * 3600 - 60]) {
      r.time.now = at;
      await r.engine.tick();
      await r.deliverer.poll();
    }
    expect(events(sink)).toEqual([
      '[PAGE] repeats (shop) is burning its error budget — budget remaining -4900%',
      '[PAGE] repeats (shop) is still burning its error budget — budget remaining -4900%',
      '[PAGE] repeats (shop) is still burning its error budget — budget remaining -4900%',
    ]);
  });
});

describe('several replicas never send twice after a 2xx', () => {
  let db: TestDatabase;
  let sink: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase('slo_replicas');
    await seed(db, T - 3600, T + 120, 100);
  });
  afterAll(async () => {
    await sink?.close();
    await db?.close();
  });

  it('two replicas ticking on either side of a minute boundary send the page once', async () => {
    sink = await startReceiver();
    const slo = spec('boundary');
    // Replica B reads the alert state before A stores its own (the race two engines run into): A's
    // write of slo_alert_state waits until B has read it.
    let bRead!: () => void;
    const bHasRead = new Promise<void>((r) => (bRead = r));
    const a = replica(db, slo, sink, { id: 'replica-a', settleMs: 1100, ch: gate(db.ch, { beforeInsert: (table) => (table === 'slo_alert_state' ? bHasRead : Promise.resolve()) }) });
    const b = replica(db, slo, sink, { id: 'replica-b', settleMs: 1100, ch: gate(db.ch, { afterQuery: (text) => text.includes('slo_alert_state') && bRead() }) });
    a.time.now = T + 59;
    b.time.now = T + 61;
    const [ta, tb] = await Promise.all([a.engine.tick(), b.engine.tick()]);
    // Both computed the transition from the same stored state, in different minutes.
    expect([ta.transitions[0]?.at, tb.transitions[0]?.at]).toEqual([T, T + 60]);
    await Promise.all([a.deliverer.poll(), b.deliverer.poll()]);
    // Later polls by either replica do not send it again.
    a.time.now += 600;
    b.time.now += 600;
    await Promise.all([a.deliverer.poll(), b.deliverer.poll()]);
    expect(sink.received.map((r) => r.path)).toEqual(['/slack']);
    expect([...a.outcomes, ...b.outcomes].map((o) => o.outcome)).toEqual(['sent']);
  });

  it('overlapping polls of one engine (the delivery loop and a tick) send and record once', async () => {
    await sink?.close();
    sink = await startReceiver();
    // The first poll's "sent" row is held back for a moment, so the second poll runs while the
    // first one is still recording its result.
    let held = false;
    const ch = gate(db.ch, {
      beforeInsert: async (table, rows) => {
        if (table !== 'slo_outbox' || held || (rows[0] as { status?: string }).status !== 'sent') return;
        held = true;
        await new Promise((done) => setTimeout(done, 1500));
      },
    });
    const r = replica(db, spec('overlap'), sink, { ch });
    await r.engine.tick();
    const first = r.deliverer.poll();
    await until(() => held);
    await r.deliverer.poll();
    await first;
    await r.deliverer.poll();
    expect(sink.received).toHaveLength(1);
    const log = await db.ch.query<{ outcome: string }>(sql`SELECT outcome FROM slo_notifications WHERE slo_id = 'overlap'`);
    expect(log.map((l) => l.outcome)).toEqual(['sent']);
  });

  it('a replica that died holding a claim delays the notification by the lease only', async () => {
    await sink?.close();
    sink = await startReceiver();
    const slo = spec('dead-claim');
    // Claims of the same second are ordered by replica id: the dead one's id sorts first.
    const dead = replica(db, slo, sink, { id: 'replica-1-dead' });
    await dead.engine.tick();
    // It claims attempt 1 and dies before sending: its claim row is all that is left.
    const { claimAttempts } = await import('../../slo-engine/notify/claims.ts');
    const [key] = (await db.ch.query<{ k: string }>(sql`SELECT dedup_key AS k FROM slo_outbox WHERE slo_id = 'dead-claim'`)).map((r) => r.k);
    await claimAttempts(db.ch, [{ key: key!, attempt: 1 }], 'replica-1-dead', { settleMs: 0, leaseSeconds: 3 });
    const alive = replica(db, slo, sink, { id: 'replica-2-alive', leaseSeconds: 3 });
    alive.time.now = dead.time.now;
    expect(await alive.deliverer.poll()).toEqual([]);
    await new Promise((r) => setTimeout(r, 4000)); // the lease is measured by the server's clock
    expect((await alive.deliverer.poll()).map((o) => o.outcome)).toEqual(['sent']);
    expect(sink.received).toHaveLength(1);
  });
});
