import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { formatProblem, loadSlos } from '../../slo-engine/spec/load.ts';
import { renderCustomExpression } from '../../slo-engine/sli/custom-sql.ts';
import { countsQuery, sliHash } from '../../slo-engine/sli/sql.ts';
import { rational } from '../../slo-engine/math/rational.ts';
import { sloFromYaml } from './slo-fixtures.ts';

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'slo-spec-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('SLO spec validation', () => {
  it('reports every problem at once, with file, line and path', () => {
    const dir = dirWith({
      'bad.yaml': `id: checkout
service: demo
objective: 100
period: 30x
sli:
  kind: availability
  routes: /checkout
  colour: blue
alerting:
  tiers:
    - { severity: page, long: 5m, short: 1h, factor: 14.4 }
    - { severity: sev1, long: 1h, short: 5m }
`,
    });
    const { slos, problems } = loadSlos(dir, dir);
    expect(slos).toEqual([]);
    const lines = problems.map(formatProblem);
    expect(lines).toEqual([
      expect.stringMatching(/^bad\.yaml:3: objective: objective must be a percentage above 0 and below 100/),
      'bad.yaml:4: period: a rolling period is a duration of whole minutes, at least 1h (7d, 28d, 30d); a calendar period is { calendar: week|month, timeZone }',
      'bad.yaml:7: sli.routes: Invalid input: expected array, received string',
      'bad.yaml:6: sli: Unrecognized key: "colour"',
      'bad.yaml:11: alerting.tiers[0].short: short window must be shorter than the long window',
      'bad.yaml:12: alerting.tiers[1].severity: Invalid option: expected one of "page"|"ticket"',
    ]);
  });

  it('reports YAML syntax errors and duplicate ids across files', () => {
    const one = 'id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\n';
    const dir = dirWith({ 'a.yaml': one, 'sub/b.yml': one, 'c.yaml': 'id: [unclosed\n' });
    const { problems } = loadSlos(dir, dir);
    const lines = problems.map(formatProblem);
    expect(lines.some((l) => l.startsWith('c.yaml:'))).toBe(true);
    expect(lines).toContain('sub/b.yml: id: duplicate SLO id "a" (also in a.yaml)');
  });

  it('accepts a list of SLOs under `slos:` and reports paths inside it', () => {
    const dir = dirWith({ 'many.yaml': 'slos:\n  - { id: a, service: s, objective: 99, period: 7d, sli: { kind: availability } }\n  - { id: b, service: s, objective: "99.5%", period: 7d, sli: { kind: latency, threshold: fast } }\n' });
    const { slos, problems } = loadSlos(dir, dir);
    expect(slos.map((s) => s.id)).toEqual(['a']);
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(/^many\.yaml:3: slos\[1\]\.sli\.threshold: threshold must be a duration/)]);
  });

  it('maps objective, period and tiers to exact values', () => {
    const slo = sloFromYaml(`id: x\nservice: s\nobjective: "99.95"\nperiod: { calendar: month, timeZone: Europe/Berlin }\nsli: { kind: latency, threshold: 1.5s }\nalerting:\n  tiers: [{ severity: page, long: 1h, short: 5m, budgetConsumed: 2 }]\n`);
    expect(slo.budget).toEqual(rational(1, 2000));
    expect(slo.period).toEqual({ type: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' });
    expect(slo.sli).toMatchObject({ kind: 'latency', thresholdNs: 1_500_000_000n, spanKind: 'server' });
    expect(slo.tiers).toEqual([{ severity: 'page', long: 3600, short: 300, budgetFraction: rational(1, 50) }]);
  });

  it('rejects an unknown time zone', () => {
    const dir = dirWith({ 'tz.yaml': 'id: a\nservice: s\nobjective: 99\nperiod: { calendar: week, timeZone: Mars/Olympus }\nsli: { kind: availability }\n' });
    expect(loadSlos(dir, dir).problems.map(formatProblem)).toEqual([expect.stringMatching(/^tz\.yaml:4: period\.timeZone: must be an IANA time zone/)]);
  });
});

describe('custom SQL expressions', () => {
  it('renders allowed expressions from tokens', () => {
    expect(renderCustomExpression("countIf(status_code != 2 AND http_route = 'it''s')", 'spans')).toBe("countIf ( status_code != 2 AND http_route = 'it\\'s' )");
  });
  it.each([
    ['count(); DROP TABLE spans', '";" is not allowed'],
    ['(SELECT count() FROM spans)', '"SELECT" is not a column'],
    ['count() FROM spans', '"FROM" is not a column'],
    ['count() SETTINGS max_threads = 1', '"SETTINGS" is not a column'],
    ['count() -- comment', 'comments are not allowed'],
    ['file(\'/etc/passwd\')', 'function "file" is not allowed'],
    ['`name`', 'quoted identifiers are not allowed'],
    ['countIf(secret_column = 1)', '"secret_column" is not a column of spans'],
    ['count(', 'unbalanced parentheses'],
  ])('rejects %j', (expr, reason) => {
    expect(() => renderCustomExpression(expr, 'spans')).toThrow(reason);
  });
  it('reports bad expressions as spec problems with their path', () => {
    const dir = dirWith({ 'c.yaml': "id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli:\n  kind: custom\n  table: spans\n  good: countIf(1) FORMAT JSON\n  total: count()\n" });
    expect(loadSlos(dir, dir).problems.map(formatProblem)).toEqual(['c.yaml:8: sli.good: "FORMAT" is not a column of spans or an allowed keyword']);
  });
});

describe('SLI SQL', () => {
  it('escapes hostile services, routes and attributes through literals', () => {
    const slo = sloFromYaml(`id: "q'uote\\\\"\nservice: "it's \\\\ 'demo'"\nobjective: 99\nperiod: 7d\nsli: { kind: availability, routes: ["/a'b"], attributes: { "k'": "v\\\\" } }\n`);
    const q = countsQuery(slo, 0, 60).text;
    expect(q).toContain("service_name = 'it\\'s \\\\ \\'demo\\''");
    expect(q).toContain("has(['/a\\'b'], http_route)");
    expect(q).toContain("`attributes.value`[indexOf(`attributes.key`, 'k\\'')] = 'v\\\\'");
  });
  it('uses the per-minute rollup when it holds exactly the bad definition', () => {
    const slo = sloFromYaml('id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability, bad: { statusError: true, httpStatusAtLeast: null } }\n');
    expect(countsQuery(slo, 0, 60).text).toContain('FROM `span_red_1m`');
    const both = sloFromYaml('id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\n');
    expect(countsQuery(both, 0, 60).text).toContain('FROM `spans`');
  });
  it('keeps the SLI hash when only labels or objective change', () => {
    const a = sloFromYaml('id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\n');
    const b = sloFromYaml('id: a\nservice: s\nobjective: 99.9\nlabels: { team: x }\nperiod: 30d\nsli: { kind: availability }\n');
    const c = sloFromYaml('id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability, routes: [/x] }\n');
    expect(sliHash(a)).toBe(sliHash(b));
    expect(sliHash(a)).not.toBe(sliHash(c));
  });
});
