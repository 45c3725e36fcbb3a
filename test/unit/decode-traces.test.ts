import { SpanKind, SpanStatusCode, type Attributes, type HrTime, type Link, type SpanContext } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { decodeTracesJson } from '../../collector/decode/traces-json.ts';
import { decodeTracesProto } from '../../collector/decode/traces-proto.ts';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, type DecodeResult, type ResourceInfo, type ScopeInfo, type SpanRow } from '../../collector/rows/types.ts';

// Payloads come from the official OTLP serializers, so the decoders are checked against what real
// SDK exporters send, in both encodings.

interface SpanInit {
  traceId: string;
  spanId: string;
  traceFlags?: number;
  traceState?: TraceState;
  parent?: SpanContext;
  name?: string;
  kind?: SpanKind;
  startTime?: HrTime;
  endTime?: HrTime;
  status?: ReadableSpan['status'];
  attributes?: Record<string, unknown>;
  events?: TimedEvent[];
  links?: Link[];
  droppedAttributesCount?: number;
  droppedEventsCount?: number;
  droppedLinksCount?: number;
  resource?: Resource;
  scope?: InstrumentationScope;
}

const defaultResource = resourceFromAttributes({ 'service.name': 'svc' });
const defaultScope: InstrumentationScope = { name: 'test' };

/** A ReadableSpan built by hand, so every field (ids, dropped counts, odd attribute values) is ours. */
function readableSpan(init: SpanInit): ReadableSpan {
  const context: SpanContext = {
    traceId: init.traceId,
    spanId: init.spanId,
    traceFlags: init.traceFlags ?? 1,
    traceState: init.traceState,
  };
  return {
    name: init.name ?? 'span',
    kind: init.kind ?? SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanContext: init.parent,
    startTime: init.startTime ?? [1_700_000_000, 0],
    endTime: init.endTime ?? [1_700_000_001, 0],
    status: init.status ?? { code: SpanStatusCode.UNSET },
    // The serializers also encode Uint8Array and nested objects, which the API type does not list.
    attributes: (init.attributes ?? {}) as Attributes,
    links: init.links ?? [],
    events: init.events ?? [],
    duration: [0, 0],
    ended: true,
    resource: init.resource ?? defaultResource,
    instrumentationScope: init.scope ?? defaultScope,
    droppedAttributesCount: init.droppedAttributesCount ?? 0,
    droppedEventsCount: init.droppedEventsCount ?? 0,
    droppedLinksCount: init.droppedLinksCount ?? 0,
  };
}

const options = (limits: Partial<DecodeLimits> = {}) => ({ tenant: 'acme', limits: { ...DEFAULT_DECODE_LIMITS, ...limits } });

function viaProto(spans: ReadableSpan[], limits?: Partial<DecodeLimits>): DecodeResult<SpanRow> {
  return decodeTracesProto(ProtobufTraceSerializer.serializeRequest(spans)!, options(limits));
}

function viaJson(spans: ReadableSpan[], limits?: Partial<DecodeLimits>): DecodeResult<SpanRow> {
  return decodeTracesJson(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!), options(limits));
}

const decoders = [
  ['protobuf', viaProto],
  ['JSON', viaJson],
] as const;

// --- The fixture: every span field, in two resources and two scopes. ---

