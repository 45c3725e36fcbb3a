import net from 'node:net';
import type * as grpc from '@grpc/grpc-js';

// The gRPC port's TCP listener, ours rather than grpc-js's, which has neither a connection cap nor a
// timeout for connections that never speak: at most `maxConnections` are open (Node closes any more
// at once), and a connection that has not sent the 24-byte HTTP/2 preface `headersTimeoutMs` after
// connecting is closed. Connections are then handed to grpc-js (a connection injector), which closes
// those without calls for `grpc.max_connection_idle_ms`. (With TLS the bytes counted include the
// handshake; a stalled handshake is bounded by Node's TLS handshake timeout, 120 s.)

const HTTP2_PREFACE_BYTES = 24;

export interface GrpcListenOptions {
  host: string;
  port: number;
  credentials: grpc.ServerCredentials;
  maxConnections: number;
  headersTimeoutMs: number;
}

export interface GrpcListener {
  port: number;
  /**
   * Stops accepting and closes connections still waiting for their preface; resolves once every
   * connection is closed (grpc-js closes the ones it was handed: call its shutdown meanwhile).
   */
  close(): Promise<void>;
}

export async function listenGrpc(server: grpc.Server, options: GrpcListenOptions): Promise<GrpcListener> {
  const injector = server.createConnectionInjector(options.credentials);
  const waiting = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    waiting.add(socket);
    const timer = setTimeout(() => {
      waiting.delete(socket);
      if (socket.bytesRead < HTTP2_PREFACE_BYTES) socket.destroy();
    }, options.headersTimeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      waiting.delete(socket);
    });
    injector.injectConnection(socket);
  });
  tcp.maxConnections = options.maxConnections;
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(options.port, options.host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  return {
    port: (tcp.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        for (const socket of waiting) socket.destroy();
      }),
  };
}
