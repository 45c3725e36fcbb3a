import type { ServerOptions } from 'node:http';

// The HTTP port against slow and idle clients (slowloris) and connection floods. Node enforces the
// header and request timeouts by checking open connections every `connectionsCheckingInterval`
// (30 s by default, which let 2,000 silent connections live 90 s): here a quarter of the header
// timeout, at most 1 s. Each timeout answers 408 and closes the connection.

export interface HttpClientLimits {
  /** Whole request headers must arrive within this (also: the TLS handshake). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** Keep-alive connections idle this long are closed (above typical client idle timeouts). */
  idleTimeoutMs: number;
  /** Open connections; Node closes any more as soon as they are accepted. */
  maxConnections: number;
}

/** Options for http(s).createServer. */
export function httpServerOptions(limits: HttpClientLimits): ServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    handshakeTimeout: limits.headersTimeoutMs,
  };
}
