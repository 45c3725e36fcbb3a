import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints, after vitest's own summary, how many tests ran on each ClickHouse engine, and says loudly
 * when the clickhouse-server half was left out (see vitest.config.ts).
 */
export class EngineSummaryReporter implements Reporter {
  constructor(
    private readonly skippedServer: string | undefined,
    private readonly skippedCluster?: string | undefined,
  ) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const byProject = new Map<string, { files: number; passed: number; failed: number; skipped: number }>();
    for (const module of modules) {
      const row = byProject.get(module.project.name) ?? { files: 0, passed: 0, failed: 0, skipped: 0 };
      row.files++;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') row.passed++;
        else if (state === 'failed') row.failed++;
        else row.skipped++;
      }
      byProject.set(module.project.name, row);
    }
    const lines = ['', 'Tests per engine:'];
    for (const [name, r] of [...byProject].sort()) {
      lines.push(`  ${name.padEnd(28)} ${String(r.passed).padStart(4)} passed, ${r.failed} failed, ${r.skipped} skipped in ${r.files} files`);
    }
    if (this.skippedServer) lines.push(`  !!! ClickHouse 18.16 (clickhouse-server) tests were NOT run: ${this.skippedServer}`);
    if (this.skippedCluster) lines.push(`  !!! ClickHouse cluster tests (test/cluster) were NOT run: ${this.skippedCluster}`);
    process.stdout.write(lines.join('\n') + '\n\n');
  }
}
