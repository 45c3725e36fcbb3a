import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_MIGRATIONS } from '../../storage/migrations/index.ts';
import { MIGRATIONS_TABLE_DDL, clusterMigrationsTableDdl } from '../../storage/migrate.ts';
import { alter, renderStep, shardingKeysOf, SINGLE_NODE, table, view, type SchemaTarget } from '../../storage/cluster/ddl.ts';
import { DAY_PARTITIONED_TABLES, TABLES } from '../../storage/tables.ts';

// Every single-node statement, as burnrate sent it before the DDL builder existed (taken from the
// code at c54a37e, for an 18.16 and a current server; the current-server steps 111-116 as rendered
// after the merge, checked equal to their first text up to whitespace). Installed databases
// recorded these migrations as applied: their text must never change.
const SNAPSHOT = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'single-node-ddl.json'), 'utf8')) as Record<string, unknown>;
const CLUSTER: SchemaTarget = { kind: 'cluster', cluster: 'prod', database: 'burnrate' };
const stepsOf = (serverVersion: string) => ALL_MIGRATIONS.flatMap((m) => m.up({ serverVersion }));

describe('schema steps on one server', () => {
  for (const serverVersion of ['18.16.1', '26.7.1.1']) {
    it(`render byte for byte the statements burnrate always sent (${serverVersion})`, () => {
      const rendered = Object.fromEntries(ALL_MIGRATIONS.map((m) => [`${m.version} ${m.name}`, m.up({ serverVersion }).map((s) => renderStep(s, SINGLE_NODE)[0])]));
      expect(rendered).toEqual(SNAPSHOT[serverVersion]);
    });
  }

  it('keep the migrations table as it was', () => {
    expect([MIGRATIONS_TABLE_DDL]).toEqual(SNAPSHOT.schema_migrations);
  });
});

