import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { declaredTenants, joinNegativeValues, parseFlags } from '../../cli/options.ts';
import { command as validateCommand } from '../../cli/commands/validate.ts';
import { sloEngineConfigFrom } from '../../cli/commands/slo-engine.ts';
import { inShard, shardOf } from '../../slo-engine/shard.ts';
import { ConfigError } from '../../runtime/config-error.ts';

async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    return { code: await validateCommand.run(args), lines };
  } finally {
    spy.mockRestore();
  }
}

describe('flags (issue 12)', () => {
  it('relative times and negative numbers work after a string flag without "="', () => {
    const options = { at: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' } } as const;
    expect(parseFlags(['--at', '-10m', '--json'], options).values).toEqual({ at: '-10m', json: true });
    expect(parseFlags(['--from', '-1h', '--at=-2h'], options).values).toEqual({ from: '-1h', at: '-2h' });
    expect(joinNegativeValues(['--json', '-1h'], options)).toEqual(['--json', '-1h']);
    // Anything else that starts with "-" is still an option (and a missing value is still an error).
    expect(() => parseFlags(['--at', '--json'], options)).toThrow(ConfigError);
  });

  it('the tenants the collector assigns come from --tenants / BURNRATE_TENANTS and the token=tenant entries', () => {
    expect(declaredTenants({}, {})).toEqual([]);
    const tokens = 'first-token-0123456789 tenant=acme\nsecond-token-0123456789\nthird-token-0123456789 tenant=b';
    expect(declaredTenants({ tenants: 'b, a' }, { BURNRATE_AUTH_TOKENS: tokens })).toEqual(['a', 'acme', 'b']);
    // The collector's token rules apply (here: too short), reported without the token.
    expect(() => declaredTenants({}, { BURNRATE_AUTH_TOKENS: 'short tenant=acme' })).toThrow('BURNRATE_AUTH_TOKENS line 1: the token has 5 characters; at least 16 are required');
    expect(declaredTenants({}, { BURNRATE_TENANTS: 'x' })).toEqual(['x']);
  });

  it('engine settings are checked together, the lease against the attempt timeout', () => {
    expect(sloEngineConfigFrom({ slos: 'x' }, {}).config).toMatchObject({ interval: 30, deliveryInterval: 5, notificationMaxAge: 86_400, notificationTimeout: 10, notificationLease: 120 });
    try {
      sloEngineConfigFrom({ interval: '0s', 'notification-timeout': '10s', 'notification-lease': '5s' }, {});
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        '--slos / BURNRATE_SLOS: a YAML file or a directory of SLO files is required',
        '--interval / BURNRATE_SLO_INTERVAL: "0s" is not a tick interval duration of at least 1s (such as 30s, 1m, 24h)',
      ]);
    }
    expect(() => sloEngineConfigFrom({ slos: 'x', 'notification-timeout': '10s', 'notification-lease': '5s' }, {})).toThrow(
      '--notification-lease / BURNRATE_NOTIFICATION_LEASE: must be longer than the notification timeout plus 1s: a claim must outlive the attempt it covers',
    );
  });

  it('--shard i/n / BURNRATE_SLO_SHARD (issue 15): flag over env, default all SLOs, bad values reported with the others', () => {
    expect(sloEngineConfigFrom({ slos: 'x' }, {}).config.shard).toEqual({ index: 0, count: 1 });
    expect(sloEngineConfigFrom({ slos: 'x' }, { BURNRATE_SLO_SHARD: '1/4' }).config.shard).toEqual({ index: 1, count: 4 });
    expect(sloEngineConfigFrom({ slos: 'x', shard: '2/3' }, { BURNRATE_SLO_SHARD: '1/4' }).config.shard).toEqual({ index: 2, count: 3 });
    try {
      sloEngineConfigFrom({ interval: '0s', shard: '2/2' }, {});
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        '--slos / BURNRATE_SLOS: a YAML file or a directory of SLO files is required',
        '--interval / BURNRATE_SLO_INTERVAL: "0s" is not a tick interval duration of at least 1s (such as 30s, 1m, 24h)',
        '--shard / BURNRATE_SLO_SHARD: "2/2": the index must be below the number of shards (0 … 1)',
      ]);
    }
    for (const bad of ['1', 'a/b', '0/0', '-1/2', '1/2/3']) expect(() => sloEngineConfigFrom({ slos: 'x', shard: bad }, {}), bad).toThrow(/--shard \/ BURNRATE_SLO_SHARD: /);
  });

  it('SLO ids hash to shards stably and about evenly (issue 15)', () => {
    // Pinned: a change of the hash would move SLOs between running engines.
    expect(['checkout-availability', 'a', ''].map((id) => shardOf(id, 1000))).toEqual([968, 610, 610]);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) counts[shardOf(`slo-${i}`, 4)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(2300);
    const all = Array.from({ length: 100 }, (_, i) => ({ id: `s${i}` }));
    const parts = [0, 1, 2].map((index) => all.filter(inShard({ index, count: 3 })).map((s) => s.id));
    expect(parts.flat().sort()).toEqual(all.map((s) => s.id).sort());
    expect(all.filter(inShard({ index: 0, count: 1 }))).toHaveLength(100);
  });
});

describe('burnrate validate (issue 12)', () => {
  it('prints warnings about tiers that can never fire and still exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slo-validate-'));
    writeFileSync(join(dir, 'lax.yaml'), 'id: lax\nservice: s\nobjective: 90\nperiod: 30d\nsli: { kind: availability }\n');
    const { code, lines } = await run([dir]);
    expect(code).toBe(0);
    expect(lines.slice(1)).toEqual([
      `warning: ${join(dir, 'lax.yaml')}: SLO "lax": alerting.tiers[0] (page 1h/5m, 14.4x) can never fire: with a 90% objective it needs more than 144% of events to fail in both windows`,
      '1 SLO(s) valid, 1 warning(s)',
    ]);
  });

  it('with --tenants, an SLO that does not name its tenant is a problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slo-validate-'));
    writeFileSync(join(dir, 'a.yaml'), 'id: a\nservice: s\nobjective: 99\nperiod: 30d\nsli: { kind: availability }\n');
    await expect(run([dir, '--tenants', 'acme'])).rejects.toMatchObject({ problems: [expect.stringContaining('SLO "a" must name its tenant: the collector assigns tenants ("acme")')] });
  });
});
