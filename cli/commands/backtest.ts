import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { connectChecked } from '../clickhouse-connect.ts';
import { iso, loadSlosOrThrow, parseTime } from '../../slo-engine/cli-support.ts';
import { backtest } from '../../slo-engine/backtest.ts';
import { parseDuration } from '../../slo-engine/math/duration.ts';

export const command: Command = {
  summary: 'replay SLO evaluations over stored history and print every alert transition',
  usage: `usage: burnrate backtest --slos FILE_OR_DIR --from T1 [--to T2] [--step 1m] [--json]

Counts the SLIs over the range (from the stored spans) where they are missing, then evaluates at
every step with the engine's code path, alert state starting inactive. Nothing is sent; the only
writes are per-minute counts of settled minutes (older than 10 minutes), which the engine would
count the same way. T: ISO 8601, epoch seconds, "now" or relative ("-2h", "--from -1h" works);
--to defaults to now. --step is whole minutes: counts are per minute, so an evaluation can change
only once a minute.

${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, {
      ...CLICKHOUSE_OPTIONS,
      slos: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      step: { type: 'string', default: '1m' },
      json: { type: 'boolean', default: false },
    });
    const now = Math.floor(Date.now() / 1000);
    const problems: string[] = [];
    const time = (flag: 'from' | 'to') => {
      const text = values[flag] ?? (flag === 'to' ? 'now' : undefined);
      if (!text) return void problems.push(`--${flag}: required`);
      try {
        return parseTime(text, now, `--${flag}`);
      } catch (err) {
        problems.push(...(err as ConfigError).problems);
      }
    };
    const from = time('from');
    const to = time('to');
    const step = parseDuration(values.step!);
    if (!step || step % 60 !== 0) problems.push(`--step: "${values.step}" is not a whole number of minutes (1m, 5m): counts are per minute, so evaluations change at most once a minute`);
    if (from !== undefined && to !== undefined && from > to) problems.push('--from must not be after --to');
    if (from !== undefined && to !== undefined && step && (to - from) / step > 100_000) problems.push('--from/--to/--step: more than 100,000 steps');
    let slos: ReturnType<typeof loadSlosOrThrow> = { slos: [], warnings: [] };
    try {
      slos = loadSlosOrThrow(values.slos);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
    if (problems.length) throw new ConfigError(problems);
    const config = clickhouseFromFlags(values);
    const ch = await connectChecked(config);
    try {
      const result = await backtest(ch, slos.slos, { from: from!, to: to!, stepSeconds: step!, now });
      if (values.json) {
        console.log(
          JSON.stringify(
            {
              from: iso(from!),
              to: iso(to!),
              step: values.step,
              evaluations: result.evaluations,
              errors: result.errors,
              warnings: result.warnings,
              transitions: result.transitions.map((t) => ({ time: iso(t.at), slo: t.sloId, severity: t.kind, tier: t.tier ?? null, status: t.status, startsAt: iso(t.startsAt) })),
            },
            null,
            2,
          ),
        );
        return result.errors.length ? 1 : 0;
      }
      for (const e of result.errors) console.log(`error  ${e.sloId}: ${e.error}`);
      for (const w of result.warnings) console.log(`warning  ${w.sloId}: ${w.warning}`);
      for (const t of result.transitions) {
        console.log(`${iso(t.at)}  ${t.sloId}  ${t.kind.padEnd(7)} ${t.status.padEnd(8)} ${t.tier ?? ''}`.trimEnd());
      }
      console.log(`${result.transitions.length} transition(s) in ${result.evaluations} evaluation(s) from ${iso(from!)} to ${iso(to!)} every ${values.step}`);
      return result.errors.length ? 1 : 0;
    } finally {
      await ch.close();
    }
  },
};
