import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { PayloadError, DEFAULT_DECODE_LIMITS } from '../collector/rows/types.ts';
import { SIGNALS } from '../collector/signals/index.ts';
import { decodeAndEncode } from '../collector/ingest.ts';
import type { SignalSpec } from '../collector/signals/signal.ts';

// The decoder fuzzer shared by `npm run fuzz` (bench/fuzz.ts) and the seeded suite version
// (test/unit/fuzz.test.ts). Seeds are valid payloads from the official SDKs and serializers plus
// hand-made hostile ones; each case is a seeded mutation of a seed fed to the ingest path's own
// decode-and-encode step (the transcoder for protobuf traces). A case passes when it returns or
// throws PayloadError, within the time bound.

export type Encoding = 'proto' | 'json';

export interface Seed {
  signal: SignalSpec<unknown>;
  encoding: Encoding;
  label: string;
  bytes: Uint8Array;
}

/** mulberry32: small, fast, seedable; every case is reproducible from (seed, case index). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const signal = (name: string) => SIGNALS.find((s) => s.signal === name)!;
const utf8 = (s: string) => Buffer.from(s, 'utf8');

// ---------------------------------------------------------------------------------------------
// Seeds

class CollectingReader extends MetricReader {
  protected async onForceFlush() {}
  protected async onShutdown() {}
}

async function sdkSeeds(): Promise<Seed[]> {
  const resource = resourceFromAttributes({ 'service.name': 'fuzz', 'service.namespace': 'ns', 'host.cores': 2, tags: ['a', 'b'] });

  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(spans)] });
  const tracer = tracerProvider.getTracer('fuzz-scope', '1.0');
  const root = tracer.startSpan('GET /x', { kind: SpanKind.SERVER, attributes: { 'http.route': '/x', 'http.response.status_code': 500, ratio: 0.5, ok: true, list: [1, 2] } });
  root.addEvent('exception', { 'exception.message': 'boom' });
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  tracer.startSpan('child', { links: [{ context: { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: 1 }, attributes: { why: 'retry' } }] }).end();
  root.end();
  const finished = spans.getFinishedSpans();

  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({
    resource,
    readers: [reader],
    views: [{ instrumentName: 'exp.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = meterProvider.getMeter('fuzz-meter');
  meter.createCounter('requests').add(3, { route: '/x' });
  meter.createUpDownCounter('inflight').add(-2);
  meter.createHistogram('latency').record(12.5, { route: '/x' });
  meter.createHistogram('exp.latency').record(0.3);
  meter.createGauge('temperature').record(21.5);
  const { resourceMetrics } = await reader.collect();

  const logs = new InMemoryLogRecordExporter();
  const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  const logger = loggerProvider.getLogger('fuzz-logger');
  logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'plain body', attributes: { k: 'v', n: 1 } });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: { nested: { list: [1, 'two', true] } } as never, eventName: 'evt' } as never);
  const records = logs.getFinishedLogRecords();

  return [
    { signal: signal('traces'), encoding: 'proto', label: 'sdk spans', bytes: ProtobufTraceSerializer.serializeRequest(finished)! },
    { signal: signal('traces'), encoding: 'json', label: 'sdk spans', bytes: JsonTraceSerializer.serializeRequest(finished)! },
    { signal: signal('metrics'), encoding: 'proto', label: 'sdk metrics', bytes: ProtobufMetricsSerializer.serializeRequest(resourceMetrics)! },
    { signal: signal('metrics'), encoding: 'json', label: 'sdk metrics', bytes: JsonMetricsSerializer.serializeRequest(resourceMetrics)! },
    { signal: signal('logs'), encoding: 'proto', label: 'sdk logs', bytes: ProtobufLogsSerializer.serializeRequest(records)! },
    { signal: signal('logs'), encoding: 'json', label: 'sdk logs', bytes: JsonLogsSerializer.serializeRequest(records)! },
  ].filter((s) => s.signal !== undefined) as Seed[];
}

// A minimal protobuf writer for hostile seeds the SDK cannot produce.
function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
export const pb = {
  len(field: number, ...parts: Uint8Array[]): Uint8Array {
    const body = Buffer.concat(parts);
    return Buffer.concat([Uint8Array.from(varint((field << 3) | 2)), Uint8Array.from(varint(body.length)), body]);
  },
  fixed64(field: number, value: bigint): Uint8Array {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(value);
    return Buffer.concat([Uint8Array.from(varint((field << 3) | 1)), b]);
  },
  /** AnyValue nested `depth` arrays deep around a string. */
  nestedArray(depth: number): Uint8Array {
    let value = pb.len(1, utf8('bottom'));
    for (let i = 0; i < depth; i++) value = pb.len(5, pb.len(1, value));
    return value;
  },
  keyValue(key: string, anyValue: Uint8Array): Uint8Array {
    return Buffer.concat([pb.len(1, utf8(key)), pb.len(2, anyValue)]);
  },
  span(fields: Uint8Array[]): Uint8Array {
    return pb.len(1, pb.len(2, pb.len(2, ...fields)));
  },
};

