import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { fuzz, loadSeeds, mutateBytes, mutateJson, pb, prng, type Seed } from '../../bench/fuzz-lib.ts';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { sql } from '../../storage/sql.ts';
import { DEFAULT_DECODE_LIMITS } from '../../collector/rows/types.ts';

// Hostile input through HTTP: fuzzed payloads get only 200 / 400 / 413, a gzip bomb gets 413
// fast and cheaply, and the documented limits hold for what is stored.

const TRACE_ID = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
const NOW_NS = 1_780_000_000_000_000_000n;
const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('hostile input over OTLP/HTTP', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  let seeds: Seed[];
  beforeAll(async () => {
    db = await createTestDatabase('security_input');
    collector = await startTestCollector(db.config, { grpcDisabled: true });
    seeds = await loadSeeds();
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  const post = (path: string, type: string, body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${collector.url}${path}`, { method: 'POST', headers: { 'Content-Type': type, ...headers }, body: body as unknown as BodyInit });

  it('answers fuzzed payloads of every signal with 200, 400 or 413 only', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 150; i++) {
      const rand = prng(7_000 + i);
      const seed = seeds[Math.floor(rand() * seeds.length)]!;
      const { bytes } = (seed.encoding === 'proto' ? mutateBytes : mutateJson)(seed.bytes, rand, seeds.filter((s) => s.encoding === seed.encoding));
      const res = await post(seed.signal.path, seed.encoding === 'proto' ? 'application/x-protobuf' : 'application/json', bytes);
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].every((s) => [200, 400, 413].includes(s)), JSON.stringify([...statuses])).toBe(true);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    // The collector is still healthy afterwards.
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    expect(fuzz).toBeTypeOf('function');
  });

  it('answers a gzip bomb (256 MiB of zeros in ~256 KiB) with 413 quickly and without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    global.gc?.();
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const res = await post('/v1/traces', 'application/x-protobuf', bomb, { 'Content-Encoding': 'gzip' });
    const ms = performance.now() - started;
    const body = new Uint8Array(await res.arrayBuffer());
    const grown = process.memoryUsage().rss - before;
    console.log(`gzip bomb: ${bomb.length} bytes → 413 in ${ms.toFixed(0)} ms, RSS +${(grown / 1024 / 1024).toFixed(0)} MiB`);
    expect(res.status).toBe(413);
    expect(Buffer.from(body).toString('latin1')).toContain('exceeds the limit');
    expect(ms).toBeLessThan(3_000);
    // Inflation stops at the 64 MiB body limit: far below the 256 MiB the bomb expands to.
    expect(grown).toBeLessThan(160 * 1024 * 1024);
  });

  async function storedSpan(spanIdHex: string) {
    const rows = await db.ch.query<{ name: string; timestamp: string; start_time_ns: string; dropped_attributes_count: number; 'attributes.key': string[]; 'attributes.value': string[] }>(
      sql`SELECT name, timestamp, start_time_ns, dropped_attributes_count, attributes.key, attributes.value FROM spans WHERE span_id = ${spanIdHex}`,
    );
    return rows;
  }

  const spanPayload = (spanId: string, fields: Uint8Array[], withTimes = true) =>
    pb.span([pb.len(1, TRACE_ID), pb.len(2, Buffer.from(spanId, 'hex')), ...(withTimes ? [pb.fixed64(7, NOW_NS), pb.fixed64(8, NOW_NS + 5n)] : []), ...fields]);

  it('bounds deep AnyValue nesting, huge attribute lists and huge values by the decode limits', async () => {
    const limits = DEFAULT_DECODE_LIMITS;
    const deep = spanPayload('00000000000000a1', [pb.len(9, pb.keyValue('deep', pb.nestedArray(5_000)))]);
    const many = spanPayload('00000000000000a2', Array.from({ length: 5_000 }, (_, i) => pb.len(9, pb.keyValue(`k${i}`, pb.len(1, utf8('v'))))));
    const huge = spanPayload('00000000000000a3', [pb.len(9, pb.keyValue('big', pb.len(1, Buffer.alloc(4 * 1024 * 1024, 0x61))))]);
    for (const payload of [deep, many, huge]) expect((await post('/v1/traces', 'application/x-protobuf', payload)).status).toBe(200);

    const [deepRow] = await storedSpan('00000000000000a1');
    const text = deepRow!['attributes.value'][0]!;
    expect(text.split('arrayValue').length - 1).toBe(limits.maxAnyValueDepth);
    const [manyRow] = await storedSpan('00000000000000a2');
    expect(manyRow!['attributes.key']).toHaveLength(limits.maxAttributesPerList);
    expect(manyRow!.dropped_attributes_count).toBe(5_000 - limits.maxAttributesPerList);
    const [hugeRow] = await storedSpan('00000000000000a3');
    expect(Buffer.byteLength(hugeRow!['attributes.value'][0]!)).toBe(limits.maxAttributeValueBytes);
  });

  it('rejects ids of the wrong length through partial success, and stores invalid UTF-8 with replacement characters', async () => {
    const badIds = pb.span([pb.len(1, TRACE_ID.subarray(0, 5)), pb.len(2, Buffer.from('00000000000000b1', 'hex')), pb.fixed64(7, NOW_NS)]);
    const good = spanPayload('00000000000000b2', [pb.len(5, Uint8Array.from([0x6f, 0x6b, 0xff, 0xc3, 0x28]))]);
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: Buffer.concat([badIds, good]) as unknown as BodyInit,
    });
    expect(res.status).toBe(200);
    // ExportTraceServiceResponse.partial_success { rejected_spans: 1, error_message }.
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.toString('latin1')).toContain('invalid trace_id length');
    expect([body[2], body[3]]).toEqual([0x08, 1]);
    expect(await storedSpan('00000000000000b1')).toEqual([]);
    const [row] = await storedSpan('00000000000000b2');
    expect(row!.name).toBe('ok\ufffd\ufffd(');
  });

  it('stores zero and far-future start times as sent (documented in docs/durability.md)', async () => {
    const zero = pb.span([pb.len(1, TRACE_ID), pb.len(2, Buffer.from('00000000000000c1', 'hex')), pb.fixed64(7, 0n), pb.fixed64(8, 0n)]);
    const future = pb.span([pb.len(1, TRACE_ID), pb.len(2, Buffer.from('00000000000000c2', 'hex')), pb.fixed64(7, 4_000_000_000_000_000_000n)]);
    expect((await post('/v1/traces', 'application/x-protobuf', Buffer.concat([zero, future]))).status).toBe(200);
    expect((await storedSpan('00000000000000c1'))[0]).toMatchObject({ start_time_ns: '0' });
    expect((await storedSpan('00000000000000c2'))[0]).toMatchObject({ start_time_ns: '4000000000000000000' });
  });
});
