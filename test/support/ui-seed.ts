// A history for the web UI's tests, made by the real engine: spans inserted into ClickHouse (the
// rollup fills itself), then the engine ticks every 10 minutes over the last six hours, writing
// evaluations, alert states and outbox entries, and its deliverer polls after each tick (one
// channel answers 200, one 500), as in production. What each SLO ends up as, at `now`:
//
//   checkout-availability  checkout, 99% / 30d, tiers page 1h/5m 14.4x and ticket 1d/2h 3x. 200 spans
//                          a minute with 0.5% errors, then from now-40m 100 a minute with 50%: the
//                          page fires at now-10m, at now the ticket burns too but is inhibited.
//                          Webhook notification sent, Slack pending (HTTP 500, retrying). A
//                          maintenance window now-3h..now-2h45m.
//   catalog-latency        catalog, 99.5% / 7d latency <= 300 ms, spans of 20-80 ms: ok.
//   search-availability    search, tenant acme (its spans too), 99.9% / 30d, page 1h/5m 14.4x and
//                          ticket 1d/3h 3x. 20% errors from now-3h for 30 minutes: paged, resolved
//                          ~2h20m ago; the ticket still burns (its 3h window holds the incident)
//                          and stays inhibited after the page. Webhook sent both; Slack still
//                          retries the page, its resolve waits behind it.
//   legacy-availability    legacy, evaluated until now-3h only: stale.
//   batch-availability     batch, no spans at all: no data.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clickhouse } from '../../storage/client.ts';
import { sql } from '../../storage/sql.ts';
import { createEngine, evaluationRow } from '../../slo-engine/engine.ts';
import { evaluate } from '../../slo-engine/evaluate.ts';
import { evaluationPlan } from '../../slo-engine/math/windows.ts';
import { saveAlertStates } from '../../slo-engine/alerts/store.ts';
import { step, type AlertState } from '../../slo-engine/alerts/state-machine.ts';
import { TABLES } from '../../storage/tables.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { createDeliverer } from '../../slo-engine/notify/deliverer.ts';
import type { Slo } from '../../slo-engine/model.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';

const MINUTE = 60;

export const UI_SPECS = {
  checkout: `
id: checkout-availability
service: checkout
name: Checkout availability
description: Checkout answers without server errors.
labels: { team: shop }
objective: 99
period: 30d
sli: { kind: availability, routes: [/checkout] }
alerting:
  minEvents: 50
  ingestDelay: 0s
  noData: { alert: true, after: 10m, severity: ticket }
  tiers: [{ severity: page, long: 1h, short: 5m, factor: 14.4 }, { severity: ticket, long: 1d, short: 2h, factor: 3 }]
maintenance:
  - { start: "@MAINT_START", end: "@MAINT_END", reason: database upgrade }
`,
  catalog: `
id: catalog-latency
service: catalog
name: Catalog under 300 ms
objective: "99.5"
period: 7d
sli: { kind: latency, routes: [/catalog], threshold: 300ms }
alerting: { minEvents: 50, ingestDelay: 0s }
`,
  search: `
id: search-availability
service: search
name: Search availability
objective: 99.9
period: 30d
tenant: acme
sli: { kind: availability }
alerting: { ingestDelay: 0s, tiers: [{ severity: page, long: 1h, short: 5m, factor: 14.4 }, { severity: ticket, long: 1d, short: 3h, factor: 3 }] }
`,
  legacy: `
id: legacy-availability
service: legacy
objective: 99
period: 7d
sli: { kind: availability }
alerting: { ingestDelay: 0s }
`,
  batch: `
id: batch-availability
service: batch
objective: 99
period: 7d
sli: { kind: availability }
alerting: { ingestDelay: 0s }
`,
};

