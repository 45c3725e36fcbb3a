import type { SchemaStep } from '../cluster/ddl.ts';

export interface MigrationContext {
  /** Server version, e.g. "18.16.1" or "25.3.2.39": modern-only steps check it. */
  serverVersion: string;
}

export interface Migration {
  /** Unique, never reused. Ranges: 100s traces, 200s metrics, 300s logs, 400s SLO engine. */
  version: number;
  name: string;
  /**
   * Idempotent steps (IF NOT EXISTS), run in order. Each is a description (storage/cluster/ddl.ts)
   * that renders the single-node statement or its cluster form: one table, one concern per step.
   */
  up(ctx: MigrationContext): SchemaStep[];
}
