import type { Command } from '../main.ts';
import { declaredTenants, parseFlags, TENANT_OPTIONS, TENANTS_USAGE } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { loadSlos, formatProblem } from '../../slo-engine/spec/load.ts';
import { formatDuration } from '../../slo-engine/math/duration.ts';

export const command: Command = {
  summary: 'check SLO files (burnrate YAML or OpenSLO v1) and list every problem',
  usage: `usage: burnrate validate FILE_OR_DIR [--tenants a,b]

Exits 0 when every SLO is valid (warnings, such as tiers that can never fire, are printed but do
not fail), 2 with one line per problem (file:line: path: message).

${TENANTS_USAGE}`,
  async run(args) {
    const { positionals, values } = parseFlags(args, { ...TENANT_OPTIONS }, true);
    if (positionals.length !== 1) throw new ConfigError(['give exactly one FILE_OR_DIR']);
    const { slos, problems, warnings } = loadSlos(positionals[0]!, { tenants: declaredTenants(values, process.env) });
    if (problems.length) throw new ConfigError(problems.map(formatProblem));
    for (const s of slos) {
      const period = s.period.type === 'rolling' ? formatDuration(s.period.seconds) : `${s.period.unit} (${s.period.timeZone})`;
      console.log(`ok  ${s.id}  ${s.service}  ${s.objective}% over ${period}  ${s.sli.kind}  (${s.source.file})`);
    }
    for (const w of warnings) console.log(`warning: ${formatProblem(w)}`);
    console.log(`${slos.length} SLO(s) valid${warnings.length ? `, ${warnings.length} warning(s)` : ''}`);
    return 0;
  },
};