export interface UiSeed {
  now: number;
  slos: Slo[];
  /** The maintenance window of checkout-availability. */
  maintenance: { start: number; end: number };
  close(): Promise<void>;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

/** A receiver answering every request with `status` (no Retry-After: the sender backs off briefly). */
async function receiver(status: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status).end(status < 300 ? 'ok' : 'no'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function spans(ch: Clickhouse, o: { from: number; to: number; perMinute: number; service: string; route: string; tenant?: string; errorsPerMinute?: number }) {
  const minutes = (o.to - o.from) / MINUTE;
  const n = minutes * o.perMinute;
  // Durations of 20-80 ms, with start and end times that agree (a latency SLI counts only such spans).
  await ch.command(sql`INSERT INTO spans (tenant, timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, start_time_ns, end_time_ns, duration_ns)
    SELECT ${o.tenant ?? ''}, toDateTime(start) AS timestamp, 't', toString(number), ${`GET ${o.route}`}, 2,
           if(number % ${o.perMinute} < ${o.errorsPerMinute ?? 0}, 2, 1), ${o.service}, ${o.route},
           if(number % ${o.perMinute} < ${o.errorsPerMinute ?? 0}, 500, 200),
           toUInt64(start) * 1000000000 AS start_ns, start_ns + duration, duration
    FROM (SELECT number, ${o.from} + intDiv(number, ${o.perMinute}) * 60 + 1 AS start, toUInt64(20000000 + (number % 7) * 10000000) AS duration FROM numbers(${n}))`);
}

export async function seedUiHistory(ch: Clickhouse, now = Math.floor(Date.now() / 1000)): Promise<UiSeed> {
  const end = Math.floor(now / MINUTE) * MINUTE;
  const start = end - 6 * 3600;
  const maintenance = { start: end - 3 * 3600, end: end - 3 * 3600 + 15 * MINUTE };
  const slos = Object.values(UI_SPECS).map((text) => sloFromYaml(text.replace('@MAINT_START', iso(maintenance.start)).replace('@MAINT_END', iso(maintenance.end)), 'ui-seed.yaml'));
  const byId = (id: string) => slos.find((s) => s.id === id)!;

  await spans(ch, { from: start, to: end - 40 * MINUTE, perMinute: 200, errorsPerMinute: 1, service: 'checkout', route: '/checkout' });
  await spans(ch, { from: end - 40 * MINUTE, to: end + MINUTE, perMinute: 100, errorsPerMinute: 50, service: 'checkout', route: '/checkout' });
  await spans(ch, { from: start, to: end + MINUTE, perMinute: 100, service: 'catalog', route: '/catalog' });
  await spans(ch, { from: start, to: end - 3 * 3600, perMinute: 50, service: 'search', route: '/search', tenant: 'acme' });
  await spans(ch, { from: end - 3 * 3600, to: end - 150 * MINUTE, perMinute: 50, errorsPerMinute: 10, service: 'search', route: '/search', tenant: 'acme' });
  await spans(ch, { from: end - 150 * MINUTE, to: end + MINUTE, perMinute: 50, service: 'search', route: '/search', tenant: 'acme' });
  await spans(ch, { from: start, to: end + MINUTE, perMinute: 20, service: 'legacy', route: '/legacy' });

  const ok = await receiver(200);
  const failing = await receiver(500);
  const env = { WEBHOOK_URL: `${ok.url}/hook`, SLACK_WEBHOOK_URL: `${failing.url}/slack` };
  const engineFor = (selected: Slo[]) => {
    const { router, problems } = buildRouter(selected, env);
    if (problems.length) throw new Error(problems.join('; '));
    let clock = 0;
    const engine = createEngine({ ch, slos: selected, router, clock: () => clock, replicaId: 'seed' });
    const deliverer = createDeliverer({ ch, router, replicaId: 'seed', clock: () => clock, settleMs: 0 });
    return {
      async tick(at: number) {
        clock = at * 1000;
        await engine.tick();
        await deliverer.poll();
      },
    };
  };
  // Every 10 minutes over six hours, then once at `now`; legacy stops three hours ago.
  const main = engineFor(slos.filter((s) => s.id !== 'legacy-availability'));
  const legacy = engineFor([byId('legacy-availability')]);
  for (let t = start + 10 * MINUTE; t < now; t += 10 * MINUTE) {
    await main.tick(t);
    if (t <= end - 3 * 3600) await legacy.tick(t);
  }
  await main.tick(now);
  return {
    now,
    slos,
    maintenance,
    async close() {
      await ok.close();
      await failing.close();
    },
  };
}

/**
 * `n` SLOs over 50 services, each with one stored evaluation at `now` (and its alert states), as
 * the engine writes them: the list page's load for the page-size measurement. 2% page, 8% have a
 * ticket firing, the rest are fine.
 */
export async function seedManySlos(ch: Clickhouse, n: number, now = Math.floor(Date.now() / 1000)): Promise<Slo[]> {
  const slos = Array.from({ length: n }, (_, i) =>
    sloFromYaml(`id: slo-${String(i).padStart(4, '0')}\nservice: service-${i % 50}\nname: Endpoint ${i} availability\nobjective: 99.9\nperiod: 30d\nlabels: { team: team-${i % 7} }\nsli: { kind: availability, routes: [/api/${i}] }`, 'many.yaml'),
  );
  const rows: object[] = [];
  const states: AlertState[] = [];
  slos.forEach((slo, i) => {
    const plan = evaluationPlan(slo, now);
    // Every 50th SLO at 2% errors (20x a 0.1% budget: pages), every 10th at 0.4% (4x: a ticket), the rest at 0-0.05%.
    const perMillion = i % 50 === 0 ? 20_000 : i % 10 === 0 ? 4000 : (i * 37) % 500;
    const counts = (total: bigint) => ({ good: total - (total * BigInt(perMillion)) / 1_000_000n, total });
    const windows = new Map(plan.windows.map((w) => [w, counts(BigInt(w / 60) * 100n)]));
    const e = evaluate(slo, plan, { windows, period: counts(4_320_000n) }, now);
    const stepped = step(slo, [], e);
    states.push(...stepped.states);
    rows.push(evaluationRow(slo, e, stepped.states, stepped.inhibited));
  });
  await ch.insertJson(TABLES.sloEvaluations, rows);
  await saveAlertStates(ch, states, now * 1000);
  return slos;
}
