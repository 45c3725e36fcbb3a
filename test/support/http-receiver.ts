import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver does with the n-th request to a path: answer (status, headers), or hang until closed. */
export type Behaviour = (path: string, n: number) => { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

/**
 * A real local HTTP receiver (Slack / webhook / PagerDuty stand-in) whose behaviour a test scripts:
 * answer any status with any headers, answer late, hang without answering, or be down (the port
 * refuses connections) and come back on the same port.
 */
export async function startReceiver(behaviour: Behaviour = () => ({ status: 200 })) {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let answer = behaviour;
  let port = 0;
  let server: Server;
  const listen = async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const path = req.url ?? '';
        const n = (counts.get(path) ?? 0) + 1;
        counts.set(path, n);
        received.push({ path, headers: req.headers, body });
        const a = answer(path, n);
        if (a === 'hang') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        const send = () => res.writeHead(a.status, a.headers ?? {}).end(a.status < 300 ? 'ok' : 'nope');
        if (a.delayMs) setTimeout(send, a.delayMs);
        else send();
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  };
  await listen();
  const stop = async () => {
    for (const s of sockets) s.destroy();
    hanging.clear();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    received,
    /** Requests that arrived, are not answered and whose client is still waiting. */
    hangingCount: () => hanging.size,
    setBehaviour(b: Behaviour) {
      answer = b;
    },
    /** The port refuses connections until `up()`. */
    down: stop,
    up: listen,
    close: stop,
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
