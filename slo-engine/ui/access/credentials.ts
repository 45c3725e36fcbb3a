// Checking a presented token, and the browser session made from one.
//
// Tokens are kept as SHA-256 digests and compared with timingSafeEqual against every configured
// token (no early exit), as the collector does, so timing reveals neither a prefix nor which entry
// matched. A session cookie is `<expires>.<mac>` with mac = HMAC-SHA256(key = the token's digest,
// "burnrate-session:<expires>"): it carries neither the token nor the tenant, verifying it tries
// every token the same way, it survives an engine restart, and removing a token from the
// configuration ends its sessions.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenKey {
  digest: Buffer;
  tenant: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export const tokenKeys = (tokens: readonly { token: string; tenant: string }[]): TokenKey[] => tokens.map((t) => ({ digest: sha256(t.token), tenant: t.tenant }));

/** The configured token this is, or undefined when it is none of them. */
export function matchToken(token: string, keys: readonly TokenKey[]): TokenKey | undefined {
  const presented = sha256(token);
  let match: TokenKey | undefined;
  for (const k of keys) if (timingSafeEqual(k.digest, presented) && match === undefined) match = k;
  return match;
}

const mac = (key: Buffer, expires: number) => createHmac('sha256', key).update(`burnrate-session:${expires}`).digest();

/** A session cookie value for the token with this key, valid until `expires` (epoch seconds). */
export function createSession(key: TokenKey, expires: number): string {
  return `${expires}.${mac(key.digest, expires).toString('base64url')}`;
}

/** The tenant of a valid, unexpired session, else undefined. */
export function verifySession(value: string, keys: readonly TokenKey[], now: number): string | undefined {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return undefined;
  const expires = Number(m[1]);
  if (expires <= now) return undefined;
  const presented = Buffer.from(m[2]!, 'base64url');
  let tenant: string | undefined;
  for (const k of keys) if (timingSafeEqual(mac(k.digest, expires), presented) && tenant === undefined) tenant = k.tenant;
  return tenant;
}

/** The token of `Authorization: Bearer X` or `X-API-Key: X` (the collector's headers). */
export function presentedToken(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const key = apiKey?.trim();
  return key ? key : undefined;
}
