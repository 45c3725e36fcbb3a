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
    const { slos, problems } = loadSlos(dir, { cwd: dir });
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
    const { problems } = loadSlos(dir, { cwd: dir });
    const lines = problems.map(formatProblem);
    expect(lines.some((l) => l.startsWith('c.yaml:'))).toBe(true);
    expect(lines).toContain('sub/b.yml: id: duplicate SLO id "a" (also in a.yaml)');
  });

  it('accepts a list of SLOs under `slos:` and reports paths inside it', () => {
    const dir = dirWith({ 'many.yaml': 'slos:\n  - { id: a, service: s, objective: 99, period: 7d, sli: { kind: availability } }\n  - { id: b, service: s, objective: "99.5%", period: 7d, sli: { kind: latency, threshold: fast } }\n' });
    const { slos, problems } = loadSlos(dir, { cwd: dir });
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
    expect(loadSlos(dir, { cwd: dir }).problems.map(formatProblem)).toEqual([expect.stringMatching(/^tz\.yaml:4: period\.timeZone: must be an IANA time zone/)]);
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
    expect(loadSlos(dir, { cwd: dir }).problems.map(formatProblem)).toEqual(['c.yaml:8: sli.good: "FORMAT" is not a column of spans or an allowed keyword']);
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

describe('secrets: which environment variables an SLO file may name (issue 12)', () => {
  const withTargets = (notify: string) => dirWith({ 's.yaml': `id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\nalerting:\n  notify: ${notify}\n` });

  it('refuses any variable outside BURNRATE_NOTIFY_* and the channel default, naming it', () => {
    const dir = withTargets('{ page: [{ type: pagerduty, env: BURNRATE_AUTH_TOKENS }, { type: webhook, env: CLICKHOUSE_PASSWORD, secretEnv: HOME }, { type: slack, env: PAGERDUTY_ROUTING_KEY }] }');
    expect(loadSlos(dir, { cwd: dir }).problems.map(formatProblem)).toEqual([
      's.yaml:7: alerting.notify.page[0].env: environment variable BURNRATE_AUTH_TOKENS may not be read from an SLO file: name a variable starting with BURNRATE_NOTIFY_ (or PAGERDUTY_ROUTING_KEY, the pagerduty default)',
      's.yaml:7: alerting.notify.page[1].env: environment variable CLICKHOUSE_PASSWORD may not be read from an SLO file: name a variable starting with BURNRATE_NOTIFY_ (or WEBHOOK_URL, the webhook default)',
      's.yaml:7: alerting.notify.page[1].secretEnv: environment variable HOME may not be read from an SLO file: name a variable starting with BURNRATE_NOTIFY_ (or WEBHOOK_SECRET, the webhook default)',
      // Another channel's default is a secret of another vendor: not allowed either.
      's.yaml:7: alerting.notify.page[2].env: environment variable PAGERDUTY_ROUTING_KEY may not be read from an SLO file: name a variable starting with BURNRATE_NOTIFY_ (or SLACK_WEBHOOK_URL, the slack default)',
    ]);
  });

  it('accepts BURNRATE_NOTIFY_* variables and the defaults, explicit or implied', () => {
    const dir = withTargets('{ page: [slack, { type: pagerduty, env: BURNRATE_NOTIFY_PD_TEAM_A }, { type: webhook, env: WEBHOOK_URL, secretEnv: BURNRATE_NOTIFY_HOOK_SECRET }], ticket: [webhook] }');
    const { slos, problems } = loadSlos(dir, { cwd: dir });
    expect(problems).toEqual([]);
    expect(slos[0]!.notify.page).toEqual([
      { type: 'slack', env: 'SLACK_WEBHOOK_URL' },
      { type: 'pagerduty', env: 'BURNRATE_NOTIFY_PD_TEAM_A' },
      { type: 'webhook', env: 'WEBHOOK_URL', secretEnv: 'BURNRATE_NOTIFY_HOOK_SECRET' },
    ]);
  });

  it('applies the same rule to OpenSLO notification targets', () => {
    const dir = dirWith({
      'o.yaml': `apiVersion: openslo/v1
kind: SLO
metadata: { name: o }
spec:
  service: s
  indicator: { metadata: { name: i }, spec: { ratioMetric: { bad: { metricSource: { type: burnrate.spans, spec: {} } }, total: { metricSource: { type: burnrate.spans, spec: {} } } } } }
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ target: 0.99 }]
  alertPolicies:
    - kind: AlertPolicy
      metadata: { name: p }
      spec:
        conditions: [{ kind: AlertCondition, metadata: { name: c }, spec: { severity: page, condition: { kind: burnrate, threshold: 14.4, lookbackWindow: 1h } } }]
        notificationTargets: [{ kind: AlertNotificationTarget, metadata: { name: t, annotations: { burnrate.dev/env: CLICKHOUSE_PASSWORD } }, spec: { target: slack } }]
`,
    });
    expect(loadSlos(dir, { cwd: dir }).problems.map(formatProblem)).toEqual([
      'o.yaml:5: spec: environment variable CLICKHOUSE_PASSWORD may not be read from an SLO file: name a variable starting with BURNRATE_NOTIFY_ (or SLACK_WEBHOOK_URL, the slack default) (at alerting.notify.page[0].env of the burnrate spec mapped from this SLO)',
    ]);
  });
});

describe('tenants (issue 12)', () => {
  const files = { 'a.yaml': 'id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\n', 'b.yaml': 'id: b\nservice: s\ntenant: acme\nobjective: 99\nperiod: 7d\nsli: { kind: metric-ratio, bad: { metric: e }, total: { metric: r } }\n', 'c.yaml': 'id: c\nservice: s\ntenant: ""\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\n' };

  it('without declared tenants, an SLO without `tenant` counts the default tenant only', () => {
    const dir = dirWith(files);
    const { slos, problems } = loadSlos(dir, { cwd: dir });
    expect(problems).toEqual([]);
    expect(countsQuery(slos[0]!, 0, 60).text).toContain("tenant = ''");
    expect(countsQuery(slos[1]!, 0, 60).text).toContain("tenant = 'acme'");
  });

  it('when the collector assigns tenants, every SLO must name one of them ("" for rows without one)', () => {
    const dir = dirWith({ ...files, 'd.yaml': 'id: d\nservice: s\ntenant: globex\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\n' });
    expect(loadSlos(dir, { cwd: dir, tenants: ['acme', 'initech'] }).problems.map(formatProblem)).toEqual([
      'a.yaml: tenant: SLO "a" must name its tenant: the collector assigns tenants ("acme", "initech"); use tenant: "" for rows sent without one',
      'd.yaml: tenant: SLO "d": tenant "globex" is not one the collector assigns ("acme", "initech")',
    ]);
  });

  it('`sli.tenant` is refused with a pointer to the top-level field', () => {
    const dir = dirWith({ 'x.yaml': 'id: x\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: latency, threshold: 1s, tenant: acme }\n' });
    expect(loadSlos(dir, { cwd: dir }).problems.map(formatProblem)).toEqual(['x.yaml:5: sli.tenant: tenant moved: set `tenant` at the top level of the SLO (it applies to every SLI kind)']);
  });

  it('every SLI kind filters on the tenant, custom SQL included, and the tenant is part of the SLI hash', () => {
    const kinds = [
      '{ kind: availability, bad: { statusError: true, httpStatusAtLeast: null } }',
      '{ kind: availability, routes: [/x] }',
      '{ kind: latency, threshold: 300ms }',
      '{ kind: metric-ratio, good: { metric: ok }, total: { metric: all } }',
      '{ kind: metric-latency, metric: d, threshold: 0.25 }',
      '{ kind: custom, table: metrics_sum, good: sum(value_int), total: count() }',
    ];
    for (const sli of kinds) {
      const slo = sloFromYaml(`id: k\nservice: s\ntenant: "it's"\nobjective: 99\nperiod: 7d\nsli: ${sli}\n`);
      const q = countsQuery(slo, 0, 60).text;
      // Every read of a source table carries the tenant filter (metric kinds read each table twice: DELTA and CUMULATIVE points).
      const reads = q.match(/FROM `(spans|span_red_1m|metrics_sum|metrics_histogram)`/g) ?? [];
      expect(reads.length).toBeGreaterThan(0);
      expect(q.split("tenant = 'it\\'s'").length - 1).toBe(reads.length);
      expect(sliHash(slo)).not.toBe(sliHash({ ...slo, tenant: 'other' }));
    }
  });
});

describe('spec options and warnings (issue 12)', () => {
  it('repeatInterval is off by default; inhibitTicketAfterPage is on by default', () => {
    const plain = sloFromYaml('id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\n');
    expect([plain.repeatInterval, plain.inhibitTicketAfterPage]).toEqual([0, true]);
    const set = sloFromYaml('id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\nalerting: { repeatInterval: 4h, inhibitTicketAfterPage: false }\n');
    expect([set.repeatInterval, set.inhibitTicketAfterPage]).toEqual([4 * 3600, false]);
    const dir = dirWith({ 'r.yaml': 'id: a\nservice: s\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\nalerting: { repeatInterval: 1m }\n' });
    expect(loadSlos(dir, { cwd: dir }).problems.map(formatProblem)).toEqual(['r.yaml:6: alerting.repeatInterval: must be off or a duration of at least 10m such as 4h']);
  });

  it('warns about tiers that can never fire (the threshold is 100% errors or more)', () => {
    const doc = (id: string, objective: string, period: string) => `id: ${id}\nservice: s\nobjective: ${objective}\nperiod: ${period}\nsli: { kind: availability }\n`;
    const dir = dirWith({
      'w.yaml': [doc('lax', '90', '30d'), doc('months', '92.8', '{ calendar: month }'), doc('feb', '92', '{ calendar: month }'), doc('fine', '99.9', '30d')].join('---\n'),
    });
    const { problems, warnings } = loadSlos(dir, { cwd: dir });
    expect(problems).toEqual([]);
    expect(warnings.map(formatProblem)).toEqual([
      'w.yaml: SLO "lax": alerting.tiers[0] (page 1h/5m, 14.4x) can never fire: with a 90% objective it needs more than 144% of events to fail in both windows',
      // The longest month (31 days + a DST hour = 745 h): 2% x 745 = 14.9x, x 7.2% = 107.28%. The
      // shortest (February minus a DST hour, 671 h): 13.42x x 7.2% = 96.6%, so it can fire then.
      'w.yaml: SLO "months": alerting.tiers[0] (page 1h/5m, up to 14.9x) cannot fire in the longest periods: with a 92.8% objective it needs more than 107.28% of events to fail in both windows',
      // 13.42x x 8% = 107.36%: not even in February.
      'w.yaml: SLO "feb": alerting.tiers[0] (page 1h/5m, 13.42x) can never fire: with a 92% objective it needs more than 107.36% of events to fail in both windows',
    ]);
  });
});
