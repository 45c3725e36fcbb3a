import { describe, expect, it } from 'vitest';
import { decodeTracesJson } from '../../collector/decode/traces-json.ts';
import { decodeTracesProto } from '../../collector/decode/traces-proto.ts';
import { DEFAULT_DECODE_LIMITS, PayloadError } from '../../collector/rows/types.ts';
import { cat, EMPTY, fixed32, len, str, tag, uint, varint, type Part } from '../support/protobuf.ts';
import { keyValue, requestWithSpanFields, sampleRequest, TRACE_ID, UNKNOWN_FIELDS } from '../support/hostile-traces.ts';

// Payloads no SDK serializer writes: unknown fields, odd field order, truncation, wrong wire types,
// extreme values and hostile nesting. Protobuf is written by hand (test/support/protobuf.ts).

const options = { tenant: 'acme', limits: DEFAULT_DECODE_LIMITS };

describe('protobuf trace decoder on hand-written payloads', () => {
  it('decodes a message using every field to the expected values', () => {
    const { rows, rejected } = decodeTracesProto(sampleRequest(), options);
    expect(rejected).toBe(0);
    const row = rows[0]!;
    expect(row).toMatchObject({
      tenant: 'acme',
      timestamp: 1_700_000_000,
      durationNs: 100n,
      traceId: '0102030405060708090a0b0c0d0e0f10',
      spanId: 'a0a1a2a3a4a5a6a7',
      parentSpanId: 'b0b1b2b3b4b5b6b7',
      traceState: 'ts=1',
      flags: 0x301,
      name: 'op',
      kind: 2,
      statusCode: 2,
      statusMessage: 'msg',
      droppedAttributesCount: 1,
      droppedEventsCount: 3,
      droppedLinksCount: 4,
    });
    expect(row.attributes).toEqual({
      keys: ['s', 'i', 'd', 'a', 'k'],
      types: ['string', 'int', 'double', 'array', 'kvlist'],
      values: [
        'v',
        '-5',
        '2.5',
        '{"arrayValue":{"values":[{"stringValue":"x"}]}}',
        '{"kvlistValue":{"values":[{"key":"kk","value":{"boolValue":true}}]}}',
      ],
    });
    expect(row.events).toEqual([{ timeNs: 5n, name: 'ev', attributesJson: '[{"key":"e","value":{"stringValue":"1"}}]', droppedAttributesCount: 2 }]);
    expect(row.links).toEqual([
      {
        traceId: '0102030405060708090a0b0c0d0e0f10',
        spanId: 'a0a1a2a3a4a5a6a7',
        traceState: 'l=1',
        flags: 0x101,
        attributesJson: '[{"key":"la","value":{"boolValue":false}}]',
        droppedAttributesCount: 1,
      },
    ]);
    expect(row.scope).toEqual({ name: 'sc', version: '1.0', attributesJson: '[{"key":"sa","value":{"stringValue":"b"}}]', droppedAttributesCount: 1, schemaUrl: 'scope-url' });
    expect(row.resource).toEqual({
      attributes: { keys: ['service.name'], types: ['string'], values: ['svc'] },
      droppedAttributesCount: 7,
      schemaUrl: 'res-url',
      serviceName: 'svc',
      serviceNamespace: '',
      deploymentEnvironment: '',
    });
  });

  it('skips unknown fields of every wire type in every message', () => {
    expect(decodeTracesProto(sampleRequest(UNKNOWN_FIELDS), options)).toEqual(decodeTracesProto(sampleRequest(), options));
  });

  it('fills the resource into the rows when it comes after the spans', () => {
    const rows = decodeTracesProto(sampleRequest(EMPTY, 'resource-last'), options).rows;
    expect(rows[0]!.resource.serviceName).toBe('svc');
    expect(rows).toEqual(decodeTracesProto(sampleRequest(), options).rows);
  });

  it('throws PayloadError for every truncation of a valid payload', () => {
    const body = sampleRequest();
    for (let end = 1; end < body.length; end++) {
      expect(() => decodeTracesProto(body.subarray(0, end), options), `cut at ${end}`).toThrow(PayloadError);
    }
  });

  it('throws PayloadError for a known field with the wrong wire type', () => {
    expect(() => decodeTracesProto(requestWithSpanFields(uint(5, 1)), options)).toThrow('Span: field 5 has wrong wire type 0');
    expect(() => decodeTracesProto(requestWithSpanFields(fixed32(7, 1)), options)).toThrow(PayloadError);
    expect(() => decodeTracesProto(requestWithSpanFields(len(9, str(2, 'not an AnyValue'))), options)).toThrow(PayloadError);
  });

  it('throws PayloadError for an unknown varint field cut off after its tag', () => {
    expect(() => decodeTracesProto(requestWithSpanFields(tag(100, 0)), options)).toThrow('truncated varint');
  });

  it('throws PayloadError for invalid wire types, field 0 and lengths beyond the message', () => {
    expect(() => decodeTracesProto(requestWithSpanFields(tag(50, 7)), options)).toThrow('invalid wire type 7');
    expect(() => decodeTracesProto(requestWithSpanFields([0x00, 0x00]), options)).toThrow('invalid field number 0');
    // A span whose name claims more bytes than the span has, though the body has them.
    const span = cat(len(1, TRACE_ID), tag(5, 2), varint(20));
    const body = cat(len(1, len(2, len(2, span))), str(9, 'x'.repeat(30)));
    expect(() => decodeTracesProto(body, options)).toThrow(PayloadError);
  });

  it('decodes int64 attribute extremes exactly', () => {
    const ints = [2n ** 63n - 1n, -(2n ** 63n), -1n, 2n ** 53n + 1n, 0n];
    const body = requestWithSpanFields(...ints.map((n, i) => len(9, keyValue(`i${i}`, uint(3, n)))));
    const { values } = decodeTracesProto(body, options).rows[0]!.attributes;
    expect(values).toEqual(['9223372036854775807', '-9223372036854775808', '-1', '9007199254740993', '0']);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    const body = requestWithSpanFields(len(5, [0x61, 0xff, 0x62]), len(9, keyValue('bad', len(1, [0x63, 0xe6, 0x97, 0x64]))));
    const row = decodeTracesProto(body, options).rows[0]!;
    expect(row.name).toBe('a\uFFFDb');
    expect(row.attributes.values).toEqual(['c\uFFFDd']);
  });

  it('maps span kinds and status codes outside the protocol range to 0', () => {
    const body = requestWithSpanFields(uint(6, -1n), len(15, uint(3, 9)));
    const row = decodeTracesProto(body, options).rows[0]!;
    expect([row.kind, row.statusCode]).toEqual([0, 0]);
  });

  it('bounds 10,000-deep kvlist nesting without recursion and cuts it at maxAnyValueDepth', () => {
    const deep = deepKvlistProto(10_000);
    const body = requestWithSpanFields(len(9, keyValue('deep', deep)), len(11, str(2, 'ev'), len(3, keyValue('deep', deep))));
    const row = decodeTracesProto(body, options).rows[0]!;
    expect(row.attributes.values).toEqual([expectedDeepText(16)]);
    expect(row.events[0]!.attributesJson).toBe(`[{"key":"deep","value":${expectedDeepText(16)}}]`);
  });
});

