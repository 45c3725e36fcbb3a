import type { AttributeColumns, ResourceInfo, ScopeInfo, SpanRow } from '../collector/rows/types.ts';

/** Deterministic pseudo-random numbers, so every run measures the same data. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const attrs = (pairs: [string, string, string][]): AttributeColumns => ({ keys: pairs.map((p) => p[0]), types: pairs.map((p) => p[1]), values: pairs.map((p) => p[2]) });
const hex = (rand: () => number, bytes: number) => Array.from({ length: bytes }, () => Math.floor(rand() * 256).toString(16).padStart(2, '0')).join('');

/** Span rows shaped like the ingest benchmark's spans (6 resource attributes, ~8 span attributes). */
export function realisticSpanRows(count: number, seed = 42): SpanRow[] {
  const rand = seededRandom(seed);
  const resource: ResourceInfo = {
    attributes: attrs([['service.name', 'string', 'checkout'], ['service.version', 'string', '1.4.2'], ['service.namespace', 'string', 'shop'], ['deployment.environment.name', 'string', 'prod'], ['host.name', 'string', 'node-7'], ['telemetry.sdk.language', 'string', 'nodejs']]),
    droppedAttributesCount: 0, schemaUrl: '', serviceName: 'checkout', serviceNamespace: 'shop', deploymentEnvironment: 'prod',
  };
  const scope: ScopeInfo = { name: '@opentelemetry/instrumentation-http', version: '0.57.0', attributesJson: '', droppedAttributesCount: 0, schemaUrl: '' };
  const start = 1_763_600_000_000_000_000n;
  return Array.from({ length: count }, (_, i) => {
    const s = start + BigInt(i) * 1_000_000n;
    const duration = BigInt(Math.floor(rand() * 200_000_000));
    const error = rand() < 0.01;
    const route = ['/checkout', '/products/:id', '/cart', '/login'][i % 4]!;
    return {
      tenant: '', timestamp: Number(s / 1_000_000_000n), startTimeNs: s, endTimeNs: s + duration, durationNs: duration,
      traceId: hex(rand, 16), spanId: hex(rand, 8), parentSpanId: i % 3 ? hex(rand, 8) : '', traceState: '', flags: 1,
      name: `GET ${route}`, kind: 2, statusCode: error ? 2 : 0, statusMessage: error ? 'internal error' : '', httpRoute: route, httpStatusCode: error ? 500 : 200,
      attributes: attrs([['http.request.method', 'string', 'GET'], ['http.route', 'string', route], ['http.response.status_code', 'int', error ? '500' : '200'], ['url.scheme', 'string', 'https'], ['server.address', 'string', 'shop.example.com'], ['server.port', 'int', '443'], ['user_agent.original', 'string', 'Mozilla/5.0 (X11; Linux x86_64)'], ['network.protocol.version', 'string', '1.1']]),
      droppedAttributesCount: 0,
      events: rand() < 0.05 ? [{ timeNs: s + 1000n, name: 'exception', attributesJson: '[{"key":"exception.message","value":{"stringValue":"timeout"}}]', droppedAttributesCount: 0 }] : [],
      droppedEventsCount: 0, links: [], droppedLinksCount: 0, resource, scope,
    };
  });
}
