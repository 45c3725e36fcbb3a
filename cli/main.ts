import { readFileSync } from 'node:fs';
import { ConfigError } from '../runtime/config-error.ts';
import { exitWithParent } from '../runtime/exit-with-parent.ts';

export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

// Commands load lazily so `burnrate validate` does not pay for the collector's imports.
const COMMANDS: Record<string, () => Promise<{ command: Command }>> = {
  migrate: () => import('./commands/migrate.ts'),
  collector: () => import('./commands/collector.ts'),
  spool: () => import('./commands/spool.ts'),
  retention: () => import('./commands/retention.ts'),
  'slo-engine': () => import('./commands/slo-engine.ts'),
  validate: () => import('./commands/validate.ts'),
  status: () => import('./commands/status.ts'),
  backtest: () => import('./commands/backtest.ts'),
  sql: () => import('./commands/sql.ts'),
  demo: () => import('./commands/demo.ts'),
  'webhook-sink': () => import('./commands/webhook-sink.ts'),
};

async function help(): Promise<string> {
  const lines = ['usage: burnrate <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(14)} ${command.summary}`);
  }
  lines.push('', 'Run `burnrate <command> --help` for its options, `burnrate --version` for the version.');
  return lines.join('\n');
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A reader that closed its end (`burnrate status | head`) ends the command quietly, as Unix tools do. */
function quietOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedOutput();
  exitWithParent();
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(`burnrate ${version()} (Node ${process.versions.node})`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`burnrate: unknown command "${name}"\n\n${await help()}`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`burnrate ${name}: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
      return 2;
    }
    console.error(`burnrate ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
