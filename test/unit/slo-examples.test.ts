import { describe, expect, it } from 'vitest';
import { loadSlos, formatProblem } from '../../slo-engine/spec/load.ts';
import { resolveTiers, DEFAULT_TIERS } from '../../slo-engine/math/windows.ts';
import { rational, toDecimalString } from '../../slo-engine/math/rational.ts';
import { parseYaml } from '../../slo-engine/spec/load.ts';
import { fromOpenSlo } from '../../slo-engine/spec/openslo.ts';

describe('shipped examples', () => {
  it('examples/slos validate', () => {
    const { slos, problems } = loadSlos('examples/slos');
    expect(problems.map(formatProblem)).toEqual([]);
    expect(slos.map((s) => s.id)).toEqual(['demo-availability', 'demo-checkout-latency']);
    expect(resolveTiers(slos[1]!.tiers, 7 * 86_400).map((t) => toDecimalString(t.factor, 4))).toEqual(['3.36', '1.4', '0.7', '0.2333']);
  });

  it('the OpenSLO example maps to an availability SLI, tiers with short windows and slack targets', () => {
    const { slos, problems } = loadSlos('examples/openslo');
    expect(problems.map(formatProblem)).toEqual([]);
    const [slo] = slos;
    expect(slo).toMatchObject({
      id: 'demo-products-availability',
      service: 'demo',
      name: 'Products page availability',
      objective: '99',
      budget: rational(1, 100),
      period: { type: 'rolling', seconds: 30 * 86_400 },
      labels: { team: 'shop' },
      sli: { kind: 'availability', routes: ['/products'], spanKind: 'server', bad: { statusError: true, httpStatusAtLeast: 500 } },
      tiers: [
        { severity: 'page', long: 3600, short: 300, factor: rational(72, 5) },
        { severity: 'ticket', long: 86_400, short: 7200, factor: rational(3) },
      ],
      notify: { page: [{ type: 'slack', env: 'SLACK_WEBHOOK_URL' }], ticket: [{ type: 'slack', env: 'SLACK_WEBHOOK_URL' }] },
      source: { format: 'openslo' },
    });
    expect(DEFAULT_TIERS).toHaveLength(4);
  });

  it('OpenSLO problems point at the OpenSLO document', () => {
    const { docs } = parseYaml(
      'apiVersion: openslo/v1\nkind: SLO\nmetadata: { name: x }\nspec:\n  service: s\n  indicatorRef: missing\n  budgetingMethod: Timeslices\n  timeWindow: [{ duration: 1M, isRolling: false, calendar: { timeZone: Europe/Berlin } }]\n  objectives: [{ target: 0.999 }]\n',
      'o.yaml',
    );
    expect(fromOpenSlo(docs).problems.map(formatProblem)).toEqual([
      'o.yaml:7: spec.budgetingMethod: budgetingMethod "Timeslices" is not supported (only Occurrences: event-weighted budgets)',
      'o.yaml:6: spec.indicatorRef: SLI "missing" not found',
    ]);
  });
});
