import { describe, expect, it } from 'vitest';
import { decodeTracesProto } from '../../collector/decode/traces-proto.ts';
import { decodeTracesJson } from '../../collector/decode/traces-json.ts';
import { decodeLogsProto } from '../../collector/decode/logs-proto.ts';
import { decodeLogsJson } from '../../collector/decode/logs-json.ts';
import { decodeMetricsProto } from '../../collector/decode/metrics-proto.ts';
import { decodeMetricsJson } from '../../collector/decode/metrics-json.ts';
import { acceptedTimes } from '../../collector/decode/item-times.ts';
import { checkJsonShape, JsonShapeScanner, maxJsonContainers, maxJsonDepth } from '../../collector/decode/json-shape.ts';
import { prng } from '../../bench/fuzz-lib.ts';
import { DATETIME_MAX_SECONDS, DEFAULT_DECODE_LIMITS, PayloadError, type DecodeOptions, type TimeWindow } from '../../collector/rows/types.ts';
import { cat, fixed64, len, str, uint } from '../support/protobuf.ts';
import { keyValue, SPAN_ID, TRACE_ID } from '../support/hostile-traces.ts';

// The per-span and per-field limits (events, links, names, keys, status messages), the accepted
// window of item times, and the JSON shape check: by value, protobuf and JSON alike.

const TRACE_HEX = Buffer.from(TRACE_ID).toString('hex');
const SPAN_HEX = Buffer.from(SPAN_ID).toString('hex');
const START_NS = 1_700_000_000_000_000_000n;
const OPTIONS: DecodeOptions = { tenant: '', limits: DEFAULT_DECODE_LIMITS };
const request = (...spans: Uint8Array[]) => len(1, len(2, ...spans.map((span) => len(2, span))));
const protoSpan = (...fields: Uint8Array[]) => cat(len(1, TRACE_ID), len(2, SPAN_ID), fixed64(7, START_NS), ...fields);
const jsonSpans = (...spans: object[]) => JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: spans.map((s) => ({ traceId: TRACE_HEX, spanId: SPAN_HEX, startTimeUnixNano: String(START_NS), ...s })) }] }] });

