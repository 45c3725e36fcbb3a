import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokens, parseTokens, TokenConfigError } from '../../auth/tokens.ts';
import { createTokenMatcher } from '../../auth/token-match.ts';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('token configuration format', () => {
  it('takes any visible character in a token, with or without a tenant', () => {
    const text = [
      '# ingest tokens',
      'abc#def-0123456789xyz',
      'Zm9vYmFyYmF6cXV4cXV1eA==   tenant=team-b',
      '  a+b/c=d,e#f!@$%^&*()[]{}<>?  tenant=',
      'plain-token-0123456789 tenant=acme.prod_1',
      '',
      '   # indented comment',
    ].join('\r\n');
    expect(parseTokens(text, 'file')).toEqual({
      entries: [
        { token: 'abc#def-0123456789xyz', tenant: '' },
        { token: 'Zm9vYmFyYmF6cXV4cXV1eA==', tenant: 'team-b' },
        { token: 'a+b/c=d,e#f!@$%^&*()[]{}<>?', tenant: '' },
        { token: 'plain-token-0123456789', tenant: 'acme.prod_1' },
      ],
      problems: [],
    });
  });

  it('accepts base64 padding in a bare token: the old format cannot have meant anything else', () => {
    expect(parseTokens('c2VjcmV0LXRva2VuLWZvcg==', 'env').entries).toEqual([{ token: 'c2VjcmV0LXRva2VuLWZvcg==', tenant: '' }]);
  });

  it("refuses the old format's token=tenant and comma lists instead of guessing, and says what to write", () => {
    const { entries, problems } = parseTokens('s3cret-aaaaaaaaaaaa=team-a,s3cret-bbbbbbbbbbbb\nanother-token-0123=x', 'BURNRATE_AUTH_TOKENS');
    expect(entries).toEqual([]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^BURNRATE_AUTH_TOKENS line 1: .*"TOKEN tenant=NAME", or "TOKEN tenant=" if ',' and '=' are part of the token$/);
    expect(problems[1]).toMatch(/^BURNRATE_AUTH_TOKENS line 2:/);
  });

  it('refuses short tokens, bad tenants, unexpected words and characters a header cannot carry, without quoting the token', () => {
    const { entries, problems } = parseTokens(['short-token', 'long-enough-token-01 tenant=has space', 'long-enough-token-02 # trailing comment', 'long-enough-token-03 tenant=bad!', 'lông-enough-token-04'].join('\n'), 'file');
    expect(entries).toEqual([]);
    expect(problems).toEqual([
      'file line 1: the token has 11 characters; at least 16 are required (e.g. openssl rand -base64 24)',
      'file line 2: expected "TOKEN" or "TOKEN tenant=NAME" (comments go on a line of their own, starting with #)',
      'file line 3: expected "TOKEN" or "TOKEN tenant=NAME" (comments go on a line of their own, starting with #)',
      "file line 4: a tenant is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      'file line 5: a token is visible ASCII characters only (no spaces, no control or non-ASCII characters)',
    ]);
    for (const p of problems) expect(p).not.toMatch(/enough-token/);
  });
});

describe('loading token sources', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'burnrate-tokens-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is a start-up error when a configured source yields no token (never "authentication off")', () => {
    writeFileSync(join(dir, 'tokens'), '# nothing yet\n\n');
    expect(problemsOf(() => loadTokens([{ name: 'env', text: '#tok' }]))).toEqual(['env: is set but holds no token (only blanks or comments)']);
    expect(problemsOf(() => loadTokens([{ name: 'env', text: ', ,' }]))).toHaveLength(1);
    expect(problemsOf(() => loadTokens([{ name: 'file', path: join(dir, 'tokens') }]))).toEqual(['file: is set but holds no token (only blanks or comments)']);
    expect(problemsOf(() => loadTokens([{ name: 'file', path: join(dir, 'missing') }]))).toEqual([`file: cannot read ${join(dir, 'missing')}: ENOENT`]);
    expect(loadTokens([])).toEqual([]);
  });

  it('merges sources and refuses one token given two tenants', () => {
    writeFileSync(join(dir, 'tokens'), 'token-from-file-0001 tenant=a\nshared-token-000001 tenant=b\n');
    expect(problemsOf(() => loadTokens([{ name: 'env', text: 'shared-token-000001 tenant=c' }, { name: 'file', path: join(dir, 'tokens') }]))).toEqual([
      'the same token is configured twice, for tenants "c" and "b"',
    ]);
    expect(loadTokens([{ name: 'env', text: 'shared-token-000001 tenant=b' }, { name: 'file', path: join(dir, 'tokens') }])).toEqual([
      { token: 'shared-token-000001', tenant: 'b' },
      { token: 'token-from-file-0001', tenant: 'a' },
    ]);
  });

  it('matches a presented token exactly, whole, to its tenant', () => {
    const match = createTokenMatcher([{ token: 'abc#def-0123456789xyz', tenant: 'acme' }, { token: 'Zm9vYmFyYmF6cXV4cXV1eA==', tenant: '' }]);
    expect(match('abc#def-0123456789xyz')).toBe('acme');
    expect(match('Zm9vYmFyYmF6cXV4cXV1eA==')).toBe('');
    for (const wrong of ['abc', 'abc#def-0123456789xy', 'Zm9vYmFyYmF6cXV4cXV1eA', '']) expect(match(wrong)).toBeUndefined();
  });
});
