import type { Migration } from './types.ts';
import { tracesMigrations } from './traces.ts';
import { sloMigrations } from './slo.ts';
import { metricsMigrations } from './metrics.ts';
import { logsMigrations } from './logs.ts';

export const ALL_MIGRATIONS: Migration[] = [...tracesMigrations, ...sloMigrations, ...metricsMigrations, ...logsMigrations].sort((a, b) => a.version - b.version);
