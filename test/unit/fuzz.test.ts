import { beforeAll, describe, expect, it } from 'vitest';
import { fuzz, hostileTraceSeeds, loadSeeds, runCase, type Seed } from '../../bench/fuzz-lib.ts';

// The seeded, suite-sized version of `npm run fuzz`: same generator, fixed seed, a few thousand cases.

describe('decoder fuzzing', () => {
  let seeds: Seed[];
  beforeAll(async () => {
    seeds = await loadSeeds();
  });

  it('has seeds for every signal and both encodings', () => {
    const kinds = new Set(seeds.map((s) => `${s.signal.signal}/${s.encoding}`));
    expect([...kinds].sort()).toEqual(['logs/json', 'logs/proto', 'metrics/json', 'metrics/proto', 'traces/json', 'traces/proto']);
  });

  it('decodes every hostile seed as it is without throwing anything but PayloadError', () => {
    for (const seed of hostileTraceSeeds()) expect(['accepted', 'partial', 'payload-error'], seed.label).toContain(runCase(seed, seed.bytes));
  });

  it('survives 3000 seeded mutations: only PayloadError, no case that hangs', () => {
    // The bound catches a hang (a case normally takes well under 20 ms); speed itself is
    // `npm run fuzz`'s business, not a test's, and a loaded machine must not fail this.
    const summary = fuzz(seeds, { cases: 3_000, seed: 20_260_508, maxCaseMs: 10_000 });
    expect(summary.failures).toEqual([]);
    expect(summary.cases).toBe(3_000);
    // The mutations must reach past the first byte: some cases still decode.
    expect(summary.accepted + summary.partial).toBeGreaterThan(100);
    expect(summary.payloadErrors).toBeGreaterThan(100);
  }, 60_000);
});
