import type { Migration } from './types.ts';
import { tracesMigrations } from './traces.ts';

export const ALL_MIGRATIONS: Migration[] = [...tracesMigrations].sort((a, b) => a.version - b.version);
