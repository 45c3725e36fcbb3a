import type { Migration } from './types.ts';
import { TABLES } from '../tables.ts';
import { table } from '../cluster/ddl.ts';

// SLO engine tables. Portable to ClickHouse 18.16: no TTL (day partitions + retention job), no Map,
// no low-cardinality or 64-bit datetime types. Replacing tables are read with FINAL: a re-counted minute or a
// newer alert state replaces the older row instead of adding to it.
//
// In a cluster every SLO table is sharded by SLO id: FINAL deduplicates within a shard only, and an
// SLO's counts, state and notifications are read together.
const BY_SLO = 'cityHash64(slo_id)';
export const sloMigrations: Migration[] = [
  {
    version: 401,
    name: 'SLO per-minute good/total counts',
    up: () => [
      table({
        name: TABLES.sloSli1m,
        columns: `
        slo_id String,
        sli_hash String,
        minute DateTime,
        good UInt64,
        total UInt64,
        version UInt64
      `,
        engine: 'ReplacingMergeTree',
        engineArgs: 'version',
        partitionBy: 'toYYYYMMDD(minute)',
        orderBy: '(slo_id, sli_hash, minute)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 402,
    name: 'SLO definitions and counted ranges',
    up: () => [
      table({
        name: TABLES.sloDefinitions,
        columns: `
        slo_id String,
        sli_hash String,
        service String,
        name String,
        spec String,
        counted_from DateTime,
        counted_until DateTime,
        updated DateTime,
        version UInt64
      `,
        engine: 'ReplacingMergeTree',
        engineArgs: 'version',
        orderBy: '(slo_id, sli_hash)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 403,
    name: 'SLO evaluations',
    up: () => [
      table({
        name: TABLES.sloEvaluations,
        columns: `
        time DateTime,
        window_end DateTime,
        slo_id String,
        service String,
        slo_name String,
        objective Float64,
        period String,
        period_start DateTime,
        period_good UInt64,
        period_total UInt64,
        sli Nullable(Float64),
        budget_remaining Nullable(Float64),
        time_to_exhaustion_seconds Nullable(Float64),
        no_data UInt8,
        window_seconds Array(UInt32),
        window_good Array(UInt64),
        window_total Array(UInt64),
        window_sli Array(Nullable(Float64)),
        window_burn_rate Array(Nullable(Float64)),
        tier_severity Array(String),
        tier_long_seconds Array(UInt32),
        tier_short_seconds Array(UInt32),
        tier_factor Array(Float64),
        tier_condition Array(String),
        alert_kind Array(String),
        alert_status Array(String),
        page_firing UInt8,
        ticket_firing UInt8
      `,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMMDD(time)',
        orderBy: '(slo_id, time)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 404,
    name: 'SLO alert state',
    up: () => [
      table({
        name: TABLES.sloAlertState,
        columns: `
        slo_id String,
        kind String,
        status String,
        since DateTime,
        updated DateTime,
        no_data_since DateTime,
        version UInt64
      `,
        engine: 'ReplacingMergeTree',
        engineArgs: 'version',
        orderBy: '(slo_id, kind)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 405,
    name: 'SLO notification attempts',
    up: () => [
      table({
        name: TABLES.sloNotifications,
        columns: `
        time DateTime,
        slo_id String,
        kind String,
        event String,
        channel String,
        dedup_key String,
        replica String,
        outcome String,
        http_status UInt16,
        attempts UInt8,
        error String
      `,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMMDD(time)',
        orderBy: '(dedup_key, time)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 406,
    name: 'SLO counted minute ranges',
    // One row per counted range; ranges sharing a start keep the longest (the version is the end).
    // The counted set is the union of the rows: never a hull (see slo-engine/sli/coverage.ts).
    up: () => [
      table({
        name: TABLES.sloCoverage,
        columns: `
        slo_id String,
        sli_hash String,
        range_from DateTime,
        range_until DateTime,
        counted_at DateTime
      `,
        engine: 'ReplacingMergeTree',
        engineArgs: 'range_until',
        orderBy: '(slo_id, sli_hash, range_from)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 407,
    name: 'SLO notification outbox',
    // One notification (transition x channel) per dedup key; every state change is a new row with a
    // higher version (attempt x 4 + outcome rank), read with argMax (see slo-engine/notify/outbox.ts).
    up: () => [
      table({
        name: TABLES.sloOutbox,
        columns: `
        dedup_key String,
        slo_id String,
        kind String,
        event String,
        channel String,
        transition_at DateTime,
        created DateTime,
        payload String,
        status String,
        attempts UInt32,
        next_attempt DateTime,
        http_status UInt16,
        error String,
        replica String,
        updated DateTime,
        version UInt64
      `,
        engine: 'ReplacingMergeTree',
        engineArgs: 'version',
        partitionBy: 'toYYYYMMDD(created)',
        orderBy: 'dedup_key',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 408,
    name: 'SLO notification delivery claims',
    // Replicas claim (dedup key, attempt) before sending; the earliest live claim wins (server time).
    up: () => [
      table({
        name: TABLES.sloDeliveryClaims,
        columns: `
        time DateTime,
        dedup_key String,
        attempt UInt32,
        replica String
      `,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMMDD(time)',
        orderBy: '(dedup_key, attempt, time)',
        // A delivery's claims on one shard, read from its first live replica by every engine.
        shardingKey: 'cityHash64(dedup_key)',
      }),
    ],
  },
  {
    version: 409,
    name: 'SLO alert transitions',
    // Every firing/resolved transition, for `status` (since when, inhibition after a page) and UIs.
    up: () => [
      table({
        name: TABLES.sloTransitions,
        columns: `
        at DateTime,
        slo_id String,
        kind String,
        status String,
        previous_since DateTime,
        replica String
      `,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMMDD(at)',
        orderBy: '(slo_id, kind, at)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 410,
    name: 'SLO hourly sums of settled minutes',
    // Exact sums of slo_sli_1m per (SLO, SLI hash, hour), hours aligned to epoch hours (not the
    // server's zone). Written by the engine from settled minutes read with FINAL, never by a
    // materialized view (one over a ReplacingMergeTree source would add every re-count); a re-write
    // replaces the row. first_minute: the hour's first minute with events (0 when none).
    // In a cluster on the shard of the SLO's minutes (FINAL deduplicates within a shard).
    up: () => [
      table({
        name: TABLES.sloSli1h,
        columns: `
        slo_id String,
        sli_hash String,
        hour DateTime,
        good UInt64,
        total UInt64,
        first_minute DateTime,
        version UInt64
      `,
        engine: 'ReplacingMergeTree',
        engineArgs: 'version',
        partitionBy: 'toYYYYMMDD(hour)',
        orderBy: '(slo_id, sli_hash, hour)',
        shardingKey: BY_SLO,
      }),
    ],
  },
  {
    version: 411,
    name: 'SLO hours summed into slo_sli_1h',
    // Which hours of slo_sli_1h are complete, as ranges per (SLO id, SLI hash) like slo_coverage:
    // recorded after the rows are written, so a recorded hour is always there to be read.
    up: () => [
      table({
        name: TABLES.sloRollupCoverage,
        columns: `
        slo_id String,
        sli_hash String,
        range_from DateTime,
        range_until DateTime,
        counted_at DateTime
      `,
        engine: 'ReplacingMergeTree',
        engineArgs: 'range_until',
        orderBy: '(slo_id, sli_hash, range_from)',
        shardingKey: BY_SLO,
      }),
    ],
  },
];
