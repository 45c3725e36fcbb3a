// `burnrate status` as text, rendered from the same view as the JSON API (views.ts). Pure.
import type { SloView } from './views.ts';
import { formatDuration, formatHuman } from './math/duration.ts';
import { burn, percent } from './notify/notice.ts';

const time = (isoText: string) => isoText.replace('.000Z', 'Z');

export function statusLines(v: SloView): string[] {
  const period = typeof v.period === 'string' ? v.period : `calendar ${v.period.calendar} ${v.period.timeZone}`;
  const lines = [`${v.id} (${v.service}${v.tenant ? `, tenant ${v.tenant}` : ''}): ${v.objective}% over ${period}`];
  if (v.error !== null) lines.push(`  error: ${v.error}`);
  if (v.windowEnd !== null) {
    const tte = v.timeToExhaustionSeconds === null ? '-' : formatHuman(v.timeToExhaustionSeconds);
    lines.push(`  as of ${time(v.windowEnd)}: SLI ${percent(v.sli)}  budget remaining ${percent(v.budgetRemaining, 2)}  time to exhaustion ${tte}${v.noData ? '  (no data)' : ''}`);
    const d = v.periodData!;
    if (d.budgetConsumedOfPeriod !== null) {
      lines.push(`  period: data for ${formatDuration(d.seconds)} of ${formatDuration(d.periodSeconds)} (${percent(d.fraction, 2)}); ${percent(d.budgetConsumedOfPeriod, 2)} of the whole period's budget consumed`);
    }
    lines.push(`  burn rate: ${v.windows.map((w) => `${w.window} ${burn(w.burnRate)}`).join('  ')}`);
    for (const t of v.tiers) {
      lines.push(`  ${t.severity.padEnd(6)} ${`${t.long}/${t.short}`.padEnd(8)} > ${t.factor}x: long ${burn(t.burnLong)}, short ${burn(t.burnShort)}  ${t.condition}${t.inhibited ? ` (${t.inhibited})` : ''}`);
    }
  }
  lines.push(`  alerts: ${v.alerts.length ? v.alerts.map((a) => `${a.kind} ${a.status}${a.status === 'firing' && a.since ? ` since ${time(a.since)}` : ''}`).join(', ') : '-'}`);
  if (v.lastEvaluation === null) lines.push('  engine: no evaluation recorded in the day before (not running?)');
  else if (v.stale) lines.push(`  engine: last evaluation ${time(v.lastEvaluation)}: stale (${v.staleReason}); its alerts are frozen until it evaluates again`);
  else lines.push(`  engine: last evaluation ${time(v.lastEvaluation)}`);
  for (const n of v.notifications) {
    const detail = n.status === 'pending' ? `pending, ${n.attempts} attempt(s)${n.error ? `, last: ${n.error}` : ''}, next ${time(n.nextAttempt!)}` : `${n.status} after ${n.attempts} attempt(s)${n.error && n.status !== 'sent' ? `: ${n.error}` : ''}`;
    lines.push(`  notification: ${n.kind} ${n.event} at ${time(n.transitionAt)} via ${n.channel}: ${detail}`);
  }
  for (const w of v.warnings) lines.push(`  warning: ${w}`);
  return lines;
}