describe('per-span limits', () => {
  it('keeps 128 events and 128 links and counts the rest as dropped, on top of what the sender dropped', () => {
    const proto = request(
      protoSpan(
        ...Array.from({ length: 200 }, (_, i) => len(11, str(2, `e${i}`))),
        ...Array.from({ length: 130 }, () => len(13, len(1, TRACE_ID), len(2, SPAN_ID))),
        uint(12, 5),
        uint(14, 4_294_967_295),
      ),
    );
    const json = jsonSpans({
      events: Array.from({ length: 200 }, (_, i) => ({ name: `e${i}` })),
      droppedEventsCount: 5,
      links: Array.from({ length: 130 }, () => ({ traceId: TRACE_HEX, spanId: SPAN_HEX })),
      droppedLinksCount: 4_294_967_295,
    });
    for (const { rows } of [decodeTracesProto(proto, OPTIONS), decodeTracesJson(json, OPTIONS)]) {
      const row = rows[0]!;
      expect(row.events.map((e) => e.name)).toEqual(Array.from({ length: 128 }, (_, i) => `e${i}`));
      expect(row.droppedEventsCount).toBe(5 + 72);
      expect(row.links).toHaveLength(128);
      // Saturates at the UInt32 column's maximum instead of wrapping around.
      expect(row.droppedLinksCount).toBe(4_294_967_295);
    }
  });

  it('skips 5 million empty events in one span without building them', () => {
    const events = new Uint8Array(5_000_000 * 2);
    for (let i = 0; i < events.length; i += 2) events[i] = 0x5a; // field 11, length 0
    const body = request(protoSpan(events));
    const started = performance.now();
    const { rows } = decodeTracesProto(body, OPTIONS);
    console.log(`5,000,000 empty events: decoded in ${(performance.now() - started).toFixed(0)} ms`);
    expect(rows[0]!.events).toHaveLength(128);
    expect(rows[0]!.droppedEventsCount).toBe(5_000_000 - 128);
  });

  it('cuts span names, event names and status messages on a character boundary', () => {
    const long = 'ü'.repeat(5_000); // 10,000 bytes
    const proto = request(protoSpan(str(5, long), len(11, str(2, long)), len(15, str(2, '€'.repeat(3_000)), uint(3, 2))));
    const json = jsonSpans({ name: long, events: [{ name: long }], status: { message: '€'.repeat(3_000), code: 2 } });
    for (const { rows } of [decodeTracesProto(proto, OPTIONS), decodeTracesJson(json, OPTIONS)]) {
      const row = rows[0]!;
      expect(row.name).toBe('ü'.repeat(2_048));
      expect(row.events[0]!.name).toBe('ü'.repeat(2_048));
      expect(row.statusMessage).toBe('€'.repeat(2_730)); // 8,190 bytes: a 2,731st would pass 8 KiB
    }
  });

  it('drops attributes with keys over 4 KiB everywhere and counts them, without using up the list', () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxAttributesPerList: 2 };
    const at = 'k'.repeat(4_096);
    const over = 'k'.repeat(4_097);
    const attrs = (field: number) => [len(field, keyValue(over, str(1, 'x'))), len(field, keyValue(at, str(1, 'a'))), len(field, keyValue('b', str(1, 'b'))), len(field, keyValue('c', str(1, 'c')))];
    const proto = len(1, len(1, ...attrs(1)), len(2, len(1, ...attrs(3)), len(2, protoSpan(...attrs(9), len(11, ...attrs(3)), len(13, len(1, TRACE_ID), len(2, SPAN_ID), ...attrs(4))))));
    const kvs = [over, at, 'b', 'c'].map((key) => ({ key, value: { stringValue: key.length > 1 ? (key === at ? 'a' : 'x') : key } }));
    const json = JSON.stringify({
      resourceSpans: [{ resource: { attributes: kvs }, scopeSpans: [{ scope: { attributes: kvs }, spans: [{ traceId: TRACE_HEX, spanId: SPAN_HEX, startTimeUnixNano: String(START_NS), attributes: kvs, events: [{ attributes: kvs }], links: [{ traceId: TRACE_HEX, spanId: SPAN_HEX, attributes: kvs }] }] }] }],
    });
    for (const { rows } of [decodeTracesProto(proto, { tenant: '', limits }), decodeTracesJson(json, { tenant: '', limits })]) {
      const row = rows[0]!;
      expect(row.attributes.keys).toEqual([at, 'b']);
      expect(row.droppedAttributesCount).toBe(2);
      expect(row.resource.attributes.keys).toEqual([at, 'b']);
      expect(row.resource.droppedAttributesCount).toBe(2);
      expect(row.scope.droppedAttributesCount).toBe(2);
      expect(JSON.parse(row.scope.attributesJson).map((kv: { key: string }) => kv.key)).toEqual([at, 'b']);
      expect(row.events[0]!.droppedAttributesCount).toBe(2);
      expect(row.links[0]!.droppedAttributesCount).toBe(2);
    }
  });

  it('drops over-long attribute keys of log records and data points too', () => {
    const over = 'k'.repeat(4_097);
    const logs = decodeLogsJson(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: over, value: { intValue: 1 } }, { key: 'ok', value: { intValue: 2 } }] }] }] }] }), OPTIONS);
    expect(logs.rows[0]!.attributes.keys).toEqual(['ok']);
    expect(logs.rows[0]!.droppedAttributesCount).toBe(1);
    const point = { timeUnixNano: String(START_NS), asInt: '1', attributes: [{ key: over, value: { intValue: 1 } }, { key: 'ok', value: { intValue: 2 } }] };
    const metrics = decodeMetricsJson(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [point] } }] }] }] }), OPTIONS);
    expect(metrics.rows[0]!.attributes.keys).toEqual(['ok']);
  });
});

