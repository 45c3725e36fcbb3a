import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { trackForDrain } from '../../collector/http/drain.ts';

function get(port: number, agent: Agent): Promise<IncomingMessage & { body: string }> {
  return new Promise((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(Object.assign(res, { body })));
    })
      .on('error', reject)
      .end();
  });
}

describe('trackForDrain', () => {
  it('closes a keep-alive connection that was busy when the drain began, right after its answer', async () => {
    let answer: ((res: ServerResponse) => void) | undefined;
    const waiting: ServerResponse[] = [];
    const server = createServer((_req, res) => {
      if (answer) answer(res);
      else waiting.push(res);
    });
    server.keepAliveTimeout = 60_000;
    const drain = trackForDrain(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });

    // A first request leaves an idle pooled connection; it is answered normally, with keep-alive.
    answer = (res) => res.end('first');
    const first = await get(port, agent);
    expect(first.headers.connection).toBe('keep-alive');

    // The second one is in the handler when the drain begins.
    answer = undefined;
    const second = get(port, agent);
    while (waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    const closed = drain.close();
    waiting[0]!.end('second');
    const res = await second;
    await closed;

    expect(res.body).toBe('second');
    expect(res.headers.connection).toBe('close');
    // Closed at once, not after the 60 s keep-alive timeout.
    expect(Date.now() - started).toBeLessThan(2_000);
    agent.destroy();
  });

});
