// The alert timeline as a table: each transition, and each notification (of a transition or a
// repeat) with its delivery state in the outbox: sent; pending (retrying: the last attempt's HTTP
// status and error, when the next one is due); rejected, expired or superseded, in time order.
import type { AlertTimeline } from '../data/alert-timeline.ts';
import { utcText } from './format.ts';

type Event = { at: number; order: 0; transition: AlertTimeline['transitions'][number] } | { at: number; order: 1; notification: AlertTimeline['notifications'][number] };

export function AlertEvents({ timeline }: { timeline: AlertTimeline }) {
  const events: Event[] = [
    ...timeline.transitions.map((transition) => ({ at: transition.at, order: 0 as const, transition })),
    ...timeline.notifications.map((notification) => ({ at: Date.parse(notification.transitionAt) / 1000, order: 1 as const, notification })),
  ].sort((a, b) => a.at - b.at || a.order - b.order);
  return (
    <table class="events" data-testid="notifications">
      <thead>
        <tr>
          <th>Time (UTC)</th>
          <th>Alert</th>
          <th>Event</th>
          <th>Channel</th>
          <th>Delivery</th>
          <th>HTTP</th>
          <th>Attempts</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => {
          if (e.order === 0) {
            const t = e.transition;
            return (
              <tr class={`transition ${t.status}`}>
                <td>{utcText(t.at)}</td>
                <td>{t.kind}</td>
                <td>
                  <span class={`badge ${t.status}`}>{t.status}</span>
                </td>
                <td colspan={5}></td>
              </tr>
            );
          }
          const n = e.notification;
          return (
            <tr class={`notification ${n.status}`} data-outcome={n.status}>
              <td>{utcText(e.at)}</td>
              <td>{n.kind}</td>
              <td>{n.event} notification</td>
              <td title={n.channel}>{n.channel.split(':')[0]}</td>
              <td>
                <span class={`badge delivery ${n.status}`} title={n.nextAttempt ? `next attempt ${n.nextAttempt}` : undefined}>
                  {n.status}
                </span>
              </td>
              <td>{n.httpStatus || '–'}</td>
              <td>{n.attempts || '–'}</td>
              <td class="err">{n.error}</td>
            </tr>
          );
        })}
        {events.length === 0 ? (
          <tr>
            <td colspan={8} class="empty">
              No transitions or notifications in this range.
            </td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}
