import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { spanRow, resource, scope } from '../support/rows.ts';
import { BatchWriter, DEFAULT_BATCH_WRITER_OPTIONS, encodeRows } from '../../collector/writer/batch-writer.ts';
import { QueueFullError, RowsRefusedError, StorageUnavailableError } from '../../collector/writer/errors.ts';
import { SPANS_TABLE as SPANS } from '../../collector/signals/traces.ts';
import { connectClickhouse } from '../../storage/client.ts';
import { sql } from '../../storage/sql.ts';


const HOSTILE = ["it's", 'back\\slash', 'trailing\\', "\\'", 'nul\0byte', 'new\nline\r\n', 'tab\there', 'emoji 🔥 漢字', "'); DROP TABLE spans; --", "['a','b']", '', '\\N'];

describe('BatchWriter against a real ClickHouse', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('writer');
  });
  afterAll(async () => db?.close());

  it('hostile strings in every kind of column round-trip through RowBinary', async () => {
    const writer = new BatchWriter(db.ch, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 10 });
    const rows = HOSTILE.map((text, i) =>
      spanRow({
        name: text,
        traceState: text,
        statusMessage: text,
        attributes: { keys: [text, 'k'], types: ['string', 'string'], values: [text, text] },
        events: [{ timeNs: 1n, name: text, attributesJson: text, droppedAttributesCount: i }],
        resource: resource({ serviceName: `hostile-${i}`, attributes: { keys: ['service.name', text], types: ['string', 'string'], values: [`hostile-${i}`, text] } }),
        scope: scope({ name: text, version: text, attributesJson: text }),
      }),
    );
    await writer.submit(SPANS, rows);
    const stored = await db.ch.query<Record<string, unknown>>(
      "SELECT name, trace_state, status_message, attributes.key AS ak, attributes.value AS av, events.name AS en, events.attributes AS ea, resource_attributes.value AS rv, scope_name, scope_version, scope_attributes FROM spans WHERE service_name LIKE 'hostile-%' ORDER BY service_name",
    );
    const byService = new Map(stored.map((r, i) => [i, r]));
    expect(stored).toHaveLength(HOSTILE.length);
    // ORDER BY service_name sorts hostile-10 before hostile-2; compare by lookup instead.
    const sortedIdx = HOSTILE.map((_, i) => `hostile-${i}`).sort();
    sortedIdx.forEach((service, pos) => {
      const text = HOSTILE[Number(service.split('-')[1])]!;
      const row = byService.get(pos)!;
      expect(row).toEqual({ name: text, trace_state: text, status_message: text, ak: [text, 'k'], av: [text, text], en: [text], ea: [text], rv: [service, text], scope_name: text, scope_version: text, scope_attributes: text });
    });
    await writer.close();
  });

  it('batches rows from many submissions into few inserts', async () => {
    let inserts = 0;
    const writer = new BatchWriter(db.ch, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 100, maxBatchRows: 1_000 }, {
      insertDone: () => inserts++,
      insertError: () => {},
      queueBytes: () => {},
    });
    const submissions = Array.from({ length: 50 }, () => writer.submit(SPANS, Array.from({ length: 10 }, () => spanRow({ resource: resource({ serviceName: 'batched' }) }))));
    await Promise.all(submissions);
    expect(inserts).toBe(1);
    const [{ n }] = await db.ch.query<{ n: string }>("SELECT count() AS n FROM spans WHERE service_name = 'batched'");
    expect(Number(n)).toBe(500);
    await writer.close();
  });

  it('rejects with QueueFullError past the byte bound instead of growing', async () => {
    const writer = new BatchWriter(db.ch, { ...DEFAULT_BATCH_WRITER_OPTIONS, maxQueueBytes: 2_000, flushIntervalMs: 1_000 });
    const first = writer.submit(SPANS, [spanRow({ resource: resource({ serviceName: 'bounded' }) })]);
    const big = Array.from({ length: 20 }, () => spanRow());
    await expect(writer.submit(SPANS, big)).rejects.toBeInstanceOf(QueueFullError);
    writer.flushAll();
    await first;
    await writer.close();
  });

  it('counts the whole buffer a handed-over body keeps alive against the bound', async () => {
    const writer = new BatchWriter(db.ch, { ...DEFAULT_BATCH_WRITER_OPTIONS, maxQueueBytes: 1 << 20, flushIntervalMs: 1_000 });
    const encoded = encodeRows(SPANS, [spanRow({ resource: resource({ serviceName: 'held' }) })]);
    // The same rows as a view at the start of a 256 KiB buffer, as RowBinaryWriter.takeOrHandOver gives.
    const whole = Buffer.alloc(256 * 1024);
    encoded.body.copy(whole);
    const first = writer.submitEncoded({ ...encoded, body: whole.subarray(0, encoded.body.length) });
    expect(writer.queuedBytes).toBe(256 * 1024);
    writer.flushAll();
    await first;
    await writer.close();
    expect(writer.queuedBytes).toBe(0);
  });

  it('answers StorageUnavailableError when ClickHouse cannot be reached within the retry budget', async () => {
    const dead = connectClickhouse({ ...db.config, url: 'http://127.0.0.1:1' }, { requestTimeoutMs: 500 });
    const writer = new BatchWriter(dead, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 5, retry: { initialDelayMs: 10, maxDelayMs: 50, maxElapsedMs: 300 } });
    const err = await writer.submit(SPANS, [spanRow()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as StorageUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await writer.close();
    await dead.close();
  });
});

