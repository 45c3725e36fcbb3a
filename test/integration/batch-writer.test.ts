import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { spanRow, resource, scope } from '../support/rows.ts';
import { BatchWriter, DEFAULT_BATCH_WRITER_OPTIONS, encodeRows } from '../../collector/writer/batch-writer.ts';
import { QueueFullError, StorageUnavailableError } from '../../collector/writer/errors.ts';
import { SPANS_TABLE as SPANS } from '../../collector/signals/traces.ts';
import { connectClickhouse } from '../../storage/client.ts';


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
