// The token format shared with the collector (auth/tokens.ts: one `TOKEN [tenant=NAME]` per line)
// and its constant-time matcher, imported through this one module.
export { loadTokens, TokenConfigError, type TokenEntry, type TokenSource } from '../../../auth/tokens.ts';
export { createTokenMatcher } from '../../../auth/token-match.ts';
