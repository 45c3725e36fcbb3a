import { describe, expect, it } from 'vitest';
import { BadRequest, linkParams, parseTimeRange, rangeParams, stepFor } from '../../slo-engine/ui/time-range.ts';
import { deriveStatus, type StatusInput } from '../../slo-engine/ui/data/derived.ts';
import { staleness } from '../../slo-engine/views.ts';
import { applyListQuery, listParams, parseListQuery, tierPressure } from '../../slo-engine/ui/list-query.ts';
import type { SloRow } from '../../slo-engine/ui/data/slo-list.ts';
import { agoText, burnText, msText, pct, queryString } from '../../slo-engine/ui/components/format.ts';
import { specYaml } from '../../slo-engine/ui/spec-view.ts';
import { sloFromYaml } from './slo-fixtures.ts';

const NOW = Date.parse('2026-05-10T12:00:00Z') / 1000;

describe('time range from the query string', () => {
  it('takes a preset relative to now, the default without one', () => {
    expect(parseTimeRange({ range: '1h' }, NOW)).toEqual({ from: NOW - 3600, to: NOW, preset: '1h', step: 60, explicit: true });
    expect(parseTimeRange({}, NOW, '6h')).toEqual({ from: NOW - 21_600, to: NOW, preset: '6h', step: 60 });
    expect(parseTimeRange({ range: '24h' }, NOW).preset).toBe('1d');
  });

  it('takes an absolute from/to in ISO or epoch seconds, to defaulting to now', () => {
    expect(parseTimeRange({ from: '2026-05-10T10:00:00Z', to: String(NOW) }, NOW)).toEqual({ from: NOW - 7200, to: NOW, step: 60, explicit: true });
    expect(parseTimeRange({ from: '2026-05-09T12:00:00Z' }, NOW)).toMatchObject({ from: NOW - 86_400, to: NOW });
  });

  it('buckets so that a chart gets at most 720 points', () => {
    expect(stepFor(3600)).toBe(60);
    expect(stepFor(21_600)).toBe(60);
    expect(stepFor(86_400)).toBe(120);
    expect(stepFor(7 * 86_400)).toBe(900);
    expect(stepFor(30 * 86_400)).toBe(3600);
    for (const s of [3600, 86_400, 7 * 86_400, 30 * 86_400, 400 * 86_400]) expect(s / stepFor(s)).toBeLessThanOrEqual(720);
  });

  it('names the parameter of every bad input', () => {
    const bad = (q: Record<string, string>) => {
      try {
        parseTimeRange(q, NOW);
      } catch (err) {
        expect(err).toBeInstanceOf(BadRequest);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ range: 'yesterday' })).toMatch(/^range: "yesterday" is not a duration/);
    expect(bad({ range: '30s' })).toMatch(/^range:/);
    expect(bad({ from: 'monday' })).toMatch(/^from: "monday" is not a time/);
    expect(bad({ from: '2026-05-10T12:00:00Z', to: '2026-05-10T11:00:00Z' })).toBe('from: must be before to');
    expect(bad({ to: '2026-05-10T11:00:00Z' })).toBe('to: needs from');
    expect(bad({ range: '1h', from: '2026-05-10T11:00:00Z' })).toBe('give either range or from/to, not both');
    expect(bad({ from: '2020-01-01T00:00:00Z' })).toMatch(/longer than 400 days/);
  });

  it('goes back into a URL that shows the same range; links carry it only when the URL chose it', () => {
    expect(rangeParams(parseTimeRange({ range: '6h' }, NOW))).toEqual({ range: '6h' });
    expect(linkParams(parseTimeRange({ range: '6h' }, NOW))).toEqual({ range: '6h' });
    expect(linkParams(parseTimeRange({}, NOW, '6h'))).toEqual({});
    expect(rangeParams(parseTimeRange({ from: String(NOW - 60), to: String(NOW) }, NOW))).toEqual({ from: '2026-05-10T11:59:00Z', to: '2026-05-10T12:00:00Z' });
  });
});

