import { beforeAll, describe, expect, it } from 'vitest';
import { decodeTracesProto } from '../../collector/decode/traces-proto.ts';
import { transcodeTracesProto } from '../../collector/decode/traces-transcode.ts';
import { decodeAndEncode } from '../../collector/ingest.ts';
import { DEFAULT_DECODE_LIMITS, PayloadError, type DecodeLimits, type TimeWindow } from '../../collector/rows/types.ts';
import { SPANS_TABLE, tracesSignal } from '../../collector/signals/traces.ts';
import { encodeRows } from '../../collector/writer/batch-writer.ts';
import { loadSeeds, mutateBytes, prng, type Seed } from '../../bench/fuzz-lib.ts';
import { tracePayloads } from '../../bench/ingest/payloads.ts';
import { cat, double, EMPTY, fixed32, fixed64, len, str, uint, type Part } from '../support/protobuf.ts';
import { keyValue, PARENT_ID, requestWithSpanFields, sampleRequest, SPAN_ID, TRACE_ID, UNKNOWN_FIELDS } from '../support/hostile-traces.ts';

// The transcoder (protobuf → RowBinary without row objects) must write exactly the bytes of the
// decoder + row encoder, and fail exactly when they fail. Checked on SDK payloads, the benchmark's
// payloads, hand-made hostile ones (under default and tiny limits) and seeded mutations of all of them.

type Outcome = { error: string } | { body: string; rows: number; rejected: number; errorMessage: string };

function reference(body: Uint8Array, limits: DecodeLimits, tenant = 'acme', times?: TimeWindow): Outcome {
  try {
    const decoded = decodeTracesProto(body, { tenant, limits, times });
    const encoded = encodeRows(SPANS_TABLE, decoded.rows);
    return { body: encoded.body.toString('hex'), rows: decoded.rows.length, rejected: decoded.rejected, errorMessage: decoded.errorMessage };
  } catch (err) {
    if (err instanceof PayloadError) return { error: err.message };
    throw err;
  }
}

/** The transcoder alone: a PayloadError's wording may differ (it meets problems in another order). */
function transcoded(body: Uint8Array, limits: DecodeLimits, tenant = 'acme', times?: TimeWindow): Outcome {
  try {
    const r = transcodeTracesProto(body, { tenant, limits, times });
    return { body: r.body.toString('hex'), rows: r.rows, rejected: r.rejected, errorMessage: r.errorMessage };
  } catch (err) {
    if (err instanceof PayloadError) return { error: 'PayloadError' };
    throw err;
  }
}

/** What the ingestor does with protobuf traces (the transcoder, the decoder's wording on errors). */
function ingestPath(body: Uint8Array, limits: DecodeLimits, tenant = 'acme', times?: TimeWindow): Outcome {
  try {
    const r = decodeAndEncode(tracesSignal as never, body, 'proto', { tenant, limits, times });
    return { body: Buffer.concat(r.batches.map((b) => b.body)).toString('hex'), rows: r.accepted, rejected: r.rejected, errorMessage: r.errorMessage };
  } catch (err) {
    if (err instanceof PayloadError) return { error: err.message };
    throw err;
  }
}

function expectSame(body: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS, tenant = 'acme', times?: TimeWindow): Outcome {
  const expected = reference(body, limits, tenant, times);
  expect(ingestPath(body, limits, tenant, times)).toEqual(expected);
  expect(transcoded(body, limits, tenant, times)).toEqual('error' in expected ? { error: 'PayloadError' } : expected);
  return expected;
}

