import { createTokenMatcher } from '../auth/token-match.ts';
import type { TokenEntry } from '../auth/tokens.ts';
import { GRPC } from './otlp-responses.ts';
import { HttpError } from './http/http-error.ts';

// Optional ingest authentication with static tokens (format: auth/tokens.ts). A token is sent as
// `Authorization: Bearer X` or `X-API-Key: X` (gRPC: the same metadata keys) and may carry a
// tenant, stored in the `tenant` column of every row it sends. No token, digest or header value
// ever goes into an error or a log line.

export type Authenticate = (authorization: string | undefined, apiKey: string | undefined) => string;

function presentedToken(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const key = apiKey?.trim();
  return key ? key : undefined;
}

/** An `authenticate` hook for the receivers, or undefined when no token is configured. */
export function createAuthenticator(tokens: readonly TokenEntry[]): Authenticate | undefined {
  if (tokens.length === 0) return undefined;
  const match = createTokenMatcher(tokens);
  return function authenticate(authorization, apiKey) {
    const token = presentedToken(authorization, apiKey);
    if (token === undefined) throw new HttpError(401, GRPC.UNAUTHENTICATED, 'missing credentials: send Authorization: Bearer <token> or X-API-Key');
    const tenant = match(token);
    if (tenant === undefined) throw new HttpError(401, GRPC.UNAUTHENTICATED, 'invalid credentials');
    return tenant;
  };
}
