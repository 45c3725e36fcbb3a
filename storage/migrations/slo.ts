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
];
