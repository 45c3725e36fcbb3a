// Spans with known answers for the dashboard tests. Inserted into `spans`; the materialized views
// fill trace_index and span_red_1m from them, as they do for the collector's inserts.
//
//   checkout   30 SERVER spans "POST /checkout" over minutes 0..2 (10 a minute); every 5th is an
//              ERROR (HTTP 500, 400 ms), the others OK (50 ms). The first 20 call products: a CLIENT
//              span "GET /products" (20 ms, starts 5 ms in) in the same trace.
//   products   20 SERVER spans "GET /products" (10 ms, starts 6 ms in), children of those calls.
//   pay'ments  5 SERVER spans "charge" in minute 2, 30 ms (a quote in the name tests the escaping).

export type Row = Record<string, unknown>;

const HOUR = 3600;
/** An hour-aligned start three hours back, so the whole seed is in the past and in one range. */
const T0 = Math.floor(Date.now() / 1000 / HOUR) * HOUR - 3 * HOUR;
const MS = 1_000_000n;

const traceIdOf = (i: number) => `4bf92f3577b34da6a3ce929d0e0e${i.toString(16).padStart(4, '0')}`;
const spanIdOf = (i: number, n: number) => `00f067aa0ba9${n.toString(16).padStart(2, '0')}${i.toString(16).padStart(2, '0')}`;

export const SEED = {
  from: T0,
  to: T0 + HOUR,
  rangeSeconds: HOUR,
  /** $__interval_s for the tests: the rollup's grain. */
  interval: 60,
  /** The trace the trace dashboard is tested with: checkout (OK) -> client call -> products. */
  traceId: traceIdOf(3),
  checkoutErrorTraceIds: [0, 5, 10, 15, 20, 25].map(traceIdOf),
};

interface SpanInput {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  kind: number;
  statusCode: number;
  startNs: bigint;
  durationMs: number;
  route: string;
  httpStatus: number;
}

function span(s: SpanInput): Row {
  const durationNs = BigInt(s.durationMs) * MS;
  return {
    tenant: '',
    timestamp: Number(s.startNs / 1_000_000_000n),
    start_time_ns: s.startNs.toString(),
    end_time_ns: (s.startNs + durationNs).toString(),
    duration_ns: durationNs.toString(),
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId,
    name: s.name,
    kind: s.kind,
    status_code: s.statusCode,
    status_message: s.statusCode === 2 ? 'HTTP 500' : '',
    service_name: s.service,
    http_route: s.route,
    http_status_code: s.httpStatus,
    'attributes.key': ['http.route', 'http.response.status_code'],
    'attributes.type': ['string', 'int'],
    'attributes.value': [s.route, String(s.httpStatus)],
    'resource_attributes.key': ['service.name'],
    'resource_attributes.type': ['string'],
    'resource_attributes.value': [s.service],
  };
}

