// Slack incoming webhook payload (Block Kit). Pure: notice in, JSON out.
import type { AlertNotice } from './notice.ts';
import { burn, percent } from './notice.ts';
import { formatHuman } from '../math/duration.ts';

/** Slack mrkdwn control characters in user text (SLO names are user input). */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (s: string, max: number) => (s.length > max ? s.slice(0, max - 1) + '…' : s);
const iso = (s: number) => new Date(s * 1000).toISOString();

export interface SlackPayload {
  text: string;
  blocks: object[];
}

export function title(n: AlertNotice): string {
  const what = n.kind === 'no-data' ? `${n.repeat ? 'still ' : ''}has no data` : `is ${n.repeat ? 'still ' : ''}burning its error budget`;
  return n.status === 'firing' ? `[${n.kind.toUpperCase()}] ${n.sloName} (${n.service}) ${what}` : `[RESOLVED ${n.kind.toUpperCase()}] ${n.sloName} (${n.service})`;
}

export function buildSlackPayload(n: AlertNotice): SlackPayload {
  const firing = n.status === 'firing';
  const field = (label: string, value: string) => ({ type: 'mrkdwn', text: cut(`*${label}*\n${value}`, 2000) });
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`${firing ? '🔥' : '✅'} ${title(n)}`, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        field('SLO', `${esc(n.sloName)} (\`${esc(n.sloId)}\`)`),
        field('Service', esc(n.service)),
        field('Severity', n.kind),
        field('Objective', `${n.objective}%`),
        field('Budget remaining', percent(n.budgetRemaining, 2)),
        field('Time to exhaustion', n.timeToExhaustion === null ? 'not burning' : formatHuman(n.timeToExhaustion)),
      ],
    },
  ];
  if (n.tiers.length) {
    const lines = n.tiers.map(
      (t) => `${t.burning ? '🔥' : '•'} \`${t.windows}\` threshold ${t.factor}x: long ${burn(t.burnLong)}, short ${burn(t.burnShort)}`,
    );
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(`*Burn rate per window*\n${lines.join('\n')}`, 3000) } });
  }
  const context = firing ? `Started ${iso(n.startsAt)}` : `Started ${iso(n.startsAt)}, resolved ${iso(n.at)}`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: cut(n.description ? `${context} · ${esc(n.description)}` : context, 3000) }] });
  if (n.dashboardUrl) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open dashboard' }, url: n.dashboardUrl }] });
  }
  const budget = firing && n.kind !== 'no-data' ? ` — budget remaining ${percent(n.budgetRemaining, 2)}` : '';
  return { text: cut(title(n) + budget, 3000), blocks };
}
