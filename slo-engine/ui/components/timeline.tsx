// The alert timeline: one lane per alert kind, red while firing, maintenance shaded, drawn as SVG
// on the server over the same range as the charts.
import type { AlertTimeline } from '../data/alert-timeline.ts';
import type { MaintenanceWindow } from '../../model.ts';
import { utcText } from './format.ts';

const WIDTH = 1000;

export function TimelineLanes({ timeline, from, to, maintenance }: { timeline: AlertTimeline; from: number; to: number; maintenance: readonly MaintenanceWindow[] }) {
  if (timeline.lanes.length === 0) return <p class="empty">No evaluations in this range.</p>;
  const x = (t: number) => ((Math.min(Math.max(t, from), to) - from) / (to - from)) * WIDTH;
  const w = (a: number, b: number) => Math.max(1, x(b) - x(a)).toFixed(1);
  return (
    <div class="timeline" data-testid="alert-timeline">
      {timeline.lanes.map((lane) => (
        <div class="lane-row" data-kind={lane.kind}>
          <span class="lane-label">{lane.kind}</span>
          <svg viewBox={`0 0 ${WIDTH} 16`} preserveAspectRatio="none" role="img" aria-label={`${lane.kind} alert over time`}>
            <rect class="lane" x="0" y="0" width={WIDTH} height="16" />
            {lane.segments.map((s) => (
              <rect class={s.firing ? 'seg firing' : 'seg ok'} x={x(s.from).toFixed(1)} y="0" width={w(s.from, s.to)} height="16">
                <title>{`${lane.kind} ${s.firing ? 'firing' : 'not firing'}: ${utcText(s.from)} – ${utcText(s.to)}`}</title>
              </rect>
            ))}
            {maintenance.map((m) => (
              <rect class="maintenance" x={x(m.start).toFixed(1)} y="0" width={w(m.start, m.end)} height="16">
                <title>{`maintenance: ${m.reason} (${utcText(m.start)} – ${utcText(m.end)})`}</title>
              </rect>
            ))}
          </svg>
        </div>
      ))}
      <div class="lane-axis">
        <span>{utcText(from)}</span>
        <span>{utcText(to)}</span>
      </div>
    </div>
  );
}
