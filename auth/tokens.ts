import { readFileSync } from 'node:fs';

// Static API tokens, each optionally bound to a tenant: the one configuration format for every
// service that takes tokens (the collector's ingest, the SLO engine's API). One entry per line:
//
//   # a comment: the line's first non-blank character is '#'
//   TOKEN
//   TOKEN tenant=NAME
//
// TOKEN is whatever an operator's generator printed: at least MIN_TOKEN_LENGTH visible ASCII
// characters, any of them (`#`, `=`, `,`, `+`, `/`...), up to the first blank; it cannot begin with
// '#'. Only whitespace separates things, and whitespace cannot be part of a token (it could not
// travel in an `Authorization: Bearer` header either), so no token can be cut or misread.
//
// The format before this one read `A=B` as token A of tenant B and split entries at commas. Lines
// of that kind are refused with a hint instead of being read either way: a bare token may contain
// '=' only as trailing padding (base64) and no ',', unless the line says `tenant=` explicitly
// (`TOKEN tenant=` for none). Everything else an old file contains means the same in both.
//
// No message here ever quotes a token: problems name the source and the line.

export const MIN_TOKEN_LENGTH = 16;
export const MAX_TOKEN_LENGTH = 4096;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** '=' anywhere but trailing padding, or ',': the old `token=tenant,token` reading would differ. */
const OLD_FORMAT_LOOKALIKE = /,|=[^=]/;

export interface TokenEntry {
  token: string;
  /** '' when the token has no tenant. */
  tenant: string;
}

export interface TokenSource {
  /** How the operator set it, for messages: e.g. `--auth-tokens / BURNRATE_AUTH_TOKENS`. */
  name: string;
  /** Inline text, or... */
  text?: string;
  /** ...a file to read. */
  path?: string;
}

/** Every problem found, in human words, so a start-up error can list them all. */
export class TokenConfigError extends Error {
  override name = 'TokenConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** Parses one source's text; problems are reported per line, without the token. */
export function parseTokens(text: string, source: string): { entries: TokenEntry[]; problems: string[] } {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source} line ${i + 1}`;
    const [token, ...rest] = line.split(/\s+/) as [string, ...string[]];
    let tenant = '';
    if (rest.length > 1 || (rest.length === 1 && !rest[0]!.startsWith('tenant='))) {
      problems.push(`${where}: expected "TOKEN" or "TOKEN tenant=NAME" (comments go on a line of their own, starting with #)`);
      return;
    }
    if (rest.length === 1) {
      tenant = rest[0]!.slice('tenant='.length);
      if (tenant !== '' && !TENANT.test(tenant)) {
        problems.push(`${where}: a tenant is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
        return;
      }
    } else if (OLD_FORMAT_LOOKALIKE.test(token)) {
      problems.push(
        `${where}: the entry contains ',' or '=' and would have meant "token=tenant,token" in the old format; ` +
          `write one entry per line as "TOKEN tenant=NAME", or "TOKEN tenant=" if ',' and '=' are part of the token`,
      );
      return;
    }
    if (!VISIBLE_ASCII.test(token)) problems.push(`${where}: a token is visible ASCII characters only (no spaces, no control or non-ASCII characters)`);
    else if (token.length < MIN_TOKEN_LENGTH) problems.push(`${where}: the token has ${token.length} characters; at least ${MIN_TOKEN_LENGTH} are required (e.g. openssl rand -base64 24)`);
    else if (token.length > MAX_TOKEN_LENGTH) problems.push(`${where}: the token is longer than ${MAX_TOKEN_LENGTH} characters`);
    else entries.push({ token, tenant });
  });
  return { entries, problems };
}

/**
 * Reads every configured source. A source that is set but yields no token is a problem, never
 * "authentication off"; so is the same token given twice with different tenants.
 * No source configured: no tokens (the caller decides whether that means "off").
 */
export function loadTokens(sources: readonly TokenSource[]): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  for (const source of sources) {
    let text = source.text;
    if (source.path !== undefined) {
      try {
        text = readFileSync(source.path, 'utf8');
      } catch (err) {
        problems.push(`${source.name}: cannot read ${source.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        continue;
      }
    }
    const parsed = parseTokens(text ?? '', source.name);
    problems.push(...parsed.problems);
    if (parsed.entries.length === 0 && parsed.problems.length === 0) problems.push(`${source.name}: is set but holds no token (only blanks or comments)`);
    entries.push(...parsed.entries);
  }
  const tenants = new Map<string, string>();
  for (const { token, tenant } of entries) {
    const seen = tenants.get(token);
    if (seen !== undefined && seen !== tenant) problems.push(`the same token is configured twice, for tenants "${seen}" and "${tenant}"`);
    tenants.set(token, tenant);
  }
  if (problems.length > 0) throw new TokenConfigError(problems);
  return [...tenants].map(([token, tenant]) => ({ token, tenant }));
}
