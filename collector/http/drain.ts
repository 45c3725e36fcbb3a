import type { Server, ServerResponse } from 'node:http';

/**
 * Graceful close for a keep-alive HTTP server. `server.close()` alone stops listening and drops idle
 * connections, but a connection that is busy at that moment stays open after its answer (for the
 * keep-alive timeout) and keeps accepting requests. So every response still to be written, and any
 * that starts while draining, carries `Connection: close`, and Node ends its socket once it is sent.
 */
export function trackForDrain(server: Server): { close(): Promise<void> } {
  const pending = new Set<ServerResponse>();
  let draining = false;
  // First in line, so the header is set before a handler that answers synchronously writes it.
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (draining) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      return;
    }
    pending.add(res);
    res.once('close', () => pending.delete(res));
  });
  return {
    close() {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of pending) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      return closed;
    },
  };
}