const TRACE_ID = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
const SPAN_ID = Buffer.from('1112131415161718', 'hex');
const NOW_NS = 1_780_000_000_000_000_000n;
const ids = [pb.len(1, TRACE_ID), pb.len(2, SPAN_ID)];

/** Hostile but well-formed payloads: deep nesting, huge lists and values, bad UTF-8 and ids, odd times. */
export function hostileTraceSeeds(): Seed[] {
  const traces = signal('traces');
  const times = [pb.fixed64(7, NOW_NS), pb.fixed64(8, NOW_NS + 1000n)];
  const proto = (label: string, fields: Uint8Array[]): Seed => ({ signal: traces, encoding: 'proto', label, bytes: pb.span(fields) });
  const manyAttributes = Array.from({ length: 20_000 }, (_, i) => pb.len(9, pb.keyValue(`k${i}`, pb.len(1, utf8('v')))));
  const jsonSpan = (label: string, span: object): Seed => ({
    signal: traces,
    encoding: 'json',
    label,
    bytes: utf8(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_ID.toString('hex'), spanId: SPAN_ID.toString('hex'), ...span }] }] }] })),
  });
  // Built as text: JSON.stringify itself cannot nest this deep.
  const depth = 3_000;
  const deepJson = '{"arrayValue":{"values":['.repeat(depth) + '{"stringValue":"bottom"}' + ']}}'.repeat(depth);
  const deepSpan = utf8(
    `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID.toString('hex')}","spanId":"${SPAN_ID.toString('hex')}","name":"deep",` +
      `"attributes":[{"key":"deep","value":${deepJson}}]}]}]}]}`,
  );
  return [
    proto('deep array nesting', [...ids, ...times, pb.len(9, pb.keyValue('deep', pb.nestedArray(3_000)))]),
    proto('20k attributes', [...ids, ...times, ...manyAttributes]),
    proto('1 MiB value', [...ids, ...times, pb.len(9, pb.keyValue('big', pb.len(1, Buffer.alloc(1 << 20, 0x61))))]),
    proto('invalid UTF-8', [...ids, ...times, pb.len(5, Uint8Array.from([0xff, 0xfe, 0xc3, 0x28])), pb.len(9, pb.keyValue('\u0000', pb.len(1, Uint8Array.from([0xed, 0xa0, 0x80]))))]),
    proto('ids of the wrong length', [pb.len(1, TRACE_ID.subarray(0, 3)), pb.len(2, Buffer.alloc(20, 1)), ...times]),
    proto('zero and maximum timestamps', [...ids, pb.fixed64(7, 0n), pb.fixed64(8, 2n ** 64n - 1n)]),
    { signal: traces, encoding: 'json', label: 'deep json nesting', bytes: deepSpan },
    jsonSpan('json 1 MiB name, extreme times', { name: 'x'.repeat(1 << 20), startTimeUnixNano: '18446744073709551615', endTimeUnixNano: 0 }),
    jsonSpan('json lone surrogate, 5k int64 attributes', { name: '\ud800 lone surrogate', attributes: Array.from({ length: 5_000 }, (_, i) => ({ key: `k${i}`, value: { intValue: '-9223372036854775808' } })) }),
  ];
}

