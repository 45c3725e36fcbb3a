// Where the engine's HTTP server (UI, API, /metrics) listens and who may use it: every setting
// once, with its default, flag and environment variable. Loopback by default; bound anywhere else
// it must have tokens, or it refuses to start (the command parses and reports, as for the collector).
import { isIP } from 'node:net';
import { z } from 'zod';

export const httpConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65_535).default(9464),
  /** `TOKEN [tenant=NAME]` entries, one per line (auth/tokens.ts; secret: prefer the env variable or the file). */
  authTokens: z.string().default(''),
  authTokensFile: z.string().default(''),
});

export type HttpConfig = z.infer<typeof httpConfigSchema>;

export const HTTP_SETTINGS: Record<keyof HttpConfig, { flag: string; env: string; help: string }> = {
  host: { flag: 'host', env: 'BURNRATE_SLO_ENGINE_HOST', help: 'address of the UI, API and /metrics (default 127.0.0.1; any other needs tokens)' },
  port: { flag: 'port', env: 'BURNRATE_SLO_ENGINE_PORT', help: 'port of the UI, API and /metrics (default 9464)' },
  authTokens: { flag: 'auth-tokens', env: 'BURNRATE_AUTH_TOKENS', help: 'require a token: "TOKEN [tenant=NAME]" per line, 16+ chars (a tenant token sees only its SLOs)' },
  authTokensFile: { flag: 'auth-tokens-file', env: 'BURNRATE_AUTH_TOKENS_FILE', help: 'file of "TOKEN [tenant=NAME]" lines; # starts a comment line' },
};

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Why this configuration must not start (empty when it may): bound beyond loopback without tokens. */
export function accessProblems(config: HttpConfig, tokenCount: number): string[] {
  if (tokenCount > 0 || isLoopback(config.host)) return [];
  const name = (k: keyof HttpConfig) => `--${HTTP_SETTINGS[k].flag} / ${HTTP_SETTINGS[k].env}`;
  return [
    `${name('host')}: "${config.host}" is reachable from other machines, so the UI, the API and /metrics need tokens: ` +
      `set ${name('authTokens')} or ${name('authTokensFile')} (one "TOKEN [tenant=NAME]" per line), or listen on 127.0.0.1`,
  ];
}
