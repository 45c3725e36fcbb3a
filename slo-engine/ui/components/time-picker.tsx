// The time range picker: preset links and an absolute from/to form. The range lives in the URL
// (range=6h, or from=...&to=...), so every view can be shared; no script is needed.
import { RANGE_PRESETS, isoSeconds, type TimeRange } from '../time-range.ts';
import { queryString } from './format.ts';

export interface TimePickerProps {
  range: TimeRange;
  /** The page's other parameters, kept by every link and the form. */
  keep: Record<string, string>;
  /** Presets offered (default: all). */
  presets?: readonly string[];
}

export function TimePicker({ range, keep, presets = RANGE_PRESETS }: TimePickerProps) {
  return (
    <div class="time-picker" data-testid="time-picker">
      <span class="label">Last</span>
      {presets.map((p) => (
        <a href={queryString({ ...keep, range: p })} class={range.preset === p ? 'preset active' : 'preset'} aria-current={range.preset === p ? 'true' : undefined}>
          {p}
        </a>
      ))}
      <form method="get" class="absolute">
        {Object.entries(keep).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
        <label>
          from <input name="from" size={20} value={range.preset ? '' : isoSeconds(range.from)} placeholder="2026-05-10T12:00:00Z" />
        </label>
        <label>
          to <input name="to" size={20} value={range.preset ? '' : isoSeconds(range.to)} placeholder="now" />
        </label>
        <button type="submit">Show</button>
      </form>
    </div>
  );
}