/** AnyValue body of `depth` kvlists, each holding {"a": next}, around the string "leaf"; built without copying per level. */
function deepKvlistProto(depth: number): Uint8Array {
  const leaf = str(1, 'leaf');
  const headers: Part[] = [];
  let inner = leaf.length;
  for (let i = 0; i < depth; i++) {
    const keyValueLength = 3 + 1 + varint(inner).length + inner; // key "a", value tag, value
    const listLength = 1 + varint(keyValueLength).length + keyValueLength;
    headers.push(cat(tag(6, 2), varint(listLength), tag(1, 2), varint(keyValueLength), str(1, 'a'), tag(2, 2), varint(inner)));
    inner = 1 + varint(listLength).length + listLength;
  }
  return cat(...headers.reverse(), leaf);
}

function expectedDeepText(kept: number): string {
  return '{"kvlistValue":{"values":[{"key":"a","value":'.repeat(kept) + '{}' + '}]}}'.repeat(kept);
}

// --- OTLP/JSON ---

const TRACE_HEX = '0102030405060708090a0b0c0d0e0f10';
const SPAN_HEX = 'a0a1a2a3a4a5a6a7';

function jsonRequest(spans: unknown[], resource: unknown = { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }): string {
  return JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'sc' }, spans }] }] });
}

