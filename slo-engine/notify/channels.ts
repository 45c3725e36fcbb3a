// Notification channels resolved from SLO targets and the environment. A channel's id names its
// type and environment variable (e.g. "slack:SLACK_WEBHOOK_URL"): safe to log and store.
import type { ChannelType, Severity, Slo, TargetSpec } from '../model.ts';
import type { AlertKind } from '../alerts/state-machine.ts';
import { DEFAULT_ENV, DEFAULT_WEBHOOK_SECRET_ENV, notifyEnvProblem } from '../spec/notify-env.ts';
import type { AlertNotice } from './notice.ts';
import { buildSlackPayload } from './slack.ts';
import { buildAlertmanagerPayload, signBody, SIGNATURE_HEADER } from './alertmanager.ts';
import { buildPagerDutyEvent, PAGERDUTY_EVENTS_URL } from './pagerduty.ts';
import { postOnce, type AttemptOptions, type AttemptResult } from './send.ts';

export interface Channel {
  id: string;
  type: ChannelType;
  /** One delivery attempt (the deliverer retries). */
  send(notice: AlertNotice, options?: AttemptOptions): Promise<AttemptResult>;
}

export interface ChannelEnv {
  [name: string]: string | undefined;
  /** Overrides the PagerDuty Events API URL (tests, proxies). */
  PAGERDUTY_EVENTS_URL?: string;
}

function channel(target: TargetSpec, env: ChannelEnv): Channel | string {
  const secret = env[target.env];
  if (!secret) return `${target.type}: environment variable ${target.env} is not set`;
  const id = `${target.type}:${target.env}`;
  switch (target.type) {
    case 'slack':
      return { id, type: 'slack', send: (n, o) => postOnce(secret, JSON.stringify(buildSlackPayload(n)), {}, o) };
    case 'webhook': {
      const key = env[target.secretEnv ?? DEFAULT_WEBHOOK_SECRET_ENV];
      return {
        id,
        type: 'webhook',
        send: (n, o) => {
          const body = JSON.stringify(buildAlertmanagerPayload(n));
          return postOnce(secret, body, key ? { [SIGNATURE_HEADER]: signBody(body, key) } : {}, o);
        },
      };
    }
    case 'pagerduty':
      return { id, type: 'pagerduty', send: (n, o) => postOnce(env.PAGERDUTY_EVENTS_URL || PAGERDUTY_EVENTS_URL, JSON.stringify(buildPagerDutyEvent(n, secret)), {}, o) };
  }
}

export interface Router {
  /** Channels for one SLO and alert kind (no-data goes where its configured severity goes). */
  channelsFor(slo: Slo, kind: AlertKind): Channel[];
  /** A channel by id (a stored notification names its channel), if this engine has it. */
  channel(id: string): Channel | undefined;
  /** Ids of every channel in use. */
  ids(): string[];
}

/**
 * Targets per SLO and severity, resolved against the environment. SLOs without `notify` use every
 * channel whose default variable is set (SLACK_WEBHOOK_URL, WEBHOOK_URL, PAGERDUTY_ROUTING_KEY).
 * A target named explicitly whose variable is missing is a configuration problem.
 */
export function buildRouter(slos: readonly Slo[], env: ChannelEnv): { router: Router; problems: string[] } {
  const problems: string[] = [];
  const channels = new Map<string, Channel>();
  const resolve = (t: TargetSpec, where: string): Channel | undefined => {
    // The loader already refuses other variables; checked again here so no path around it reads them.
    const refused = notifyEnvProblem(t.env, t.type, 'env') ?? (t.secretEnv === undefined ? undefined : notifyEnvProblem(t.secretEnv, t.type, 'secretEnv'));
    if (refused) {
      problems.push(`${where}: ${refused}`);
      return undefined;
    }
    const id = `${t.type}:${t.env}`;
    const known = channels.get(id);
    if (known) return known;
    const c = channel(t, env);
    if (typeof c === 'string') {
      problems.push(`${where}: ${c}`);
      return undefined;
    }
    channels.set(id, c);
    return c;
  };
  const defaults: Channel[] = [];
  for (const type of ['slack', 'webhook', 'pagerduty'] as const) {
    if (env[DEFAULT_ENV[type]]) defaults.push(resolve({ type, env: DEFAULT_ENV[type], ...(type === 'webhook' ? { secretEnv: DEFAULT_WEBHOOK_SECRET_ENV } : {}) }, 'environment')!);
  }
  const routes = new Map<string, Partial<Record<Severity, Channel[]>>>();
  for (const slo of slos) {
    const perSeverity: Partial<Record<Severity, Channel[]>> = {};
    for (const severity of ['page', 'ticket'] as const) {
      const targets = slo.notify[severity];
      if (targets) perSeverity[severity] = targets.flatMap((t) => resolve(t, `${slo.source.file}: SLO ${JSON.stringify(slo.id)} alerting.notify.${severity}`) ?? []);
    }
    routes.set(slo.id, perSeverity);
  }
  return {
    problems,
    router: {
      channelsFor(slo, kind) {
        const severity = kind === 'no-data' ? slo.noData.severity : kind;
        return routes.get(slo.id)?.[severity] ?? defaults;
      },
      channel: (id) => channels.get(id),
      ids: () => [...channels.keys()],
    },
  };
}
