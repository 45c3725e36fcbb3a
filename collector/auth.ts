import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GRPC } from './otlp-responses.ts';
import { HttpError } from './http/http-error.ts';

// Optional ingest authentication with static tokens. A token is sent as `Authorization: Bearer X`
// or `X-API-Key: X` (gRPC: the same metadata keys) and may carry a tenant, stored in the `tenant`
// column of every row it sends.
//
// Tokens are kept only as SHA-256 digests and compared with timingSafeEqual over those fixed-length
// digests, against every configured token (no early exit), so timing reveals neither a prefix nor
// which entry matched. No token, digest or header value ever goes into an error or a log line.

export type Authenticate = (authorization: string | undefined, apiKey: string | undefined) => string;

interface TokenEntry {
  digest: Buffer;
  tenant: string;
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Parses `token1=tenantA,token2` (commas or newlines; `#` comments; blank entries ignored). */
export function parseTokenList(text: string): { token: string; tenant: string }[] {
  const entries: { token: string; tenant: string }[] = [];
  for (const line of text.split('\n')) {
    const content = line.replace(/#.*$/, '');
    for (const item of content.split(',')) {
      const trimmed = item.trim();
      if (trimmed === '') continue;
      const eq = trimmed.indexOf('=');
      const token = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim();
      const tenant = eq < 0 ? '' : trimmed.slice(eq + 1).trim();
      if (token !== '') entries.push({ token, tenant });
    }
  }
  return entries;
}

/** The configured tokens: the inline list plus the file's; none means authentication is off. */
export function loadTokens(config: { authTokens: string; authTokensFile: string }): { token: string; tenant: string }[] {
  const fromFile = config.authTokensFile ? parseTokenList(readFileSync(config.authTokensFile, 'utf8')) : [];
  return [...parseTokenList(config.authTokens), ...fromFile];
}

function presentedToken(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const key = apiKey?.trim();
  return key ? key : undefined;
}

/** An `authenticate` hook for the receivers, or undefined when no token is configured. */
export function createAuthenticator(tokens: { token: string; tenant: string }[]): Authenticate | undefined {
  if (tokens.length === 0) return undefined;
  const entries: TokenEntry[] = tokens.map((t) => ({ digest: digest(t.token), tenant: t.tenant }));
  return function authenticate(authorization, apiKey) {
    const token = presentedToken(authorization, apiKey);
    if (token === undefined) throw new HttpError(401, GRPC.UNAUTHENTICATED, 'missing credentials: send Authorization: Bearer <token> or X-API-Key');
    const presented = digest(token);
    let tenant: string | undefined;
    for (const entry of entries) {
      if (timingSafeEqual(entry.digest, presented) && tenant === undefined) tenant = entry.tenant;
    }
    if (tenant === undefined) throw new HttpError(401, GRPC.UNAUTHENTICATED, 'invalid credentials');
    return tenant;
  };
}
