// SLO fixtures for the unit tests, written in the spec language itself.
import { parseYaml } from '../../slo-engine/spec/load.ts';
import { sloSchema } from '../../slo-engine/spec/schema.ts';
import { toModel } from '../../slo-engine/spec/to-model.ts';
import type { Slo } from '../../slo-engine/model.ts';

export const FIXTURES: Record<string, string> = {
  'availability-999-30d': `
id: checkout-availability
service: demo
objective: 99.9
period: 30d
sli: { kind: availability, routes: [/checkout] }
`,
  'no-data-alert': `
id: nodata
service: demo
objective: 99
period: 7d
sli: { kind: availability }
alerting: { noData: { alert: true, after: 10m } }
`,
};

export function sloFromYaml(text: string, file = 'fixture.yaml'): Slo {
  const { docs, problems } = parseYaml(text, file);
  if (problems.length) throw new Error(problems.map((p) => p.message).join('; '));
  return toModel(sloSchema.parse(docs[0]!.value), file);
}

export const loadFixture = (name: string): Slo => sloFromYaml(FIXTURES[name]!);
