import type { Command } from '../main.ts';
import { parseFlags } from '../options.ts';
import { ConfigError } from '../config-error.ts';
import { loadSlos, formatProblem } from '../../slo-engine/spec/load.ts';
import { formatDuration } from '../../slo-engine/math/duration.ts';

export const command: Command = {
  summary: 'check SLO files (burnrate YAML or OpenSLO v1) and list every problem',
  usage: 'usage: burnrate validate FILE_OR_DIR\n\nExits 0 when every SLO is valid, 2 with one line per problem (file:line: path: message).',
  async run(args) {
    const { positionals } = parseFlags(args, {}, true);
    if (positionals.length !== 1) throw new ConfigError(['give exactly one FILE_OR_DIR']);
    const { slos, problems } = loadSlos(positionals[0]!);
    if (problems.length) throw new ConfigError(problems.map(formatProblem));
    for (const s of slos) {
      const period = s.period.type === 'rolling' ? formatDuration(s.period.seconds) : `${s.period.unit} (${s.period.timeZone})`;
      console.log(`ok  ${s.id}  ${s.service}  ${s.objective}% over ${period}  ${s.sli.kind}  (${s.source.file})`);
    }
    console.log(`${slos.length} SLO(s) valid`);
    return 0;
  },
};
