import type { ResourceInfo, ScopeInfo, SpanRow } from '../../collector/rows/types.ts';

export const EMPTY_ATTRIBUTES = () => ({ keys: [] as string[], types: [] as string[], values: [] as string[] });

export function resource(overrides: Partial<ResourceInfo> = {}): ResourceInfo {
  return { attributes: EMPTY_ATTRIBUTES(), droppedAttributesCount: 0, schemaUrl: '', serviceName: 'svc', serviceNamespace: '', deploymentEnvironment: '', ...overrides };
}

export function scope(overrides: Partial<ScopeInfo> = {}): ScopeInfo {
  return { name: 'scope', version: '1.0.0', attributesJson: '', droppedAttributesCount: 0, schemaUrl: '', ...overrides };
}

let counter = 0;

/** A valid span row with unique ids; override what the test is about. */
export function spanRow(overrides: Partial<SpanRow> = {}): SpanRow {
  counter++;
  const start = 1_763_000_000_000_000_000n + BigInt(counter) * 1_000_000n;
  return {
    tenant: '',
    timestamp: Number(start / 1_000_000_000n),
    startTimeNs: start,
    endTimeNs: start + 5_000_000n,
    durationNs: 5_000_000n,
    traceId: counter.toString(16).padStart(32, '0'),
    spanId: counter.toString(16).padStart(16, '0'),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'GET /',
    kind: 2,
    statusCode: 0,
    statusMessage: '',
    httpRoute: '',
    httpStatusCode: 0,
    attributes: EMPTY_ATTRIBUTES(),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    resource: resource(),
    scope: scope(),
    ...overrides,
  };
}