const checkoutResource = resourceFromAttributes(
  { 'service.name': 'checkout', 'service.namespace': 'shop', 'deployment.environment.name': 'prod', 'host.cores': 8 },
  { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
);
const checkoutScope = {
  name: 'checkout-http',
  version: '1.2.3',
  schemaUrl: 'https://example.com/scope-schema',
  attributes: { 'scope.attr': 'x', 'scope.n': 2 },
} as InstrumentationScope;

const serverSpan = readableSpan({
  traceId: '0AF7651916CD43DD8448EB211C80319C', // uppercase: both encodings must come out lowercase
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
  traceState: new TraceState('vendor=abc'),
  parent: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
  name: 'GET /users/:id',
  kind: SpanKind.SERVER,
  startTime: [1_700_000_000, 123_456_789],
  endTime: [1_700_000_000, 623_456_789],
  status: { code: SpanStatusCode.ERROR, message: 'upstream timeout ⏱' },
  attributes: {
    'http.route': '/users/:id',
    'http.response.status_code': 503,
    'http.status_code': 200,
    empty: '',
    unicode: 'héllo 🌍 日本',
    'int.min': -(2 ** 63),
    'int.big': 2 ** 62,
    double: 1.5,
    'double.neg': -0.25,
    bool: false,
    bytes: new Uint8Array([0, 1, 254, 255]),
    array: ['a', 1, 2.5, true],
    'array.empty': [],
    nested: { list: [1, ['x']], map: { deep: 'y' }, raw: new Uint8Array([1, 2]) },
  },
  droppedAttributesCount: 3,
  events: [
    { name: 'retry', time: [1_700_000_000, 200_000_000], attributes: { attempt: 2, reason: 'timeout' }, droppedAttributesCount: 1 },
    { name: 'no-attrs', time: [1_700_000_000, 300_000_000] },
  ],
  droppedEventsCount: 4,
  links: [
    {
      context: {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        traceFlags: 0,
        traceState: new TraceState('congo=t61rcWkgMzE'),
        isRemote: true,
      },
      attributes: { 'link.kind': 'follows' },
      droppedAttributesCount: 2,
    },
  ],
  droppedLinksCount: 5,
  resource: checkoutResource,
  scope: checkoutScope,
});

const rootSpan = readableSpan({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '0000000000000001',
  traceFlags: 0,
  name: '',
  kind: SpanKind.INTERNAL,
  startTime: [1_700_000_001, 0],
  endTime: [1_700_000_000, 999_999_999], // ends before it starts: duration 0
  resource: checkoutResource,
  scope: checkoutScope,
});

const legacyResource = resourceFromAttributes({ 'deployment.environment': 'staging' });
const clientSpan = readableSpan({
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  name: 'fetch',
  kind: SpanKind.CLIENT,
  status: { code: SpanStatusCode.OK },
  attributes: { 'http.status_code': 404 },
  resource: legacyResource,
  scope: { name: 'fetch-lib' },
});

const checkoutResourceInfo: ResourceInfo = {
  attributes: {
    keys: ['service.name', 'service.namespace', 'deployment.environment.name', 'host.cores'],
    types: ['string', 'string', 'string', 'int'],
    values: ['checkout', 'shop', 'prod', '8'],
  },
  droppedAttributesCount: 0,
  schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
  serviceName: 'checkout',
  serviceNamespace: 'shop',
  deploymentEnvironment: 'prod',
};

const checkoutScopeInfo: ScopeInfo = {
  name: 'checkout-http',
  version: '1.2.3',
  attributesJson: '[{"key":"scope.attr","value":{"stringValue":"x"}},{"key":"scope.n","value":{"intValue":"2"}}]',
  droppedAttributesCount: 0,
  schemaUrl: 'https://example.com/scope-schema',
};

const expectedServerRow: SpanRow = {
  tenant: 'acme',
  timestamp: 1_700_000_000,
  startTimeNs: 1_700_000_000_123_456_789n,
  endTimeNs: 1_700_000_000_623_456_789n,
  durationNs: 500_000_000n,
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  parentSpanId: '00f067aa0ba902b7',
  traceState: 'vendor=abc',
  flags: 0x301, // sampled | HAS_IS_REMOTE | IS_REMOTE (the parent is remote)
  name: 'GET /users/:id',
  kind: 2,
  statusCode: 2,
  statusMessage: 'upstream timeout ⏱',
  httpRoute: '/users/:id',
  httpStatusCode: 503,
  attributes: {
    keys: [
      'http.route',
      'http.response.status_code',
      'http.status_code',
      'empty',
      'unicode',
      'int.min',
      'int.big',
      'double',
      'double.neg',
      'bool',
      'bytes',
      'array',
      'array.empty',
      'nested',
    ],
    types: ['string', 'int', 'int', 'string', 'string', 'int', 'int', 'double', 'double', 'bool', 'bytes', 'array', 'array', 'kvlist'],
    values: [
      '/users/:id',
      '503',
      '200',
      '',
      'héllo 🌍 日本',
      '-9223372036854775808',
      '4611686018427387904',
      '1.5',
      '-0.25',
      'false',
      'AAH+/w==',
      '{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"doubleValue":2.5},{"boolValue":true}]}}',
      '{"arrayValue":{"values":[]}}',
      '{"kvlistValue":{"values":[' +
        '{"key":"list","value":{"arrayValue":{"values":[{"intValue":"1"},{"arrayValue":{"values":[{"stringValue":"x"}]}}]}}},' +
        '{"key":"map","value":{"kvlistValue":{"values":[{"key":"deep","value":{"stringValue":"y"}}]}}},' +
        '{"key":"raw","value":{"bytesValue":"AQI="}}]}}',
    ],
  },
  droppedAttributesCount: 3,
  events: [
    {
      timeNs: 1_700_000_000_200_000_000n,
      name: 'retry',
      attributesJson: '[{"key":"attempt","value":{"intValue":"2"}},{"key":"reason","value":{"stringValue":"timeout"}}]',
      droppedAttributesCount: 1,
    },
    { timeNs: 1_700_000_000_300_000_000n, name: 'no-attrs', attributesJson: '', droppedAttributesCount: 0 },
  ],
  droppedEventsCount: 4,
  links: [
    {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceState: 'congo=t61rcWkgMzE',
      flags: 0x300,
      attributesJson: '[{"key":"link.kind","value":{"stringValue":"follows"}}]',
      droppedAttributesCount: 2,
    },
  ],
  droppedLinksCount: 5,
  resource: checkoutResourceInfo,
  scope: checkoutScopeInfo,
};

const noAttributes = { keys: [], types: [], values: [] };

const expectedRootRow: SpanRow = {
  ...expectedServerRow,
  timestamp: 1_700_000_001,
  startTimeNs: 1_700_000_001_000_000_000n,
  endTimeNs: 1_700_000_000_999_999_999n,
  durationNs: 0n,
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '0000000000000001',
  parentSpanId: '',
  traceState: '',
  flags: 0x100, // HAS_IS_REMOTE only
  name: '',
  kind: 1,
  statusCode: 0,
  statusMessage: '',
  httpRoute: '',
  httpStatusCode: 0,
  attributes: noAttributes,
  droppedAttributesCount: 0,
  events: [],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
};

const expectedClientRow: SpanRow = {
  ...expectedRootRow,
  timestamp: 1_700_000_000,
  startTimeNs: 1_700_000_000_000_000_000n,
  endTimeNs: 1_700_000_001_000_000_000n,
  durationNs: 1_000_000_000n,
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  flags: 0x101,
  name: 'fetch',
  kind: 3,
  statusCode: 1,
  httpStatusCode: 404,
  attributes: { keys: ['http.status_code'], types: ['int'], values: ['404'] },
  resource: {
    attributes: { keys: ['deployment.environment'], types: ['string'], values: ['staging'] },
    droppedAttributesCount: 0,
    schemaUrl: '',
    serviceName: 'unknown_service',
    serviceNamespace: '',
    deploymentEnvironment: 'staging',
  },
  scope: { name: 'fetch-lib', version: '', attributesJson: '', droppedAttributesCount: 0, schemaUrl: '' },
};

describe.each(decoders)('%s trace decoder with the official serializer', (_encoding, decode) => {
  it('decodes every span field to the exact expected row', () => {
    const result = decode([serverSpan, rootSpan, clientSpan]);
    expect(result.rejected).toBe(0);
    expect(result.errorMessage).toBe('');
    expect(result.rows).toHaveLength(3);
    expect(result.rows[0]).toEqual(expectedServerRow);
    expect(result.rows[1]).toEqual(expectedRootRow);
    expect(result.rows[2]).toEqual(expectedClientRow);
  });

  it('shares one ResourceInfo and ScopeInfo object between the rows of a batch', () => {
    const [server, root, client] = decode([serverSpan, rootSpan, clientSpan]).rows;
    expect(root!.resource).toBe(server!.resource);
    expect(root!.scope).toBe(server!.scope);
    expect(client!.resource).not.toBe(server!.resource);
  });

  it('decodes an empty request to no rows', () => {
    expect(decode([])).toEqual({ rows: [], rejected: 0, errorMessage: '' });
  });

  it('rejects spans with invalid ids and keeps the rest (partial success)', () => {
    const bad = (traceId: string, spanId: string, parentSpanId?: string) =>
      readableSpan({ traceId, spanId, parent: parentSpanId ? { traceId, spanId: parentSpanId, traceFlags: 1 } : undefined });
    const result = decode([
      bad('abcd', 'b7ad6b7169203331'),
      rootSpan,
      bad('4bf92f3577b34da6a3ce929d0e0e47', 'b7ad6b7169203331'), // 15 bytes
      bad('4bf92f3577b34da6a3ce929d0e0e4736', 'b7ad6b71692033'),
      bad('4bf92f3577b34da6a3ce929d0e0e4736', 'b7ad6b7169203331', 'ffff'),
      bad('00000000000000000000000000000000', 'b7ad6b7169203331'),
      bad('4bf92f3577b34da6a3ce929d0e0e4736', '0000000000000000'),
    ]);
    expect(result.rows.map((row) => row.spanId)).toEqual(['0000000000000001']);
    expect(result.rejected).toBe(6);
    expect(result.errorMessage).toBe(
      '6 spans rejected: invalid trace_id length (expected 16 bytes) (2); invalid span_id length (expected 8 bytes) (1); ' +
        'invalid parent_span_id length (expected 8 bytes or empty) (1); all-zero trace_id (1); all-zero span_id (1)',
    );
  });

  it('words the message for a single kind of rejection', () => {
    const result = decode([readableSpan({ traceId: 'abcd', spanId: 'b7ad6b7169203331' }), readableSpan({ traceId: 'ab', spanId: 'b7ad6b7169203331' })]);
    expect(result).toEqual({ rows: [], rejected: 2, errorMessage: '2 spans rejected: invalid trace_id length (expected 16 bytes)' });
  });

  it('keeps a span whose link ids have the wrong length, with the link ids as sent', () => {
    const span = readableSpan({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: 'b7ad6b7169203331',
      links: [{ context: { traceId: 'abcd', spanId: '01', traceFlags: 1 } }],
    });
    const { rows, rejected } = decode([span]);
    expect(rejected).toBe(0);
    expect(rows[0]!.links).toEqual([{ traceId: 'abcd', spanId: '01', traceState: '', flags: 0x101, attributesJson: '', droppedAttributesCount: 0 }]);
  });

  it('keeps at most maxAttributesPerList attributes per list and counts the rest as dropped', () => {
    const span = readableSpan({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: 'b7ad6b7169203331',
      attributes: { a: 1, b: 2, c: 3 },
      droppedAttributesCount: 1,
      events: [{ name: 'e', time: [1, 0], attributes: { x: 1, y: 2, z: 3 }, droppedAttributesCount: 5 }],
      resource: resourceFromAttributes({ 'service.name': 'svc', r1: 1, r2: 2 }),
    });
    const [row] = decode([span], { maxAttributesPerList: 2 }).rows;
    expect(row!.attributes).toEqual({ keys: ['a', 'b'], types: ['int', 'int'], values: ['1', '2'] });
    expect(row!.droppedAttributesCount).toBe(2);
    expect(row!.events[0]!.attributesJson).toBe('[{"key":"x","value":{"intValue":"1"}},{"key":"y","value":{"intValue":"2"}}]');
    expect(row!.events[0]!.droppedAttributesCount).toBe(6);
    expect(row!.resource.attributes.keys).toEqual(['service.name', 'r1']);
    expect(row!.resource.droppedAttributesCount).toBe(1);
  });

  it('truncates value text to maxAttributeValueBytes on a character boundary', () => {
    const span = readableSpan({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: 'b7ad6b7169203331',
      attributes: {
        accents: 'héllo wörld', // h é(2) l l = 5 bytes
        emoji: 'ab😀cd', // the 4-byte emoji does not fit after 'ab'
        short: 'fits',
        bytes: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), // 6 bytes keep the base64 within 8
        array: ['abcdefghij'],
      },
      events: [{ name: 'e', time: [1, 0], attributes: { long: 'abcdefghij' } }],
    });
    const [row] = decode([span], { maxAttributeValueBytes: 8 }).rows;
    expect(row!.attributes.values).toEqual(['héllo w', 'ab😀cd', 'fits', 'AQIDBAUG', '{"arrayV']);
    expect(row!.events[0]!.attributesJson).toBe('[{"key":"long","value":{"stringValue":"abcdefgh"}}]');

    const [tight] = decode([span], { maxAttributeValueBytes: 5 }).rows;
    expect(tight!.attributes.values.slice(0, 3)).toEqual(['héll', 'ab', 'fits']);
  });

  it('cuts array and kvlist nesting deeper than maxAnyValueDepth', () => {
    const span = readableSpan({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: 'b7ad6b7169203331',
      attributes: { nested: [1, [2, [3]]], map: { a: { b: 'c' } } },
    });
    const [row] = decode([span], { maxAnyValueDepth: 2 }).rows;
    expect(row!.attributes.values).toEqual([
      '{"arrayValue":{"values":[{"intValue":"1"},{"arrayValue":{"values":[{"intValue":"2"},{}]}}]}}',
      '{"kvlistValue":{"values":[{"key":"a","value":{"kvlistValue":{"values":[{"key":"b","value":{"stringValue":"c"}}]}}}]}}',
    ]);
    const [flat] = decode([span], { maxAnyValueDepth: 0 }).rows;
    expect(flat!.attributes).toEqual({ keys: ['nested', 'map'], types: ['empty', 'empty'], values: ['', ''] });
  });

  it('derives the HTTP status from http.status_code when the new key is absent, 0 when out of range or not an int', () => {
    const withAttributes = (attributes: Record<string, unknown>) =>
      readableSpan({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b7169203331', attributes });
    const rows = decode([
      withAttributes({ 'http.status_code': 302 }),
      withAttributes({ 'http.response.status_code': 70000 }),
      withAttributes({ 'http.response.status_code': '200' }),
      withAttributes({ 'http.response.status_code': -1 }),
    ]).rows;
    expect(rows.map((row) => row.httpStatusCode)).toEqual([302, 0, 0, 0]);
  });
});

describe('protobuf and JSON from the official serializers', () => {
  it('decode to identical rows', () => {
    const spans = [serverSpan, rootSpan, clientSpan];
    expect(viaJson(spans)).toEqual(viaProto(spans));
  });
});

describe('NaN and infinite doubles', () => {
  const span = readableSpan({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: 'b7ad6b7169203331',
    attributes: { nan: NaN, inf: Infinity, ninf: -Infinity, list: [NaN, -Infinity] },
  });
  const specialsText = ['NaN', 'Infinity', '-Infinity', '{"arrayValue":{"values":[{"doubleValue":"NaN"},{"doubleValue":"-Infinity"}]}}'];

  it('decode from protobuf to their text forms', () => {
    const [row] = viaProto([span]).rows;
    expect(row!.attributes.types).toEqual(['double', 'double', 'double', 'array']);
    expect(row!.attributes.values).toEqual(specialsText);
  });

  it('decode from OTLP/JSON written as the strings "NaN" / "Infinity" / "-Infinity"', () => {
    const request = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest([span])!));
    const attributes = request.resourceSpans[0].scopeSpans[0].spans[0].attributes;
    // The JS serializer writes these doubles as JSON null (JSON.stringify): spell them as the spec does.
    attributes[0].value.doubleValue = 'NaN';
    attributes[1].value.doubleValue = 'Infinity';
    attributes[2].value.doubleValue = '-Infinity';
    attributes[3].value.arrayValue.values = [{ doubleValue: 'NaN' }, { doubleValue: '-Infinity' }];
    const [row] = decodeTracesJson(JSON.stringify(request), options()).rows;
    expect(row!.attributes.values).toEqual(specialsText);
  });

  it('a JSON null doubleValue (what the JS serializer writes) is an empty value', () => {
    const [row] = viaJson([span]).rows;
    expect(row!.attributes.types).toEqual(['empty', 'empty', 'empty', 'array']);
    expect(row!.attributes.values).toEqual(['', '', '', '{"arrayValue":{"values":[{},{}]}}']);
  });
});