export async function loadSeeds(): Promise<Seed[]> {
  return [...(await sdkSeeds()), ...hostileTraceSeeds()];
}

// ---------------------------------------------------------------------------------------------
// Mutations

const JSON_TOKENS = ['{', '}', '[', ']', '"', ',', ':', 'null', 'true', '-0', '1e999', '18446744073709551616', '"\\ud800"', '"\\u0000"', '{"arrayValue":{"values":[', '"intValue":"x"', '[[[[[[[['];
const LENGTHS = [0, 1, 2, 7, 8, 16, 127, 128, 255, 16_383, 2 ** 21, 2 ** 31 - 1, 2 ** 32, 2 ** 35, 2 ** 53];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** One mutation of `input` (bytes), sometimes several stacked. */
export function mutateBytes(input: Uint8Array, rand: () => number, donors: readonly Seed[]): { bytes: Uint8Array; how: string } {
  let bytes = Buffer.from(input);
  const steps: string[] = [];
  const rounds = 1 + Math.floor(rand() * 3);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(rand() * (bytes.length + 1));
    const op = Math.floor(rand() * 9);
    switch (op) {
      case 0: {
        const flips = 1 + Math.floor(rand() * 8);
        for (let i = 0; i < flips && bytes.length; i++) bytes[Math.floor(rand() * bytes.length)]! ^= 1 << Math.floor(rand() * 8);
        steps.push(`flip${flips}`);
        break;
      }
      case 1:
        bytes = bytes.subarray(0, at);
        steps.push(`truncate@${at}`);
        break;
      case 2: {
        const donor = pick(rand, donors).bytes;
        const from = Math.floor(rand() * donor.length);
        const chunk = donor.subarray(from, from + Math.floor(rand() * 256));
        bytes = Buffer.concat([bytes.subarray(0, at), chunk, bytes.subarray(at)]);
        steps.push(`splice@${at}+${chunk.length}`);
        break;
      }
      case 3: {
        // Length-field corruption: overwrite with a varint that claims a (usually) wrong length.
        const v = Uint8Array.from(varint(pick(rand, LENGTHS)));
        bytes = Buffer.concat([bytes.subarray(0, at), v, bytes.subarray(at + v.length)]);
        steps.push(`length@${at}`);
        break;
      }
      case 4: {
        const len = Math.floor(rand() * 64);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + len), bytes.subarray(at)]);
        steps.push(`dup@${at}+${len}`);
        break;
      }
      case 5: {
        const len = Math.floor(rand() * 32);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)]);
        steps.push(`delete@${at}+${len}`);
        break;
      }
      case 6: {
        const len = Math.floor(rand() * 64);
        const noise = Buffer.alloc(len);
        for (let i = 0; i < len; i++) noise[i] = Math.floor(rand() * 256);
        bytes = Buffer.concat([bytes.subarray(0, at), noise, bytes.subarray(at)]);
        steps.push(`noise@${at}+${len}`);
        break;
      }
      case 7:
        // Concatenated messages merge in protobuf: repeated fields and duplicated scalars.
        bytes = Buffer.concat([bytes, pick(rand, donors).bytes]);
        steps.push('concat');
        break;
      default: {
        const len = Math.floor(rand() * 512);
        bytes = Buffer.alloc(len);
        for (let i = 0; i < len; i++) bytes[i] = Math.floor(rand() * 256);
        steps.push(`random${len}`);
      }
    }
  }
  return { bytes, how: steps.join(',') };
}

