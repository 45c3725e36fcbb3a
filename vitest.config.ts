import { defineConfig } from 'vitest/config';
import { findClickhouseBinary } from './storage/local-server.ts';
import { EngineSummaryReporter } from './test/support/engine-summary.ts';
import { zookeeperMissing } from './test/support/zookeeper.ts';

// Every ClickHouse test runs twice in one `npm test`: on Debian's clickhouse-server 18.16 (the oldest
// version we support, a real server process) and on the embedded current engine (chdb, 26.x). Both
// run in a time zone other than UTC, on purpose. A machine without clickhouse-server (a laptop)
// runs the embedded half and says so; under CI=true that is an error.
const ci = process.env.CI === 'true' || process.env.CI === '1';
const serverMissing = findClickhouseBinary() ? undefined : 'clickhouse-server is not installed (apt-get install -y clickhouse-server clickhouse-client)';
if (serverMissing && ci) throw new Error(`CI=true: ${serverMissing}; the 18.16 half of the suite must run in CI.`);
if (serverMissing) {
  process.stderr.write(`\n${'!'.repeat(100)}\n!!! ${serverMissing}.\n!!! The ClickHouse 18.16 half of the test suite is SKIPPED; only the embedded current engine runs.\n${'!'.repeat(100)}\n\n`);
}

// The cluster project (test/cluster/**): ZooKeeper and four clickhouse-server 18.16 processes (2
// shards x 2 replicas) started by each file. 18.16 only: the embedded engine (chdb) has no cluster,
// no ZooKeeper and no Distributed tables across processes. Needs Debian's `zookeeper` package.
const clusterMissing = serverMissing ?? zookeeperMissing();
if (clusterMissing && ci) throw new Error(`CI=true: ${clusterMissing}; the cluster tests must run in CI (.ci/run installs it).`);
if (clusterMissing && !serverMissing) {
  process.stderr.write(`\n${'!'.repeat(100)}\n!!! ${clusterMissing}.\n!!! The ClickHouse cluster tests (test/cluster) are SKIPPED.\n${'!'.repeat(100)}\n\n`);
}

const withClickhouse = (name: string, include: string, engine: 'server' | 'embedded', timezone: string) => ({
  extends: true as const,
  test: {
    name,
    include: [include],
    globalSetup: ['test/support/global-setup.ts'],
    provide: { clickhouseEngine: engine, clickhouseTimezone: timezone },
  },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: the ClickHouse engines and the test files share them.
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default', new EngineSummaryReporter(serverMissing, clusterMissing)],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      ...(serverMissing ? [] : [withClickhouse('clickhouse-18.16', 'test/integration/**/*.test.ts', 'server', 'Europe/Berlin')]),
      withClickhouse('clickhouse-embedded', 'test/integration/**/*.test.ts', 'embedded', 'America/Los_Angeles'),
      // Pages in a real headless Chromium. Their data functions run on both engines in test/integration;
      // the browser drives the pages once, on the current engine.
      withClickhouse('browser', 'test/browser/**/*.test.ts', 'embedded', 'America/Los_Angeles'),
      // A real local cluster, 18.16 only (see above); each file starts its own and times its faults.
      ...(clusterMissing ? [] : [{ extends: true as const, test: { name: 'cluster', include: ['test/cluster/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 120_000, provide: { clickhouseTimezone: 'Europe/Berlin' } } }]),
    ],
  },
});
