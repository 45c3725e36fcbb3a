import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { Readable } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { connectClickhouse, type Clickhouse } from '../../storage/client.ts';
import { classifyClickhouseError } from '../../storage/errors.ts';
import { freePort } from '../../storage/local-clickhouse.ts';

// CLICKHOUSE_URL as a list: one endpoint down (nothing listens: the request never reaches a server)
// or dropping connections (the request may have arrived), the next one up.

describe('several ClickHouse endpoints, one of them down', () => {
  let db: TestDatabase;
  let down: string;
  let dropper: Server;
  let dropping: string;
  const open: Clickhouse[] = [];
  const connect = (url: string) => {
    const ch = connectClickhouse({ ...db.config, url });
    open.push(ch);
    return ch;
  };
  const count = async () => Number((await db.ch.query<{ n: string }>("SELECT toString(count()) AS n FROM spans WHERE service_name = 'failover'"))[0]!.n);

  beforeAll(async () => {
    db = await createTestDatabase('failover');
    down = `http://127.0.0.1:${await freePort()}`;
    // Accepts connections and closes them without an answer.
    dropper = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => dropper.listen(0, '127.0.0.1', () => r()));
    dropping = `http://127.0.0.1:${(dropper.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await Promise.all(open.map((ch) => ch.close()));
    await new Promise((r) => dropper.close(r));
    await db?.close();
  });

  it('queries, commands, JSON inserts and ping go to the next endpoint when the first refuses connections', async () => {
    const ch = connect(`${down}, ${db.config.url}`);
    expect(await ch.ping()).toBe(true);
    expect(await ch.query<{ x: number }>('SELECT 1 AS x')).toEqual([{ x: 1 }]);
    await ch.command("INSERT INTO spans (trace_id, span_id, service_name) VALUES ('a', 'a', 'failover')");
    await ch.insertJson('spans', [{ trace_id: 'b', span_id: 'b', service_name: 'failover' }]);
    expect(await count()).toBe(2);
  });

  it('a streamed insert is not sent twice: the failed attempt is a retryable error, the next call goes to the live endpoint', async () => {
    const ch = connect(`${down},${db.config.url}`);
    const body = () => Readable.from([Buffer.from('c\tc\tfailover\n')]);
    const first = await ch.insertRaw('spans', ['trace_id', 'span_id', 'service_name'], 'TabSeparated', body()).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Error);
    expect(classifyClickhouseError(first)).toBe('transient');
    await ch.insertRaw('spans', ['trace_id', 'span_id', 'service_name'], 'TabSeparated', body());
    expect(await count()).toBe(3);
  });

  it('an endpoint that drops connections: a SELECT is asked again at the next one, a statement that may have run is not', async () => {
    const reads = connect(`${dropping},${db.config.url}`);
    expect(await reads.query<{ x: number }>('SELECT 2 AS x')).toEqual([{ x: 2 }]);
    const writes = connect(`${dropping},${db.config.url}`);
    const lost = await writes.command("INSERT INTO spans (trace_id, span_id, service_name) VALUES ('d', 'd', 'failover')").catch((e: unknown) => e);
    expect(classifyClickhouseError(lost)).toBe('transient');
    expect(await count()).toBe(3);
    // The caller retries (as the collector's writer does): the next endpoint takes it.
    await writes.command("INSERT INTO spans (trace_id, span_id, service_name) VALUES ('d', 'd', 'failover')");
    expect(await count()).toBe(4);
  });

  it('every endpoint down: the last failure, retryable', async () => {
    const ch = connect(`${down},${down}`);
    expect(await ch.ping()).toBe(false);
    const err = await ch.query('SELECT 1').catch((e: unknown) => e);
    expect(classifyClickhouseError(err)).toBe('transient');
  });
});