/** JSON mutations: byte-level ones plus token insertions that keep it closer to valid. */
export function mutateJson(input: Uint8Array, rand: () => number, donors: readonly Seed[]): { bytes: Uint8Array; how: string } {
  if (rand() < 0.5) return mutateBytes(input, rand, donors);
  let text = Buffer.from(input).toString('utf8');
  const steps: string[] = [];
  const rounds = 1 + Math.floor(rand() * 4);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(rand() * (text.length + 1));
    if (rand() < 0.5) {
      const token = pick(rand, JSON_TOKENS);
      text = text.slice(0, at) + token + text.slice(at);
      steps.push(`token@${at}`);
    } else {
      // Replace a JSON value-ish run (up to the next delimiter) with a token.
      const end = text.slice(at).search(/[,}\]]/);
      const token = pick(rand, JSON_TOKENS);
      text = text.slice(0, at) + token + text.slice(end < 0 ? text.length : at + end);
      steps.push(`replace@${at}`);
    }
  }
  return { bytes: utf8(text), how: steps.join(',') };
}

// ---------------------------------------------------------------------------------------------
// Running cases

export interface FuzzFailure {
  index: number;
  seed: string;
  how: string;
  error: string;
}

export interface FuzzSummary {
  cases: number;
  accepted: number;
  partial: number;
  payloadErrors: number;
  failures: FuzzFailure[];
  slowest: { ms: number; index: number; seed: string; how: string };
  bySeed: Record<string, number>;
  peakRssBytes: number;
  seconds: number;
}

const LIMITS = DEFAULT_DECODE_LIMITS;

/** Decodes and encodes as the ingestor does (the same function); returns the outcome or throws what the ingestor would see. */
export function runCase(seed: Seed, bytes: Uint8Array): 'accepted' | 'partial' | 'payload-error' {
  try {
    const options = { tenant: 'fuzz', limits: LIMITS };
    const result = decodeAndEncode(seed.signal, bytes, seed.encoding, options);
    return result.rejected > 0 ? 'partial' : 'accepted';
  } catch (err) {
    if (err instanceof PayloadError) return 'payload-error';
    throw err;
  }
}

/** Runs `cases` cases from `seed`: case i uses prng(seed + i), so one failing case reruns alone. */
export function fuzz(seeds: Seed[], options: { cases: number; seed: number; maxCaseMs: number; onProgress?: (done: number) => void }): FuzzSummary {
  const started = performance.now();
  const summary: FuzzSummary = {
    cases: 0,
    accepted: 0,
    partial: 0,
    payloadErrors: 0,
    failures: [],
    slowest: { ms: 0, index: -1, seed: '', how: '' },
    bySeed: {},
    peakRssBytes: process.memoryUsage().rss,
    seconds: 0,
  };
  for (let i = 0; i < options.cases; i++) {
    const rand = prng(options.seed + i);
    const seed = seeds[Math.floor(rand() * seeds.length)]!;
    const donors = seeds.filter((s) => s.encoding === seed.encoding);
    // One case in 20 is the seed unmutated: the hostile seeds must pass as they are too.
    const { bytes, how } = rand() < 0.05 ? { bytes: seed.bytes, how: 'none' } : (seed.encoding === 'proto' ? mutateBytes : mutateJson)(seed.bytes, rand, donors);
    const name = `${seed.signal.signal}/${seed.encoding}/${seed.label}`;
    summary.bySeed[name] = (summary.bySeed[name] ?? 0) + 1;
    const t0 = performance.now();
    try {
      const outcome = runCase(seed, bytes);
      if (outcome === 'accepted') summary.accepted++;
      else if (outcome === 'partial') summary.partial++;
      else summary.payloadErrors++;
    } catch (err) {
      if (summary.failures.length < 20) summary.failures.push({ index: i, seed: name, how, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      else summary.failures.length++;
    }
    const ms = performance.now() - t0;
    if (ms > summary.slowest.ms) summary.slowest = { ms, index: i, seed: name, how };
    if (ms > options.maxCaseMs && summary.failures.length < 20) summary.failures.push({ index: i, seed: name, how, error: `took ${ms.toFixed(0)} ms (bound ${options.maxCaseMs})` });
    summary.cases++;
    if ((i & 1023) === 0) {
      summary.peakRssBytes = Math.max(summary.peakRssBytes, process.memoryUsage().rss);
      options.onProgress?.(i);
    }
  }
  summary.peakRssBytes = Math.max(summary.peakRssBytes, process.memoryUsage().rss);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