const TINY: DecodeLimits = {
  maxAnyValueDepth: 1,
  maxAttributesPerList: 3,
  maxAttributeValueBytes: 7,
  maxAttributeKeyBytes: 5,
  maxEventsPerSpan: 1,
  maxLinksPerSpan: 2,
  maxNameBytes: 6,
  maxStatusMessageBytes: 5,
};
/** A narrow window of accepted start times around the hand-made spans' 1_700_000_000 s. */
const WINDOW: TimeWindow = { nowSeconds: 1_700_000_000, minSeconds: 1_699_999_990, maxSeconds: 1_700_000_010 };
const utf8 = (s: string) => new TextEncoder().encode(s);
const attr = (key: Part, anyValue: Part) => len(9, cat(len(1, key), len(2, anyValue)));

/** Hand-made spans that reach every branch of the transcoder. */
function handMade(): Record<string, Uint8Array> {
  const ids = [len(1, TRACE_ID), len(2, SPAN_ID)];
  const times = [fixed64(7, 1_700_000_000_123_456_789n), fixed64(8, 1_700_000_000_223_456_789n)];
  const span = (...fields: Part[]) => requestWithSpanFields(...times, ...fields);
  const long = 'ü'.repeat(40) + 'x'.repeat(30);
  return {
    'every message type': sampleRequest(),
    'every message type, unknown fields everywhere': sampleRequest(UNKNOWN_FIELDS),
    'resource and scope after their spans': sampleRequest(EMPTY, 'resource-last'),
    'string value then int value (last wins)': span(attr(utf8('a'), cat(str(1, 'x'), uint(3, 7)))),
    'int value then string value (last wins)': span(attr(utf8('a'), cat(uint(3, 7), str(1, 'x')))),
    'string value then an unknown field': span(attr(utf8('a'), cat(str(1, 'x'), uint(9, 1)))),
    'two value fields, two key fields': span(len(9, cat(str(1, 'k1'), len(2, str(1, 'v1')), str(1, 'k2'), len(2, double(4, 1.5))))),
    'KeyValue without value, without key': span(len(9, str(1, 'novalue')), len(9, len(2, str(1, 'nokey')))),
    'empty AnyValue': span(attr(utf8('e'), EMPTY)),
    'route as int, then as string; status as string, then int, then legacy': span(
      attr(utf8('http.route'), uint(3, 5)),
      attr(utf8('http.route'), str(1, '/b')),
      attr(utf8('http.response.status_code'), str(1, '404')),
      attr(utf8('http.response.status_code'), uint(3, 503)),
      attr(utf8('http.status_code'), uint(3, 200)),
    ),
    'legacy status only, out of range': span(attr(utf8('http.status_code'), uint(3, 70_000))),
    'legacy status only': span(attr(utf8('http.status_code'), uint(3, 418)), attr(utf8('http.route'), str(1, '/teapot'))),
    'keys that only look alike': span(attr(utf8('http.routx'), str(1, 'no')), attr(utf8('http.response.status_codf'), uint(3, 500))),
    'invalid UTF-8 in name, trace state, key, value, status message': span(
      len(5, [0xff, 0x41]),
      len(3, [0xc3, 0x28]),
      attr([0xed, 0xa0, 0x80], str(1, 'v')),
      attr(utf8('k'), len(1, [0xf0, 0x28, 0x8c, 0x28])),
      len(15, len(2, [0x80]), uint(3, 2)),
    ),
    'long strings (the native copy), valid and not': span(str(5, long), attr(utf8(long), str(1, long)), attr(utf8('bad'), len(1, [...utf8(long), 0xff]))),
    'multi-byte values near the size limit': span(attr(utf8('a'), str(1, 'ééé')), attr(utf8('b'), str(1, 'éééé')), attr(utf8('c'), str(1, '€€€')), attr(utf8('d'), str(1, '𝄞𝄞'))),
    'many attributes, and a dropped count': span(...Array.from({ length: 80 }, (_, i) => attr(utf8(`k${i}`), str(1, `v${i}`))), uint(10, 4_294_967_295)),
    'arrays, kvlists, bytes, bools, doubles, negative ints': span(
      attr(utf8('arr'), len(5, len(1, str(1, 'x')), len(1, len(5, len(1, uint(3, 1)))))),
      attr(utf8('kv'), len(6, len(1, cat(str(1, 'in'), len(2, double(4, Number.NaN)))))),
      attr(utf8('bytes'), len(7, [1, 2, 3, 4, 5, 6, 7, 8, 9])),
      attr(utf8('bool'), uint(2, 1)),
      attr(utf8('double'), double(4, -0)),
      attr(utf8('neg'), uint(3, -9_223_372_036_854_775_808n)),
    ),
    'events and links': span(
      len(11, fixed64(1, 5n), str(2, 'exception'), len(3, keyValue('exception.message', str(1, 'boom'))), uint(4, 2)),
      len(11, str(2, 'second')),
      len(13, len(1, TRACE_ID), len(2, [1, 2, 3]), str(3, 'l=1'), fixed32(6, 1)),
      uint(12, 1),
      uint(14, 2),
    ),
    'fields out of order and repeated': requestWithSpanFields(str(5, 'first'), ...times, str(5, 'second'), len(2, SPAN_ID), len(4, PARENT_ID), uint(6, 3)),
    'kind and status code out of range': span(uint(6, 99), len(15, uint(3, 7), uint(1, 1))),
    'end before start, no times': requestWithSpanFields(fixed64(7, 10n), fixed64(8, 5n)),
    'maximum times': requestWithSpanFields(fixed64(7, 2n ** 64n - 1n), fixed64(8, 2n ** 64n - 1n)),
    'random times, at second boundaries and around them': randomTimes(),
    'invalid ids: short trace id, zero span id, bad parent': cat(
      len(1, len(2, len(2, len(1, [1, 2, 3]), len(2, SPAN_ID)))),
      len(1, len(2, len(2, len(1, TRACE_ID), len(2, new Array(8).fill(0))))),
      len(1, len(2, len(2, len(1, TRACE_ID), len(2, SPAN_ID), len(4, [1])))),
      len(1, len(2, len(2, len(1, new Array(16).fill(0)), len(2, SPAN_ID)))),
      len(1, len(2, len(2, len(2, SPAN_ID)))),
      len(1, len(2, len(2, ...ids, str(5, 'the valid one')))),
    ),
    'more events and links than the limits, dropped counts up to the UInt32 maximum': cat(
      requestWithSpanFields(...times, ...Array.from({ length: 140 }, (_, i) => len(11, str(2, `e${i}`))), ...Array.from({ length: 130 }, () => len(13, len(1, TRACE_ID), len(2, SPAN_ID))), uint(12, 3), uint(14, 4_294_967_290)),
      requestWithSpanFields(...times, uint(12, 4_294_967_295), len(11, str(2, 'one')), len(11, str(2, 'two')), uint(10, 4_294_967_295), ...Array.from({ length: 5 }, (_, i) => attr(utf8(`k${i}`), str(1, 'v')))),
    ),
    'names, keys and status messages at and over their limits': span(
      str(5, 'ä'.repeat(2_100)),
      attr(utf8('k'.repeat(4_096)), str(1, 'at the key limit')),
      attr(utf8('k'.repeat(4_097)), str(1, 'over the key limit')),
      attr(utf8('é'.repeat(2_049)), uint(3, 1)),
      attr(utf8('kk'), str(1, 'kept')),
      attr(cat(utf8('x'.repeat(4_095)), [0xff]), str(1, 'invalid UTF-8 at the limit')),
      len(15, len(2, utf8('€'.repeat(3_000))), uint(3, 2)),
      len(11, str(2, 'é'.repeat(3_000))),
    ),
    'long keys take no place in a full list; names cut inside invalid UTF-8': span(
      attr(utf8('http.route'), str(1, '/a')),
      attr(utf8('abcde'), str(1, '1')),
      attr(utf8('abcdef'), str(1, '2')),
      attr(utf8('ab'), str(1, '3')),
      attr(utf8('abc'), str(1, '4')),
      attr(utf8('z'), str(1, '5')),
      len(5, [0x61, 0x62, 0xe2, 0x82, 0x61, 0x62, 0x63, 0x64]),
      len(15, len(2, [0x61, 0xf0, 0x9f, 0x98, 0x80, 0x62])),
    ),
    'start times around the accepted window, and a zero start': cat(
      len(1, len(2, ...[-11n, -10n, 10n, 11n].map((s, i) => len(2, len(1, TRACE_ID), len(2, [9, 9, 9, 9, 9, 9, 9, i + 1]), fixed64(7, 1_700_000_000_000_000_000n + s * 1_000_000_000n + 999_999_999n * BigInt(s > 0)))))),
      requestWithSpanFields(fixed64(7, 0n)),
    ),
    'wrong wire type in a span': requestWithSpanFields(uint(5, 1)),
    'truncated span': Uint8Array.from(sampleRequest()).subarray(0, 60),
  };
}