describe('accepted item times', () => {
  const NOW_MS = 1_780_000_000_000;
  const WINDOW: TimeWindow = acceptedTimes(NOW_MS, 10 * 86_400, 86_400);
  const at = (secondsFromNow: number) => BigInt(NOW_MS / 1000 + secondsFromNow) * 1_000_000_000n;

  it('is a window around the clock, clamped to what a DateTime column holds', () => {
    expect(WINDOW).toEqual({ nowSeconds: 1_780_000_000, minSeconds: 1_779_136_000, maxSeconds: 1_780_086_400 });
    expect(acceptedTimes(1_000, 10 * 86_400, 86_400).minSeconds).toBe(0);
    expect(acceptedTimes(4_294_000_000_000, 10, 86_400 * 365).maxSeconds).toBe(DATETIME_MAX_SECONDS);
  });

  it('rejects spans starting outside the window through partial success, in protobuf and JSON', () => {
    const starts = [0n, at(-10 * 86_400 - 1), at(-10 * 86_400), at(86_400), at(86_400 + 1), 2n ** 64n - 1n];
    const proto = request(...starts.map((start, i) => cat(len(1, TRACE_ID), len(2, [0, 0, 0, 0, 0, 0, 0, i + 1]), fixed64(7, start))));
    const json = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: starts.map((start, i) => ({ traceId: TRACE_HEX, spanId: `000000000000000${i + 1}`, startTimeUnixNano: String(start) })) }] }] });
    for (const result of [decodeTracesProto(proto, { ...OPTIONS, times: WINDOW }), decodeTracesJson(json, { ...OPTIONS, times: WINDOW })]) {
      expect(result.rows.map((r) => r.spanId)).toEqual(['0000000000000003', '0000000000000004']);
      expect(result.rejected).toBe(4);
      expect(result.errorMessage).toBe(
        '4 spans rejected: start_time_unix_nano before the accepted range (earliest 2026-05-18T20:26:40Z) (2); start_time_unix_nano after the accepted range (latest 2026-05-29T20:26:40Z) (2)',
      );
    }
  });

  it('without a window, rejects only what a DateTime cannot hold instead of wrapping it', () => {
    const year2300 = 10_413_792_000n * 1_000_000_000n;
    const { rows, errorMessage } = decodeTracesProto(request(protoSpan(), cat(len(1, TRACE_ID), len(2, SPAN_ID), fixed64(7, year2300))), OPTIONS);
    expect(rows).toHaveLength(1);
    expect(errorMessage).toBe('1 span rejected: start_time_unix_nano after the accepted range (latest 2106-02-07T06:28:15Z)');
  });

  it('rejects data points by time_unix_nano', () => {
    const points = [at(0), at(-11 * 86_400), at(2 * 86_400)].map((t) => ({ timeUnixNano: String(t), asInt: '1' }));
    const json = decodeMetricsJson(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: points } }] }] }] }), { ...OPTIONS, times: WINDOW });
    const point = (t: bigint) => len(1, fixed64(3, t), fixed64(6, 1n));
    const proto = decodeMetricsProto(len(1, len(2, len(2, str(1, 'm'), len(5, point(at(0)), point(at(-11 * 86_400)), point(at(2 * 86_400)))))), { ...OPTIONS, times: WINDOW });
    for (const result of [json, proto]) {
      expect(result.rows).toHaveLength(1);
      expect(result.rejected).toBe(2);
      expect(result.errorMessage).toContain('time_unix_nano before the accepted range');
    }
  });

  it('judges a log record by time_unix_nano, else observed_time_unix_nano, else takes the time of receipt', () => {
    const records = [
      { timeUnixNano: String(at(-11 * 86_400)), observedTimeUnixNano: String(at(0)) },
      { observedTimeUnixNano: String(at(2 * 86_400)) },
      { observedTimeUnixNano: String(at(-5)) },
      {},
    ];
    const json = decodeLogsJson(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }), { ...OPTIONS, times: WINDOW });
    const record = (fields: Uint8Array[]) => len(2, ...fields);
    const proto = decodeLogsProto(
      len(1, len(2, record([fixed64(1, at(-11 * 86_400)), fixed64(11, at(0))]), record([fixed64(11, at(2 * 86_400))]), record([fixed64(11, at(-5))]), record([]))),
      { ...OPTIONS, times: WINDOW },
    );
    for (const result of [json, proto]) {
      expect(result.rows.map((r) => r.timestamp)).toEqual([1_780_000_000 - 5, 1_780_000_000]);
      expect(result.errorMessage).toBe(
        '2 log records rejected: time_unix_nano before the accepted range (earliest 2026-05-18T20:26:40Z) (1); observed_time_unix_nano after the accepted range (latest 2026-05-29T20:26:40Z) (1)',
      );
    }
  });
});

