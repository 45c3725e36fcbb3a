import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy that forwards client → upstream at most `bytesPerSecond` per connection (a slow
 * ClickHouse, seen from the collector); upstream → client is passed through. `setRate` changes
 * the rate of every connection at once.
 */
export async function startThrottleProxy(upstreamPort: number, bytesPerSecond: number) {
  let rate = bytesPerSecond;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      client.pause();
      const send = async () => {
        // Slices of at most a tenth of a second's worth, each followed by its share of the time.
        for (let offset = 0; offset < chunk.length; ) {
          const slice = chunk.subarray(offset, offset + Math.max(1, Math.floor(rate / 10)));
          offset += slice.length;
          if (upstream.destroyed) return;
          upstream.write(slice);
          await new Promise((r) => setTimeout(r, (slice.length / rate) * 1000));
        }
        client.resume();
      };
      void send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    setRate(bytes: number) {
      rate = bytes;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