/** Spans with random 64-bit times (the transcoder does the time arithmetic without BigInt). */
function randomTimes(): Uint8Array {
  const rand = prng(42);
  const u64 = () => (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
  const spans: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const start = i % 4 === 0 ? (u64() / 1_000_000_000n) * 1_000_000_000n - BigInt(i % 3) : u64();
    const end = i % 5 === 0 ? start + BigInt(i) : u64();
    spans.push(len(2, len(1, TRACE_ID), len(2, SPAN_ID), fixed64(7, start), fixed64(8, end & (2n ** 64n - 1n))));
  }
  return len(1, len(2, ...spans));
}

describe('protobuf → RowBinary transcoder', () => {
  let seeds: Seed[] = [];
  beforeAll(async () => {
    seeds = (await loadSeeds()).filter((s) => s.signal.signal === 'traces' && s.encoding === 'proto');
  });

  it('writes the bytes of decoder + encoder for SDK and benchmark payloads', () => {
    expect(seeds.length).toBeGreaterThan(3);
    let rows = 0;
    for (const seed of seeds) {
      const out = expectSame(seed.bytes);
      if ('rows' in out) rows += out.rows;
    }
    const bench = tracePayloads({ spans: 5_000, offsets: false });
    for (const payload of bench) {
      const out = expectSame(payload.body);
      if ('rows' in out) rows += out.rows;
    }
    expect(rows).toBeGreaterThan(5_000);
  });

  for (const [label, body] of Object.entries(handMade())) {
    it(`matches on hand-made input: ${label}`, () => {
      const defaults = expectSame(body);
      expectSame(body, TINY, '');
      expectSame(body, DEFAULT_DECODE_LIMITS, 'acme', WINDOW);
      // Every case is decodable except the two broken ones, so the comparison covers real output.
      if (label.startsWith('wrong wire') || label.startsWith('truncated')) expect(defaults).toHaveProperty('error');
      else expect(defaults).toHaveProperty('body');
    });
  }

  it('matches on 3,000 seeded mutations (or both reject the payload)', () => {
    const all = [...seeds, ...Object.entries(handMade()).map(([label, bytes]) => ({ ...seeds[0]!, label, bytes }))];
    const outcomes = { body: 0, error: 0 };
    for (let i = 0; i < 3_000; i++) {
      const rand = prng(7_000 + i);
      const seed = all[Math.floor(rand() * all.length)]!;
      const { bytes } = mutateBytes(seed.bytes, rand, all);
      const out = expectSame(bytes, i % 3 === 0 ? TINY : DEFAULT_DECODE_LIMITS, 'acme', i % 5 === 0 ? WINDOW : undefined);
      outcomes['error' in out ? 'error' : 'body']++;
    }
    // Both kinds of outcome are well represented, so the comparison covers both.
    expect(outcomes.body).toBeGreaterThan(300);
    expect(outcomes.error).toBeGreaterThan(300);
  });
});
