import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { resource, spanRow } from '../support/rows.ts';
import { startThrottleProxy } from '../support/throttle-proxy.ts';
import { BatchWriter, DEFAULT_BATCH_WRITER_OPTIONS } from '../../collector/writer/batch-writer.ts';
import { SPANS_TABLE as SPANS } from '../../collector/signals/traces.ts';
import { connectClickhouse } from '../../storage/client.ts';

// Issue 16: with a slow ClickHouse, batches sealed by the flush interval used to wait for an insert
// slot one by one, so inserts got smaller as ClickHouse got slower (512-span clients measured ~2,400-row
// inserts). A sealed batch that is still waiting now keeps taking rows.
describe('BatchWriter with a slow ClickHouse', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('coalesce');
  });
  afterAll(async () => db?.close());

  it('requests arriving while an insert runs join the one batch waiting for the slot', async () => {
    const port = Number(new URL(inject('clickhouseUrl')).port);
    // 100 B/s towards ClickHouse: the first insert (~25 KB) is held while the other requests arrive,
    // however loaded the machine (at 20 KB/s a busy machine let it finish early, 1 run in ~20).
    const proxy = await startThrottleProxy(port, 100);
    const slow = connectClickhouse({ ...db.config, url: `http://127.0.0.1:${proxy.port}` }, { requestTimeoutMs: 60_000 });
    const inserts: number[] = [];
    const writer = new BatchWriter(slow, { ...DEFAULT_BATCH_WRITER_OPTIONS, flushIntervalMs: 20, maxConcurrentInserts: 1 }, {
      insertDone: (_table, rows) => inserts.push(rows),
      insertError: () => {},
      queueBytes: () => {},
    });
    try {
      const request = () => writer.submit(SPANS, Array.from({ length: 50 }, () => spanRow({ resource: resource({ serviceName: 'coalesced' }) })));
      const submissions = [request()];
      // Ten more requests, 40 ms apart (each past the 20 ms flush interval), while the first insert runs.
      await new Promise((r) => setTimeout(r, 40));
      for (let i = 0; i < 10; i++) {
        submissions.push(request());
        await new Promise((r) => setTimeout(r, 40));
      }
      // Let the first insert through; everything that arrived meanwhile goes in the next one.
      proxy.setRate(10_000_000);
      await Promise.all(submissions);
      expect(inserts).toEqual([50, 500]);
      const [{ n }] = await db.ch.query<{ n: string }>("SELECT count() AS n FROM spans WHERE service_name = 'coalesced'");
      expect(Number(n)).toBe(550);
    } finally {
      await writer.close();
      await slow.close();
      await proxy.close();
    }
  });
});
