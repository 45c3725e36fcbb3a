import { createHash, timingSafeEqual } from 'node:crypto';
import type { TokenEntry } from './tokens.ts';

// Tokens are kept only as SHA-256 digests and compared with timingSafeEqual over those fixed-length
// digests, against every configured token (no early exit), so timing reveals neither a prefix nor
// which entry matched.

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** A lookup from a presented token to its tenant ('' for none), or undefined when it matches none. */
export function createTokenMatcher(entries: readonly TokenEntry[]): (presented: string) => string | undefined {
  const digests = entries.map((e) => ({ digest: digest(e.token), tenant: e.tenant }));
  return function match(presented) {
    const candidate = digest(presented);
    let tenant: string | undefined;
    for (const entry of digests) {
      if (timingSafeEqual(entry.digest, candidate) && tenant === undefined) tenant = entry.tenant;
    }
    return tenant;
  };
}