describe('schema steps on a cluster', () => {
  it('make a local Replicated table with a documented ZooKeeper path and a Distributed table under the name the code reads', () => {
    const step = table({ name: 'slo_x', columns: '\n        slo_id String,\n        version UInt64\n      ', engine: 'ReplacingMergeTree', engineArgs: 'version', partitionBy: 'toYYYYMMDD(t)', orderBy: '(slo_id)', shardingKey: 'cityHash64(slo_id)' });
    expect(renderStep(step, CLUSTER)).toEqual([
      "CREATE TABLE IF NOT EXISTS `burnrate`.`slo_x_local` ON CLUSTER `prod` (\n        slo_id String,\n        version UInt64\n      ) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/prod/tables/{shard}/burnrate/slo_x_local', '{replica}', version)\n      PARTITION BY toYYYYMMDD(t)\n      ORDER BY (slo_id)\n      SETTINGS replicated_deduplication_window = 1000",
      "CREATE TABLE IF NOT EXISTS `burnrate`.`slo_x` ON CLUSTER `prod` AS `burnrate`.`slo_x_local` ENGINE = Distributed('prod', 'burnrate', 'slo_x_local', cityHash64(slo_id))",
    ]);
  });

  it('make materialized views read and write the local tables', () => {
    const step = view({ name: 'x_mv', to: 'x_index', from: 'x', select: (source) => `SELECT a FROM ${source}` });
    expect(renderStep(step, CLUSTER)).toEqual(['CREATE MATERIALIZED VIEW IF NOT EXISTS `burnrate`.`x_mv` ON CLUSTER `prod` TO `burnrate`.`x_index_local` AS\n        SELECT a FROM `burnrate`.`x_local`']);
    expect(renderStep(step, SINGLE_NODE)).toEqual(['CREATE MATERIALIZED VIEW IF NOT EXISTS x_mv TO x_index AS\n        SELECT a FROM x']);
  });

  it('alter the local tables, and recreate the Distributed table when columns change', () => {
    const keys = new Map([['spans', 'cityHash64(trace_id)']]);
    expect(renderStep(alter('spans', 'ADD INDEX idx trace_id TYPE bloom_filter GRANULARITY 4'), CLUSTER, keys)).toEqual([
      'ALTER TABLE `burnrate`.`spans_local` ON CLUSTER `prod` ADD INDEX idx trace_id TYPE bloom_filter GRANULARITY 4',
    ]);
    expect(renderStep(alter('spans', 'MODIFY COLUMN service_name LowCardinality(String)'), CLUSTER, keys)).toEqual([
      'ALTER TABLE `burnrate`.`spans_local` ON CLUSTER `prod` MODIFY COLUMN service_name LowCardinality(String)',
      'DROP TABLE IF EXISTS `burnrate`.`spans` ON CLUSTER `prod`',
      "CREATE TABLE IF NOT EXISTS `burnrate`.`spans` ON CLUSTER `prod` AS `burnrate`.`spans_local` ENGINE = Distributed('prod', 'burnrate', 'spans_local', cityHash64(trace_id))",
    ]);
    expect(renderStep(alter('spans', 'ADD COLUMN x String'), SINGLE_NODE)).toEqual(['ALTER TABLE spans ADD COLUMN x String']);
    expect(() => renderStep(alter('nowhere', 'ADD COLUMN x String'), CLUSTER, keys)).toThrow(/no sharding key known/);
  });

  it('shard spans, logs and both trace lookups by trace id, metric points by series and SLO tables by SLO id', () => {
    const keys = shardingKeysOf(stepsOf('18.16.1'));
    for (const t of [TABLES.spans, TABLES.traceIndex, TABLES.logsTraceIndex]) expect(keys.get(t), t).toBe('cityHash64(trace_id)');
    expect(keys.get(TABLES.logs)).toMatch(/cityHash64\(trace_id\)/);
    for (const t of [TABLES.metricsGauge, TABLES.metricsSum, TABLES.metricsHistogram, TABLES.metricsExpHistogram, TABLES.metricsSummary]) {
      expect(keys.get(t), t).toMatch(/^cityHash64\(\s*metric_name, scope_name, scope_version,.*attributes\.value/s);
    }
    for (const t of [TABLES.sloSli1m, TABLES.sloSli1h, TABLES.sloRollupCoverage, TABLES.sloDefinitions, TABLES.sloEvaluations, TABLES.sloAlertState, TABLES.sloNotifications]) expect(keys.get(t), t).toBe('cityHash64(slo_id)');
  });

  it('give every table the code reads a Distributed table, and every day-partitioned table a local one retention can drop from', () => {
    const statements = stepsOf('18.16.1').flatMap((s) => renderStep(s, CLUSTER, shardingKeysOf(stepsOf('18.16.1'))));
    const distributed = statements.filter((s) => s.includes('ENGINE = Distributed(')).map((s) => /`burnrate`\.`(\w+)` ON CLUSTER/.exec(s)![1]);
    const names = Object.values(TABLES).filter((t) => t !== TABLES.migrations);
    expect(distributed.sort()).toEqual([...names].sort());
    for (const t of DAY_PARTITIONED_TABLES) expect(statements.some((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS \`burnrate\`.\`${t}_local\``)), t).toBe(true);
    // Nothing is created without ON CLUSTER, and no view reads a Distributed table.
    expect(statements.every((s) => s.includes(' ON CLUSTER `prod`'))).toBe(true);
    for (const s of statements.filter((x) => x.startsWith('CREATE MATERIALIZED VIEW'))) expect(s).toMatch(/FROM `burnrate`\.`\w+_local`/);
  });

  it('keep the migrations table on every node as one replicated table', () => {
    expect(clusterMigrationsTableDdl('burnrate', 'prod')).toBe(
      "CREATE TABLE IF NOT EXISTS `burnrate`.`schema_migrations` ON CLUSTER `prod` (\n    version UInt32,\n    name String,\n    applied_at DateTime\n  ) ENGINE = ReplicatedMergeTree('/clickhouse/prod/tables/all/burnrate/schema_migrations', '{shard}_{replica}') ORDER BY version",
    );
  });
});
