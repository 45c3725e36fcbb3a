import { describe, expect, it } from 'vitest';
import { clip, covers, normalize, subtract, union } from '../../slo-engine/sli/ranges.ts';
import { planCounting } from '../../slo-engine/sli/coverage.ts';

describe('range sets', () => {
  it('normalise: sorted, merged when overlapping or adjacent, empty ranges dropped', () => {
    expect(normalize([[300, 400], [0, 60], [60, 120], [100, 110], [500, 500]])).toEqual([[0, 120], [300, 400]]);
  });
  it('subtract, union, clip and covers', () => {
    expect(subtract([[0, 1000]], [[100, 200], [300, 400]])).toEqual([[0, 100], [200, 300], [400, 1000]]);
    expect(subtract([[100, 200]], [[0, 1000]])).toEqual([]);
    expect(union([[0, 60]], [[120, 180], [60, 120]])).toEqual([[0, 180]]);
    expect(clip([[0, 100], [200, 300]], 50, 250)).toEqual([[50, 100], [200, 250]]);
    expect(covers([[0, 100], [100, 200]], 50, 200)).toBe(true);
    expect(covers([[0, 100], [160, 200]], 50, 200)).toBe(false);
  });
});

describe('what to count (coverage.ts)', () => {
  // Counted: [0, 600) and [1200, 1800) — a gap between them. Settled before minute 3000.
  const have = [[0, 600], [1200, 1800]] as const;

  it('never treats a gap between counted ranges as counted', () => {
    expect(planCounting(have, [0, 1800], 3000, 'read-only')).toEqual({ write: [[600, 1200]], record: [[600, 1200]], live: [] });
  });

  it('read-only callers write and record settled minutes only; the rest is computed in memory', () => {
    expect(planCounting(have, [1200, 4200], 3000, 'read-only')).toEqual({ write: [[1800, 3000]], record: [[1800, 3000]], live: [[3000, 4200]] });
    // Entirely in the future: nothing written, nothing recorded.
    expect(planCounting(have, [9000, 9600], 3000, 'read-only')).toEqual({ write: [], record: [], live: [[9000, 9600]] });
  });

  it('the engine re-counts its unsettled edge every time, and records only what is settled', () => {
    expect(planCounting(have, [0, 3600], 3000, 'engine')).toEqual({ write: [[600, 1200], [1800, 3600]], record: [[600, 1200], [1800, 3000]], live: [] });
    // Counted ranges past the settle limit (another caller's later clock) are counted again.
    expect(planCounting([[0, 3600]], [0, 3600], 3000, 'engine')).toEqual({ write: [[3000, 3600]], record: [], live: [] });
  });
});
