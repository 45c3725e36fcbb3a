// Every setting of `burnrate slo-engine`, once: its default (the zod schema), flag and environment
// variable (SLO_ENGINE_SETTINGS). Same pattern as collector/config.ts: zod reports every problem at once.
// The HTTP server (web UI, API, /metrics) listens on loopback by default; bound anywhere else it
// needs tokens (ui/access/exposure.ts), which the command checks with the rest.
import { z } from 'zod';
import { parseDuration } from './math/duration.ts';
import { parseShard, WHOLE } from './shard.ts';

const duration = (what: string, min = 1) =>
  z.string().transform((s, ctx) => {
    const seconds = parseDuration(s);
    if (seconds === undefined || seconds < min) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a ${what} duration of at least ${min}s (such as 30s, 1m, 24h)` });
      return z.NEVER;
    }
    return seconds;
  });

export const DEFAULT_INTERVAL_SECONDS = 30;

export const sloEngineConfigSchema = z.object({
  slos: z.string({ error: 'a YAML file or a directory of SLO files is required' }).min(1, 'a YAML file or a directory of SLO files is required'),
  /** Seconds between ticks. */
  interval: duration('tick interval').default(DEFAULT_INTERVAL_SECONDS),
  /** Address of the web UI, the API and /metrics. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65_535).default(9464),
  /** `TOKEN [tenant=NAME]` entries, one per line (auth/tokens.ts, the collector's format; secret). */
  authTokens: z.string().default(''),
  authTokensFile: z.string().default(''),
  migrate: z.boolean().default(false),
  /** Seconds between delivery polls (a tick also starts one). */
  deliveryInterval: duration('delivery interval').default(5),
  /** Age limit of a notification, from its transition: then it is marked expired. */
  notificationMaxAge: duration('notification age limit', 60).default(86_400),
  /** Per-attempt timeout of a notification, in seconds. */
  notificationTimeout: duration('notification timeout').default(10),
  /** How long a replica's claim on a delivery attempt holds (see notify/claims.ts). */
  notificationLease: duration('notification lease', 2).default(120),
  /** Which SLOs this instance evaluates: those whose id hashes to `index` of `count` shards (see shard.ts). */
  shard: z
    .string()
    .transform((s, ctx) => {
      const shard = parseShard(s);
      if (typeof shard === 'string') {
        ctx.addIssue({ code: 'custom', message: shard });
        return z.NEVER;
      }
      return shard;
    })
    .default(WHOLE),
}).refine((c) => c.notificationLease > c.notificationTimeout + 1, {
  path: ['notificationLease'],
  message: 'must be longer than the notification timeout plus 1s: a claim must outlive the attempt it covers',
});

export type SloEngineConfig = z.infer<typeof sloEngineConfigSchema>;

export const SLO_ENGINE_SETTINGS: Record<keyof SloEngineConfig, { flag: string; env: string; help: string }> = {
  slos: { flag: 'slos', env: 'BURNRATE_SLOS', help: 'SLO file or directory (required)' },
  interval: { flag: 'interval', env: 'BURNRATE_SLO_INTERVAL', help: 'time between evaluations (default 30s)' },
  host: { flag: 'host', env: 'BURNRATE_SLO_HOST', help: 'address of the web UI, the API and /metrics (default 127.0.0.1; any other needs tokens)' },
  port: { flag: 'port', env: 'BURNRATE_SLO_PORT', help: 'port of the web UI, /api/slos, /metrics, /healthz, /readyz (default 9464)' },
  authTokens: { flag: 'auth-tokens', env: 'BURNRATE_AUTH_TOKENS', help: 'require a token: "TOKEN [tenant=NAME]" per line, 16+ chars (a tenant token sees only its SLOs); also declares the tenants' },
  authTokensFile: { flag: 'auth-tokens-file', env: 'BURNRATE_AUTH_TOKENS_FILE', help: 'file of "TOKEN [tenant=NAME]" lines; # starts a comment line' },
  migrate: { flag: 'migrate', env: 'BURNRATE_MIGRATE', help: 'run migrations at start' },
  deliveryInterval: { flag: 'delivery-interval', env: 'BURNRATE_DELIVERY_INTERVAL', help: 'time between notification delivery polls (default 5s)' },
  notificationMaxAge: { flag: 'notification-max-age', env: 'BURNRATE_NOTIFICATION_MAX_AGE', help: 'give up delivering a notification this long after its transition (default 24h)' },
  notificationTimeout: { flag: 'notification-timeout', env: 'BURNRATE_NOTIFICATION_TIMEOUT', help: 'timeout of one delivery attempt (default 10s)' },
  notificationLease: { flag: 'notification-lease', env: 'BURNRATE_NOTIFICATION_LEASE', help: 'how long a claim on a delivery attempt holds; a replica that died holding one delays that notification this long (default 120s)' },
  shard: { flag: 'shard', env: 'BURNRATE_SLO_SHARD', help: 'i/n: evaluate only the SLOs whose id hashes to shard i of n (default 0/1: all); run replicas of a shard with the same i/n' },
};
