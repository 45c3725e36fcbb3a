// The token list format shared with the collector (`token1=tenantA,token2`, a file of such lines).
// Imported through this one module so moving the parser (to auth/tokens.ts) is a one-line change.
export { loadTokens, parseTokenList } from '../../../collector/auth.ts';