describe('JSON trace decoder on hand-written payloads', () => {
  it('throws PayloadError for invalid JSON and a wrong top-level shape', () => {
    expect(() => decodeTracesJson('{"resourceSpans":', options)).toThrow(PayloadError);
    expect(() => decodeTracesJson('[]', options)).toThrow('ExportTraceServiceRequest must be a JSON object');
    expect(() => decodeTracesJson('{"resourceSpans":{}}', options)).toThrow('invalid ExportTraceServiceRequest: resourceSpans must be an array');
    expect(() => decodeTracesJson('{"resourceSpans":[1]}', options)).toThrow(PayloadError);
    expect(() => decodeTracesJson(jsonRequest([], { attributes: 'x' }), options)).toThrow(PayloadError);
  });

  it('decodes an empty object to no rows', () => {
    expect(decodeTracesJson('{}', options)).toEqual({ rows: [], rejected: 0, errorMessage: '' });
  });

  it('accepts uppercase hex ids, 64-bit values as strings or numbers, and ignores unknown fields and nulls', () => {
    const body = jsonRequest([
      {
        traceId: TRACE_HEX.toUpperCase(),
        spanId: SPAN_HEX.toUpperCase(),
        parentSpanId: null,
        name: 'op',
        kind: 2,
        startTimeUnixNano: 1_700_000_000_000_000,
        endTimeUnixNano: '18446744073709551615',
        flags: 257,
        futureField: { anything: [1, 2] },
        attributes: [
          { key: 'max', value: { intValue: '9223372036854775807' } },
          { key: 'min', value: { intValue: '-9223372036854775808' } },
          { key: 'num', value: { intValue: 42 } },
          { key: 'dbl', value: { doubleValue: '2.5' } },
          { key: 'none', value: {} },
          { key: 'missing' },
          { key: 'bytes', value: { bytesValue: 'AAH+/w==' }, extra: true },
        ],
        status: { code: 1, message: null },
      },
    ]);
    const { rows, rejected } = decodeTracesJson(body, options);
    expect(rejected).toBe(0);
    expect(rows[0]).toMatchObject({
      traceId: TRACE_HEX,
      spanId: SPAN_HEX,
      parentSpanId: '',
      startTimeNs: 1_700_000_000_000_000n,
      endTimeNs: 18_446_744_073_709_551_615n,
      durationNs: 18_445_044_073_709_551_615n,
      timestamp: 1_700_000,
      flags: 257,
      statusCode: 1,
      statusMessage: '',
    });
    expect(rows[0]!.attributes).toEqual({
      keys: ['max', 'min', 'num', 'dbl', 'none', 'missing', 'bytes'],
      types: ['int', 'int', 'int', 'double', 'empty', 'empty', 'bytes'],
      values: ['9223372036854775807', '-9223372036854775808', '42', '2.5', '', '', 'AAH+/w=='],
    });
  });

  it('rejects spans with wrong types or non-hex ids and keeps the rest', () => {
    const valid = { traceId: TRACE_HEX, spanId: SPAN_HEX, name: 'ok' };
    const body = jsonRequest([
      { ...valid, name: 7 },
      valid,
      { ...valid, traceId: 'zz'.repeat(16) },
      'not a span',
      { ...valid, attributes: [{ key: 'i', value: { intValue: '9223372036854775808' } }] },
      { ...valid, links: [{ traceId: 'xyz', spanId: SPAN_HEX }] },
      { ...valid, spanId: 'a0a1' },
    ]);
    const result = decodeTracesJson(body, options);
    expect(result.rows.map((row) => row.name)).toEqual(['ok']);
    expect(result.rejected).toBe(6);
    expect(result.errorMessage).toBe(
      '6 spans rejected: name must be a string (1); traceId is not hex (2); span must be an object (1); ' +
        'intValue must be an int64 (1); invalid span_id length (expected 8 bytes) (1)',
    );
  });

  it('maps span kinds and status codes outside the protocol range to 0', () => {
    const body = jsonRequest([{ traceId: TRACE_HEX, spanId: SPAN_HEX, kind: -3, status: { code: 9 } }]);
    const row = decodeTracesJson(body, options).rows[0]!;
    expect([row.kind, row.statusCode]).toEqual([0, 0]);
  });

  const deepKvlistSpan = (depth: number) => {
    const deep = '{"kvlistValue":{"values":[{"key":"a","value":'.repeat(depth) + '{"stringValue":"leaf"}' + '}]}}'.repeat(depth);
    return (
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_HEX}","spanId":"${SPAN_HEX}",` +
      `"attributes":[{"key":"deep","value":${deep}}],"events":[{"name":"ev","attributes":[{"key":"deep","value":${deep}}]}]}]}]}]}`
    );
  };

  it('cuts kvlist nesting up to twice maxAnyValueDepth at maxAnyValueDepth', () => {
    const row = decodeTracesJson(deepKvlistSpan(32), options).rows[0]!;
    expect(row.attributes.values).toEqual([expectedDeepText(16)]);
    expect(row.events[0]!.attributesJson).toBe(`[{"key":"deep","value":${expectedDeepText(16)}}]`);
  });

  it('refuses 10,000-deep nesting before JSON.parse builds it', () => {
    expect(() => decodeTracesJson(deepKvlistSpan(10_000), options)).toThrow(new PayloadError('JSON nested deeper than 148 levels'));
  });

  it('gives the same rows as protobuf for the hand-written sample', () => {
    const json = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 7 },
          schemaUrl: 'res-url',
          scopeSpans: [
            {
              scope: { name: 'sc', version: '1.0', attributes: [{ key: 'sa', value: { stringValue: 'b' } }], droppedAttributesCount: 1 },
              schemaUrl: 'scope-url',
              spans: [
                {
                  traceId: TRACE_HEX,
                  spanId: SPAN_HEX,
                  traceState: 'ts=1',
                  parentSpanId: 'B0B1B2B3B4B5B6B7',
                  name: 'op',
                  kind: 2,
                  startTimeUnixNano: '1700000000000000001',
                  endTimeUnixNano: '1700000000000000101',
                  attributes: [
                    { key: 's', value: { stringValue: 'v' } },
                    { key: 'i', value: { intValue: '-5' } },
                    { key: 'd', value: { doubleValue: 2.5 } },
                    { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }] } } },
                    { key: 'k', value: { kvlistValue: { values: [{ key: 'kk', value: { boolValue: true } }] } } },
                  ],
                  droppedAttributesCount: 1,
                  events: [{ timeUnixNano: '5', name: 'ev', attributes: [{ key: 'e', value: { stringValue: '1' } }], droppedAttributesCount: 2 }],
                  droppedEventsCount: 3,
                  links: [
                    {
                      traceId: TRACE_HEX,
                      spanId: SPAN_HEX,
                      traceState: 'l=1',
                      attributes: [{ key: 'la', value: { boolValue: false } }],
                      droppedAttributesCount: 1,
                      flags: 257,
                    },
                  ],
                  droppedLinksCount: 4,
                  status: { message: 'msg', code: 2 },
                  flags: 769,
                },
              ],
            },
          ],
        },
      ],
    };
    expect(decodeTracesJson(JSON.stringify(json), options)).toEqual(decodeTracesProto(sampleRequest(), options));
  });
});