describe('BatchWriter: one request never fails the others (issue 11, code 252 and any data error)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('writer_isolation');
  });
  afterAll(async () => db?.close());

  const count = async (service: string) => Number((await db.ch.query<{ n: string }>(sql`SELECT count() AS n FROM spans WHERE service_name = ${service}`))[0]!.n);

  it('a request ClickHouse refuses for its content fails alone, with RowsRefusedError; the rest of its batch is stored', async () => {
    const inserts: number[] = [];
    const writer = new BatchWriter(db.ch, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 60_000 }, { insertDone: (_t, rows) => inserts.push(rows), insertError: () => {}, queueBytes: () => {} });
    const good = (i: number) => writer.submit(SPANS, Array.from({ length: 3 }, () => spanRow({ resource: resource({ serviceName: `isolated-${i}` }) })));
    // Nested arrays of different lengths: ClickHouse refuses this row for its content (code 190).
    const poison = spanRow({ resource: resource({ serviceName: 'isolated-bad' }), attributes: { keys: ['a', 'b'], types: ['string'], values: ['x'] } });
    const submissions = [good(0), good(1), good(2), writer.submit(SPANS, [poison]), good(3), good(4), good(5), good(6)];
    writer.flushAll();
    const outcomes = await Promise.allSettled(submissions);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    const refused = (outcomes[3] as PromiseRejectedResult).reason as Error;
    expect(refused.name).toBe('RowsRefusedError');
    expect(refused.message).toMatch(/ClickHouse refused 1 row\(s\) for spans: Code 190 SIZES_OF_ARRAYS_DOESNT_MATCH/);
    for (let i = 0; i < 7; i++) expect(await count(`isolated-${i}`)).toBe(3);
    expect(await count('isolated-bad')).toBe(0);
    // Every good row was inserted exactly once.
    expect(inserts.reduce((a, b) => a + b, 0)).toBe(21);
    await writer.close();
  });

  it('submitAll stores the accepted part of a request and reports only the refused rows (for an OTLP partial success)', async () => {
    const writer = new BatchWriter(db.ch, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 5 });
    const good = encodeRows(SPANS, [spanRow({ resource: resource({ serviceName: 'partly-ok' }) }), spanRow({ resource: resource({ serviceName: 'partly-ok' }) })]);
    const bad = encodeRows(SPANS, [spanRow({ resource: resource({ serviceName: 'partly-bad' }), attributes: { keys: ['k'], types: [], values: [] } })]);
    const error = await writer.submitAll([good, bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RowsRefusedError);
    expect((error as RowsRefusedError).rows).toBe(1);
    expect(await count('partly-ok')).toBe(2);
    await writer.close();
  });

  it('a request whose rows span more than max_partitions_per_insert_block days is refused alone (current engines)', async (ctx) => {
    const [setting] = await db.ch.query<{ value: string }>("SELECT value FROM system.settings WHERE name = 'max_partitions_per_insert_block'");
    if (!setting || Number(setting.value) === 0) {
      console.warn('batch-writer: 252 partitions case skipped: this ClickHouse has no max_partitions_per_insert_block limit (18.16)');
      ctx.skip();
    }
    const limit = Number(setting!.value);
    const writer = new BatchWriter(db.ch, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 60_000 });
    const day = 86_400;
    const old = Array.from({ length: limit + 20 }, (_, i) => spanRow({ resource: resource({ serviceName: 'partitions-bad' }), timestamp: 1_700_000_000 + i * day }));
    const submissions = [
      writer.submit(SPANS, [spanRow({ resource: resource({ serviceName: 'partitions-ok' }) })]),
      writer.submit(SPANS, old),
      writer.submit(SPANS, [spanRow({ resource: resource({ serviceName: 'partitions-ok' }) })]),
    ];
    writer.flushAll();
    const outcomes = await Promise.allSettled(submissions);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).toMatch(/Code 252 TOO_MANY_PARTS: Too many partitions for single INSERT block/);
    expect(await count('partitions-ok')).toBe(2);
    await writer.close();
  });

  it('an environmental failure (wrong password) is StorageUnavailableError, never a refusal, and readiness says so', async () => {
    const wrong = connectClickhouse({ ...db.config, password: 'not-the-password' });
    const writer = new BatchWriter(wrong, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 5, retry: { initialDelayMs: 10, maxDelayMs: 50, maxElapsedMs: 300 } });
    const submissions = [writer.submit(SPANS, [spanRow()]), writer.submit(SPANS, [spanRow()])];
    const errors = await Promise.all(submissions.map((s) => s.catch((e: unknown) => e as Error)));
    for (const err of errors) {
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect((err as StorageUnavailableError).errorClass).toBe('environmental');
      expect((err as Error).message).toMatch(/Code 193 WRONG_PASSWORD|Code 516 AUTHENTICATION_FAILED/);
    }
    expect(await writer.ready()).toBe(false);
    expect(writer.failureCause).toMatch(/WRONG_PASSWORD|AUTHENTICATION_FAILED/);
    await writer.close();
    await wrong.close();
  });
});