describe('OTLP/JSON shape check before JSON.parse', () => {
  it('derives its bounds from the AnyValue depth and the body size', () => {
    expect(maxJsonDepth(DEFAULT_DECODE_LIMITS)).toBe(148);
    expect(maxJsonContainers(100)).toBe(1024);
    expect(maxJsonContainers(64 * 1024 * 1024)).toBe(4 * 1024 * 1024);
  });

  it('refuses deep nesting, also when it hides in strings only partly', () => {
    const nested = (depth: number) => `{"resourceSpans":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(() => decodeTracesJson(nested(147), OPTIONS)).toThrow(PayloadError); // valid JSON, wrong shape: 400 either way
    expect(() => decodeTracesJson(nested(147), OPTIONS)).not.toThrow(/nested deeper/);
    expect(() => decodeTracesJson(nested(148), OPTIONS)).toThrow(new PayloadError('JSON nested deeper than 148 levels'));
    // Brackets inside strings (with escaped quotes before them) do not count.
    const inStrings = JSON.stringify({ resourceSpans: [], note: `\\"${'['.repeat(10_000)}`, other: '\\\\' });
    expect(decodeTracesJson(inStrings, OPTIONS)).toEqual({ rows: [], rejected: 0, errorMessage: '' });
  });

  it('refuses a body of many small objects (5 million empty events) before parsing it', () => {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_HEX}","spanId":"${SPAN_HEX}","events":[${'{},'.repeat(5_000_000)}{}]}]}]}]}`;
    const started = performance.now();
    expect(() => decodeTracesJson(Buffer.from(body), OPTIONS)).toThrow(new PayloadError(`JSON body holds more than ${maxJsonContainers(body.length)} objects and arrays (at most one per 16 bytes is accepted)`));
    console.log(`5,000,000 empty JSON events (${(body.length / 1e6).toFixed(1)} MB): refused in ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('accepts the densest real OTLP/JSON: arrays of small AnyValues', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => ({ intValue: String(i % 10) }));
    const body = jsonSpans({ attributes: [{ key: 'a', value: { arrayValue: { values } } }] });
    expect(decodeTracesJson(body, OPTIONS).rows).toHaveLength(1);
  });

  it('gives the same verdict on a body fed in chunks, wherever the chunks split strings and escapes', () => {
    // Strings with quotes, brackets and runs of backslashes; JSON.stringify escapes them.
    const tricky = (depth: number) => {
      let nested: unknown = 'x\\"]]\\';
      for (let i = 0; i < depth; i++) nested = [nested];
      return JSON.stringify({ a: '\\', b: '\\"[[[', c: nested, d: `${'\\'.repeat(7)}"{{` });
    };
    const limits = { ...DEFAULT_DECODE_LIMITS, maxAnyValueDepth: 1 }; // 28 levels
    for (const depth of [20, 26, 27, 40]) {
      const body = Buffer.from(tricky(depth));
      expect(() => JSON.parse(body.toString())).not.toThrow();
      const whole = verdict(() => checkJsonShape(body, limits));
      for (let seed = 0; seed < 200; seed++) {
        const rand = prng(seed);
        const scanner = new JsonShapeScanner(maxJsonDepth(limits), maxJsonContainers(body.length));
        const chunked = verdict(() => {
          for (let at = 0; at < body.length; ) {
            const n = 1 + Math.floor(rand() * 6);
            scanner.feed(body.subarray(at, at + n));
            at += n;
          }
        });
        expect(chunked).toBe(whole);
      }
      expect(whole).toBe(depth + 1 > 28 ? 'JSON nested deeper than 28 levels' : 'ok');
    }
  });
});

function verdict(run: () => void): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

