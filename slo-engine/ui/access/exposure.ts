// Who can reach the engine's HTTP server (UI, API, /metrics): loopback by default; bound anywhere
// else it must have tokens, or it refuses to start (the command reports this with its other
// settings' problems, see slo-engine/config.ts).
import { isIP } from 'node:net';
import { SLO_ENGINE_SETTINGS } from '../../config.ts';

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Why listening on `host` with `tokenCount` tokens must not start (empty when it may). */
export function exposureProblems(host: string, tokenCount: number): string[] {
  if (tokenCount > 0 || isLoopback(host)) return [];
  const name = (k: 'host' | 'authTokens' | 'authTokensFile') => `--${SLO_ENGINE_SETTINGS[k].flag} / ${SLO_ENGINE_SETTINGS[k].env}`;
  return [
    `${name('host')}: "${host}" is reachable from other machines, so the UI, the API and /metrics need tokens: ` +
      `set ${name('authTokens')} or ${name('authTokensFile')} (one "TOKEN [tenant=NAME]" per line), or listen on 127.0.0.1`,
  ];
}
