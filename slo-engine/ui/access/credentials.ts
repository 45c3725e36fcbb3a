// A browser session made from a token, and reading a token from request headers.
//
// A session cookie is `<expires>.<mac>` with mac = HMAC-SHA256(key = SHA-256 of the token,
// "burnrate-session:<expires>"): it carries neither the token nor the tenant; verifying it tries
// every configured token's digest with timingSafeEqual and no early exit (as the token matcher in
// auth/token-match.ts does), it survives an engine restart, and removing a token from the
// configuration ends its sessions.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { TokenEntry } from './tokens.ts';

export interface TokenKey {
  digest: Buffer;
  tenant: string;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export const tokenKeys = (tokens: readonly TokenEntry[]): TokenKey[] => tokens.map((t) => ({ digest: sha256(t.token), tenant: t.tenant }));

const mac = (key: Buffer, expires: number) => createHmac('sha256', key).update(`burnrate-session:${expires}`).digest();

/** A session cookie value for a (checked) token, valid until `expires` (epoch seconds). */
export function createSession(token: string, expires: number): string {
  return `${expires}.${mac(sha256(token), expires).toString('base64url')}`;
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

/** The token of `Authorization: Bearer X` or `X-API-Key: X`: the headers the collector reads (collector/auth.ts). */
export function presentedToken(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const key = apiKey?.trim();
  return key ? key : undefined;
}