export function seedRows(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 30; i++) {
    const startNs = BigInt(T0 + Math.floor(i / 10) * 60 + (i % 10) * 5) * 1_000_000_000n;
    const error = i % 5 === 0;
    const root = spanIdOf(i, 1);
    rows.push(
      span({
        traceId: traceIdOf(i), spanId: root, parentSpanId: '', service: 'checkout', name: 'POST /checkout', kind: 2,
        statusCode: error ? 2 : 1, startNs, durationMs: error ? 400 : 50, route: '/checkout', httpStatus: error ? 500 : 200,
      }),
    );
    if (i >= 20) continue;
    const client = spanIdOf(i, 2);
    rows.push(
      span({
        traceId: traceIdOf(i), spanId: client, parentSpanId: root, service: 'checkout', name: 'GET /products', kind: 3,
        statusCode: 0, startNs: startNs + 5n * MS, durationMs: 20, route: '', httpStatus: 200,
      }),
      span({
        traceId: traceIdOf(i), spanId: spanIdOf(i, 3), parentSpanId: client, service: 'products', name: 'GET /products', kind: 2,
        statusCode: 0, startNs: startNs + 6n * MS, durationMs: 10, route: '/products', httpStatus: 200,
      }),
    );
  }
  for (let i = 0; i < 5; i++) {
    rows.push(
      span({
        traceId: traceIdOf(100 + i), spanId: spanIdOf(100 + i, 1), parentSpanId: '', service: "pay'ments", name: 'charge', kind: 2,
        statusCode: 0, startNs: BigInt(T0 + 120 + i) * 1_000_000_000n, durationMs: 30, route: '', httpStatus: 0,
      }),
    );
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// SLO engine output for two SLOs, evaluated once a minute for minutes 0..9 (at :30).
//   checkout-availability  objective stored as percent (99.9, as the engine writes it); budget 1.00 -> 0.55; page fires
//                          from minute 5 (a stale 'inactive' row with a lower version must lose).
//   products-latency       objective stored as a fraction (0.99); budget 0.9; nothing fires;
//                          its 6h window has no data (NULL burn rate).
// slo_sli_1m holds 990/1000 a minute for checkout under the current definition h2, and rows of
// the replaced definition h1 and an older version of minute 0 that must not count.

export const SLO_SEED = {
  checkout: 'checkout-availability',
  products: 'products-latency',
  windows: [300, 1800, 3600, 21600],
  checkoutBurn: [20, 16, 15, 2],
  productsBurn: [0.5, 0.4, 0.3, null],
  budget: (m: number) => 1 - 0.05 * m,
  pageFiringFrom: 5,
};

export function sloRows(): Record<string, Row[]> {
  const evaluations: Row[] = [];
  for (let m = 0; m < 10; m++) {
    const at = T0 + m * 60 + 30;
    const common = {
      time: at,
      window_end: at - 60,
      period: '30d',
      period_start: T0 - 86400,
      window_seconds: SLO_SEED.windows,
      tier_severity: ['page', 'ticket'],
      tier_long_seconds: [3600, 21600],
      tier_short_seconds: [300, 1800],
      tier_factor: [14.4, 6],
      alert_kind: ['page', 'ticket', 'no-data'],
      no_data: 0,
    };
    const firing = m >= SLO_SEED.pageFiringFrom;
    evaluations.push(
      {
        ...common,
        slo_id: SLO_SEED.checkout, service: 'checkout', slo_name: 'Checkout availability', objective: 99.9,
        period_good: 990_000, period_total: 1_000_000, sli: 0.99, budget_remaining: SLO_SEED.budget(m), time_to_exhaustion_seconds: 86400,
        window_good: [0, 0, 0, 0], window_total: [0, 0, 0, 0], window_sli: [0.98, 0.984, 0.985, 0.998],
        window_burn_rate: SLO_SEED.checkoutBurn, tier_condition: ['burning', 'ok'],
        alert_status: [firing ? 'firing' : 'inactive', 'inactive', 'inactive'], page_firing: firing ? 1 : 0, ticket_firing: 0,
      },
      {
        ...common,
        slo_id: SLO_SEED.products, service: 'products', slo_name: 'Products latency', objective: 0.99,
        period_good: 999, period_total: 1000, sli: 0.995, budget_remaining: 0.9, time_to_exhaustion_seconds: null,
        window_good: [0, 0, 0, 0], window_total: [0, 0, 0, 0], window_sli: [0.995, 0.996, 0.997, null],
        window_burn_rate: SLO_SEED.productsBurn, tier_condition: ['ok', 'no-data'],
        alert_status: ['inactive', 'inactive', 'inactive'], page_firing: 0, ticket_firing: 0,
      },
    );
  }
  const sli: Row[] = [];
  for (let m = 0; m < 10; m++) {
    const minute = T0 + m * 60;
    sli.push({ slo_id: SLO_SEED.checkout, sli_hash: 'h2', minute, good: 990, total: 1000, version: 2 });
    sli.push({ slo_id: SLO_SEED.checkout, sli_hash: 'h1', minute, good: 0, total: 1000, version: 1 });
  }
  sli.push({ slo_id: SLO_SEED.checkout, sli_hash: 'h2', minute: T0, good: 500, total: 1000, version: 1 });
  const pageSince = T0 + SLO_SEED.pageFiringFrom * 60 + 30;
  return {
    slo_evaluations: evaluations,
    slo_sli_1m: sli,
    slo_definitions: [
      { slo_id: SLO_SEED.checkout, sli_hash: 'h1', service: 'checkout', name: 'Checkout availability', spec: '{}', counted_from: T0 - 7200, counted_until: T0 - 3600, updated: T0 - 3600, version: 1 },
      { slo_id: SLO_SEED.checkout, sli_hash: 'h2', service: 'checkout', name: 'Checkout availability', spec: '{}', counted_from: T0 - 3600, counted_until: T0 + 600, updated: T0 + 600, version: 2 },
    ],
    slo_alert_state: [
      { slo_id: SLO_SEED.checkout, kind: 'page', status: 'inactive', since: 0, updated: pageSince - 60, no_data_since: 0, version: 1 },
      { slo_id: SLO_SEED.checkout, kind: 'page', status: 'firing', since: pageSince, updated: T0 + 570, no_data_since: 0, version: 2 },
      { slo_id: SLO_SEED.checkout, kind: 'ticket', status: 'inactive', since: 0, updated: T0 + 570, no_data_since: 0, version: 2 },
      { slo_id: SLO_SEED.products, kind: 'page', status: 'inactive', since: 0, updated: T0 + 570, no_data_since: 0, version: 2 },
    ],
    slo_notifications: [
      { time: pageSince, slo_id: SLO_SEED.checkout, kind: 'page', event: 'firing', channel: 'webhook', dedup_key: 'k1', replica: 'r1', outcome: 'delivered', http_status: 200, attempts: 1, error: '' },
      { time: pageSince + 1, slo_id: SLO_SEED.checkout, kind: 'page', event: 'firing', channel: 'slack', dedup_key: 'k1', replica: 'r1', outcome: 'failed', http_status: 500, attempts: 3, error: 'HTTP 500' },
      { time: pageSince, slo_id: SLO_SEED.products, kind: 'ticket', event: 'firing', channel: 'slack', dedup_key: 'k2', replica: 'r1', outcome: 'delivered', http_status: 200, attempts: 1, error: '' },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Logs: two records of the seeded trace (checkout INFO by text, products DEBUG by number only)
// and one record of another trace.

export function logRows(): Row[] {
  const base = BigInt(T0 + 15) * 1_000_000_000n; // trace 3 starts at T0 + 15 s
  const log = (traceId: string, service: string, offsetMs: bigint, body: string, severityText: string, severityNumber: number): Row => {
    const ns = base + offsetMs * MS;
    return {
      tenant: '', timestamp: Number(ns / 1_000_000_000n), time_ns: ns.toString(), observed_time_ns: ns.toString(),
      trace_id: traceId, span_id: '', severity_number: severityNumber, severity_text: severityText, body, body_type: 'string', service_name: service,
    };
  };
  return [
    log(SEED.traceId, 'products', 8n, 'looked up 3 products', '', 5),
    log(SEED.traceId, 'checkout', 2n, 'checkout started', 'INFO', 9),
    log(traceIdOf(4), 'checkout', 2n, 'another trace', 'INFO', 9),
  ];
}

// ---------------------------------------------------------------------------------------------
// Metrics of checkout, minutes 0..2: gauge queue.depth 1, 2, 3 (plus a staleness marker that must be
// ignored), DELTA sum orders.count 10 a minute (int), DELTA histogram http.server.request.duration
// 20 observations summing to 2.0 a minute, and one exponential histogram and one summary point.

export const METRIC_SEED = { gauge: 'queue.depth', sum: 'orders.count', histogram: 'http.server.request.duration', expHistogram: 'payload.size', summary: 'gc.pause' };

export function metricRows(): Record<string, Row[]> {
  const point = (m: number, metric: string, extra: Row): Row => ({
    tenant: '', timestamp: T0 + m * 60 + 10, start_time_ns: (BigInt(T0 + m * 60) * 1_000_000_000n).toString(),
    time_ns: (BigInt(T0 + m * 60 + 10) * 1_000_000_000n).toString(), service_name: 'checkout', metric_name: metric,
    metric_unit: '', 'attributes.key': ['queue'], 'attributes.type': ['string'], 'attributes.value': ['orders'], flags: 0, ...extra,
  });
  const minutes = [0, 1, 2];
  return {
    metrics_gauge: [
      ...minutes.map((m) => point(m, METRIC_SEED.gauge, { value_type: 1, value_double: m + 1 })),
      point(1, METRIC_SEED.gauge, { value_type: 0, value_double: 999, flags: 1 }),
    ],
    metrics_sum: minutes.map((m) => point(m, METRIC_SEED.sum, { aggregation_temporality: 1, is_monotonic: 1, value_type: 2, value_int: 10 })),
    metrics_histogram: minutes.map((m) =>
      point(m, METRIC_SEED.histogram, { aggregation_temporality: 1, count: 20, sum: 2, has_sum: 1, bucket_counts: [5, 15], explicit_bounds: [0.05], 'attributes.key': [], 'attributes.type': [], 'attributes.value': [] }),
    ),
    metrics_exp_histogram: [point(0, METRIC_SEED.expHistogram, { aggregation_temporality: 1, count: 4, sum: 40 })],
    metrics_summary: [point(0, METRIC_SEED.summary, { count: 2, sum: 0.5 })],
  };
}
