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
