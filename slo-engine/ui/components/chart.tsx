// A chart placeholder: its spec travels as a data attribute (escaped by JSX, read back with
// JSON.parse by assets/charts.js), so no inline script is needed and the CSP stays strict.
import type { ChartSpec } from '../charts.ts';

export function Chart({ spec }: { spec: ChartSpec }) {
  const hasPoints = spec.times.length > 0 && spec.series.some((s) => !s.dash && s.values.some((v) => v !== null));
  return (
    <figure class="chart-box" id={`chart-${spec.id}`}>
      <figcaption>
        {spec.title} <small>{spec.note}</small>
      </figcaption>
      {hasPoints ? <div class="chart" data-chart={JSON.stringify(spec)}></div> : <p class="empty">No data in this range.</p>}
    </figure>
  );
}