describe('derived status', () => {
  const fresh = staleness({ lastEvaluation: NOW - 10 }, NOW, 120);
  const base: StatusInput = { staleness: fresh, noData: false, tiers: [], alerts: [], recentSince: NOW - 86_400 };

  it('is ok without alerts, firing while a page or ticket fires', () => {
    expect(deriveStatus(base)).toEqual({ state: 'ok', states: ['ok'], alerts: [], stale: false, staleReason: null });
    const s = deriveStatus({ ...base, alerts: [{ kind: 'ticket', status: 'firing', since: NOW - 600 }] });
    expect(s).toMatchObject({ state: 'firing', states: ['firing'], alerts: [{ kind: 'ticket', status: 'firing', since: NOW - 600 }] });
  });

  it('shows a burning tier the engine holds back as inhibited, with its reason; a quiet one not', () => {
    const tiers = [{ severity: 'page', condition: 'burning', inhibited: null }, { severity: 'ticket', condition: 'burning', inhibited: 'inhibited: page firing' }];
    const paging = deriveStatus({ ...base, tiers, alerts: [{ kind: 'page', status: 'firing', since: NOW - 60 }, { kind: 'ticket', status: 'inactive', since: 0 }] });
    expect(paging.states).toEqual(['firing', 'inhibited']);
    expect(paging.alerts).toEqual([{ kind: 'page', status: 'firing', since: NOW - 60 }, { kind: 'ticket', status: 'inhibited', since: 0, reason: 'inhibited: page firing' }]);
    const quietTicket = deriveStatus({ ...base, tiers: [{ severity: 'ticket', condition: 'ok', inhibited: 'inhibited: page firing' }], alerts: [{ kind: 'page', status: 'firing', since: NOW - 60 }] });
    expect(quietTicket.states).toEqual(['firing']);
    // After the page resolved (issue 12's rule): the ticket burning inside its short window is held, the resolve shows too.
    const after = deriveStatus({
      ...base,
      tiers: [{ severity: 'ticket', condition: 'burning', inhibited: 'inhibited: page resolved 30m ago, inside the 120m short window' }],
      alerts: [{ kind: 'page', status: 'inactive', since: NOW - 1800 }],
    });
    expect(after.states).toEqual(['inhibited', 'resolved']);
  });

  it('shows a resolve within the range as resolved, an older one not', () => {
    const alerts = [{ kind: 'page', status: 'inactive' as const, since: NOW - 3600 }];
    expect(deriveStatus({ ...base, alerts }).states).toEqual(['resolved']);
    expect(deriveStatus({ ...base, alerts, recentSince: NOW - 1800 }).states).toEqual(['ok']);
  });

  it('is stale when views.ts says so, with its reason, and says no data for an empty shortest window', () => {
    expect(deriveStatus({ ...base, staleness: staleness({ lastEvaluation: NOW - 121 }, NOW, 120) })).toMatchObject({ state: 'stale', stale: true, staleReason: 'no evaluation for 2m1s' });
    expect(deriveStatus({ ...base, staleness: staleness({ lastEvaluation: null }, NOW, 120), noData: null })).toMatchObject({ states: ['stale'] });
    expect(deriveStatus({ ...base, staleness: staleness({ lastEvaluation: NOW - 10, tickError: 'ECONNREFUSED' }, NOW, 120) }).states).toEqual(['stale']);
    expect(deriveStatus({ ...base, noData: true }).states).toEqual(['no-data']);
    const noDataAlert = deriveStatus({ ...base, noData: true, alerts: [{ kind: 'no-data', status: 'firing', since: NOW - 900 }] });
    expect(noDataAlert.states).toEqual(['no-data']);
    expect(noDataAlert.alerts).toEqual([{ kind: 'no-data', status: 'firing', since: NOW - 900 }]);
  });
});

