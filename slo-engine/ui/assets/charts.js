// Draws every [data-chart] with uPlot. The server sends the whole spec (see ui/charts.ts): times in
// epoch seconds, series with colors, dashed thresholds, maintenance bands. Times are shown in UTC,
// like the rest of the UI. Plain ES2020, no build step.
(() => {
  'use strict';
  /* global uPlot */

  const trim = (n, digits) => String(Number(n.toFixed(digits)));
  const FORMAT = {
    percent: (v) => `${trim(v * 100, Math.abs(v) < 0.1 ? 3 : 2)}%`,
    burn: (v) => `${trim(v, v >= 100 ? 0 : 2)}×`,
    ms: (v) => (v >= 1000 ? `${trim(v / 1000, 2)} s` : `${trim(v, 1)} ms`),
    perMinute: (v) => trim(v, v >= 100 ? 0 : 2),
  };
  const utc = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
  const pad = (n) => String(n).padStart(2, '0');
  const TIME_INCRS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000];
  /** 24-hour UTC tick labels; the date too when the range spans more than a day. */
  const timeTicks = (spec) => (u, ticks) =>
    ticks.map((t) => {
      const d = new Date(t * 1e3);
      const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
      return spec.to - spec.from > 86400 ? `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${hm}` : hm;
    });

  /** Maintenance windows: shaded behind the series, labelled on hover by the legend-less title. */
  const bandsPlugin = (bands) => ({
    hooks: {
      drawClear: [
        (u) => {
          if (!bands.length) return;
          const { ctx } = u;
          ctx.save();
          ctx.fillStyle = 'rgba(100, 116, 139, 0.18)';
          for (const b of bands) {
            const x0 = Math.max(u.bbox.left, u.valToPos(b.from, 'x', true));
            const x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(b.to, 'x', true));
            if (x1 > x0) ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
          }
          ctx.restore();
        },
      ],
    },
  });

  const charts = [];

  function draw(el) {
    const spec = JSON.parse(el.dataset.chart);
    const fmt = FORMAT[spec.unit] || ((v) => String(v));
    const value = (u, v) => (v == null ? '–' : fmt(v));
    const opts = {
      width: Math.max(300, el.clientWidth),
      height: 220,
      tzDate: utc,
      plugins: [bandsPlugin(spec.bands)],
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: () => [spec.from, spec.to] } },
      // Whole minutes at least: the labels say HH:MM.
      axes: [{ values: timeTicks(spec), incrs: TIME_INCRS }, { size: 64, values: (u, ticks) => ticks.map((t) => fmt(t)) }],
      series: [
        { value: (u, ts) => (ts == null ? '–' : new Date(ts * 1e3).toISOString().slice(0, 16).replace('T', ' ')) },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.dash ? 1 : 1.5,
          dash: s.dash ? [6, 4] : undefined,
          points: { show: false },
          spanGaps: false,
          value,
        })),
      ],
    };
    const data = [spec.times, ...spec.series.map((s) => s.values)];
    el.textContent = '';
    const chart = new uPlot(opts, data, el);
    el.dataset.drawn = 'true';
    charts.push({ el, chart });
  }

  for (const el of document.querySelectorAll('[data-chart]')) {
    try {
      draw(el);
    } catch (err) {
      el.textContent = `chart failed: ${err && err.message}`;
      console.error(err);
    }
  }

  let pending;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      for (const { el, chart } of charts) chart.setSize({ width: Math.max(300, el.clientWidth), height: 220 });
    }, 100);
  });
})();
