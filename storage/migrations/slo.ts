import type { Migration } from './types.ts';
import { TABLES } from '../tables.ts';

// SLO engine tables. Portable to ClickHouse 18.16: no TTL (day partitions + retention job), no Map,
// no low-cardinality or 64-bit datetime types. Replacing tables are read with FINAL: a re-counted minute or a
// newer alert state replaces the older row instead of adding to it.
export const sloMigrations: Migration[] = [
  {
    version: 401,
    name: 'SLO per-minute good/total counts',
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloSli1m} (
        slo_id String,
        sli_hash String,
        minute DateTime,
        good UInt64,
        total UInt64,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      PARTITION BY toYYYYMMDD(minute)
      ORDER BY (slo_id, sli_hash, minute)`,
    ],
  },
  {
    version: 402,
    name: 'SLO definitions and counted ranges',
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloDefinitions} (
        slo_id String,
        sli_hash String,
        service String,
        name String,
        spec String,
        counted_from DateTime,
        counted_until DateTime,
        updated DateTime,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (slo_id, sli_hash)`,
    ],
  },
  {
    version: 403,
    name: 'SLO evaluations',
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloEvaluations} (
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
      ) ENGINE = MergeTree()
      PARTITION BY toYYYYMMDD(time)
      ORDER BY (slo_id, time)`,
    ],
  },
  {
    version: 404,
    name: 'SLO alert state',
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloAlertState} (
        slo_id String,
        kind String,
        status String,
        since DateTime,
        updated DateTime,
        no_data_since DateTime,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      ORDER BY (slo_id, kind)`,
    ],
  },
  {
    version: 405,
    name: 'SLO notification attempts',
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloNotifications} (
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
      ) ENGINE = MergeTree()
      PARTITION BY toYYYYMMDD(time)
      ORDER BY (dedup_key, time)`,
    ],
  },
  {
    version: 406,
    name: 'SLO counted minute ranges',
    // One row per counted range; ranges sharing a start keep the longest (the version is the end).
    // The counted set is the union of the rows: never a hull (see slo-engine/sli/coverage.ts).
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloCoverage} (
        slo_id String,
        sli_hash String,
        range_from DateTime,
        range_until DateTime,
        counted_at DateTime
      ) ENGINE = ReplacingMergeTree(range_until)
      ORDER BY (slo_id, sli_hash, range_from)`,
    ],
  },
  {
    version: 407,
    name: 'SLO notification outbox',
    // One notification (transition x channel) per dedup key; every state change is a new row with a
    // higher version (attempt x 4 + outcome rank), read with argMax (see slo-engine/notify/outbox.ts).
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloOutbox} (
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
      ) ENGINE = ReplacingMergeTree(version)
      PARTITION BY toYYYYMMDD(created)
      ORDER BY dedup_key`,
    ],
  },
  {
    version: 408,
    name: 'SLO notification delivery claims',
    // Replicas claim (dedup key, attempt) before sending; the earliest live claim wins (server time).
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloDeliveryClaims} (
        time DateTime,
        dedup_key String,
        attempt UInt32,
        replica String
      ) ENGINE = MergeTree()
      PARTITION BY toYYYYMMDD(time)
      ORDER BY (dedup_key, attempt, time)`,
    ],
  },
  {
    version: 409,
    name: 'SLO alert transitions',
    // Every firing/resolved transition, for `status` (since when, inhibition after a page) and UIs.
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloTransitions} (
        at DateTime,
        slo_id String,
        kind String,
        status String,
        previous_since DateTime,
        replica String
      ) ENGINE = MergeTree()
      PARTITION BY toYYYYMMDD(at)
      ORDER BY (slo_id, kind, at)`,
    ],
  },
  {
    version: 410,
    name: 'SLO hourly sums of settled minutes',
    // Exact sums of slo_sli_1m per (SLO, SLI hash, hour), hours aligned to epoch hours (not the
    // server's zone). Written by the engine from settled minutes read with FINAL, never by a
    // materialized view (one over a ReplacingMergeTree source would add every re-count); a re-write
    // replaces the row. first_minute: the hour's first minute with events (0 when none).
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloSli1h} (
        slo_id String,
        sli_hash String,
        hour DateTime,
        good UInt64,
        total UInt64,
        first_minute DateTime,
        version UInt64
      ) ENGINE = ReplacingMergeTree(version)
      PARTITION BY toYYYYMMDD(hour)
      ORDER BY (slo_id, sli_hash, hour)`,
    ],
  },
  {
    version: 411,
    name: 'SLO hours summed into slo_sli_1h',
    // Which hours of slo_sli_1h are complete, as ranges per (SLO id, SLI hash) like slo_coverage:
    // recorded after the rows are written, so a recorded hour is always there to be read.
    up: () => [
      `CREATE TABLE IF NOT EXISTS ${TABLES.sloRollupCoverage} (
        slo_id String,
        sli_hash String,
        range_from DateTime,
        range_until DateTime,
        counted_at DateTime
      ) ENGINE = ReplacingMergeTree(range_until)
      ORDER BY (slo_id, sli_hash, range_from)`,
    ],
  },
];