describe('list filters and sort', () => {
  const row = (id: string, o: Partial<SloRow> & { state?: SloRow['status']['state']; states?: SloRow['status']['states'] } = {}): SloRow => ({
    id, name: id, service: 'svc', tenant: '', description: '', labels: {}, objective: '99', period: '30d', sliKind: 'availability',
    evaluatedAt: NOW, sli: 1, budgetRemaining: 1, timeToExhaustion: null, noData: false, periodStart: NOW - 86_400, tiers: [],
    status: { state: o.state ?? 'ok', states: o.states ?? [o.state ?? 'ok'], alerts: [], stale: false, staleReason: null },
    ...o,
  });
  const rows = [
    row('a', { budgetRemaining: 0.5 }),
    row('b', { budgetRemaining: null, state: 'no-data' }),
    row('c', { budgetRemaining: -2, service: 'checkout', state: 'firing', states: ['firing', 'inhibited'], labels: { team: 'shop' } }),
    row('d', { budgetRemaining: 0.9, tiers: [{ severity: 'page', windows: '1h/5m', factor: 14.4, burnLong: 20, burnShort: 7.2, condition: 'ok', inhibited: null }] }),
  ];

  it('sorts by budget remaining, least first, no data last', () => {
    expect(applyListQuery(rows, parseListQuery({})).map((r) => r.id)).toEqual(['c', 'a', 'd', 'b']);
  });

  it('filters by service, by any applying state, by text in id, name or labels', () => {
    expect(applyListQuery(rows, parseListQuery({ service: 'checkout' })).map((r) => r.id)).toEqual(['c']);
    expect(applyListQuery(rows, parseListQuery({ state: 'inhibited' })).map((r) => r.id)).toEqual(['c']);
    expect(applyListQuery(rows, parseListQuery({ state: 'ok' })).map((r) => r.id)).toEqual(['a', 'd']);
    expect(applyListQuery(rows, parseListQuery({ q: 'TEAM=shop' })).map((r) => r.id)).toEqual(['c']);
  });

  it('sorts by how close a tier is to firing: the lower of its two burns over its factor', () => {
    expect(tierPressure({ factor: 14.4, burnLong: 20, burnShort: 7.2 })).toBe(0.5);
    expect(tierPressure({ factor: 14.4, burnLong: null, burnShort: 7.2 })).toBeNull();
    expect(applyListQuery(rows, parseListQuery({ sort: 'burn' })).map((r) => r.id)[0]).toBe('d');
    expect(applyListQuery(rows, parseListQuery({ sort: 'state' })).map((r) => r.id)).toEqual(['c', 'b', 'a', 'd']);
  });

  it('refuses unknown states and sorts, and leaves defaults out of URLs', () => {
    expect(() => parseListQuery({ state: 'burning' })).toThrow(/^state: "burning" is not one of firing, stale/);
    expect(() => parseListQuery({ sort: 'x' })).toThrow(/^sort:/);
    expect(listParams(parseListQuery({ sort: 'budget', q: ' x ' }))).toEqual({ q: 'x' });
  });
});

describe('page formatting', () => {
  it('prints numbers without NaN, with a dash for no data', () => {
    expect(pct(0.99912)).toBe('99.912%');
    expect(pct(-4.4375, 1)).toBe('-443.8%');
    expect(pct(null)).toBe('–');
    expect(pct(Number.NaN)).toBe('–');
    expect(burnText(14.4)).toBe('14.4×');
    expect(burnText(2.3456)).toBe('2.35×');
    expect(burnText(null)).toBe('–');
    expect(msText(1530)).toBe('1.53 s');
    expect(msText(42.25)).toBe('42.3 ms');
    expect(agoText(NOW - 600, NOW)).toBe('10m ago');
    expect(queryString({ a: 'x y', b: '', c: undefined })).toBe('?a=x+y');
  });

  it('shows the spec as YAML with durations, decimals, resolved factors and the file name only', () => {
    const slo = sloFromYaml('id: a\nservice: s\nobjective: "99.5"\nperiod: 7d\nsli: { kind: latency, threshold: 300ms }\nmaintenance: [{ start: "2026-01-15T02:00:00Z", end: "2026-01-15T03:00:00Z", reason: db }]', '/etc/secret/dir/slos.yaml');
    const text = specYaml(slo, NOW);
    expect(text.split('\n')[0]).toBe('# slos.yaml (burnrate)');
    expect(text).toContain('threshold: 300ms');
    expect(text).toContain('factor: "3.36"');
    expect(text).toContain('ingestDelay: 1m');
    expect(text).toContain('start: 2026-01-15T02:00:00Z');
    expect(text).not.toContain('/etc/secret');
  });
});
