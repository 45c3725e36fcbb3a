// Which environment variables an SLO file may name as a channel's URL, key or secret. SLO files are
// often written by service teams, while the engine's environment also holds ClickHouse passwords and
// ingest tokens: a file that could name any variable could send those to a URL of its choosing (as a
// PagerDuty routing key, a webhook URL...). So a file may only name variables that were put there for
// notifications: names starting with NOTIFY_ENV_PREFIX, or the channel type's own default variable.
import type { ChannelType } from '../model.ts';

export const NOTIFY_ENV_PREFIX = 'BURNRATE_NOTIFY_';

/** The variable each channel type reads when an SLO does not name one (the engine's own setup). */
export const DEFAULT_ENV: Record<ChannelType, string> = { slack: 'SLACK_WEBHOOK_URL', webhook: 'WEBHOOK_URL', pagerduty: 'PAGERDUTY_ROUTING_KEY' };
export const DEFAULT_WEBHOOK_SECRET_ENV = 'WEBHOOK_SECRET';

/** Why `name` may not be read for this channel setting, or undefined when it may. */
export function notifyEnvProblem(name: string, type: ChannelType, setting: 'env' | 'secretEnv'): string | undefined {
  if (name.startsWith(NOTIFY_ENV_PREFIX) && name.length > NOTIFY_ENV_PREFIX.length) return undefined;
  const own = setting === 'env' ? DEFAULT_ENV[type] : DEFAULT_WEBHOOK_SECRET_ENV;
  if (name === own) return undefined;
  return `environment variable ${name} may not be read from an SLO file: name a variable starting with ${NOTIFY_ENV_PREFIX} (or ${own}, the ${type} default)`;
}
