import { inject } from 'vitest';
import { startPrivateClickhouse, type LocalClickhouse } from '../../storage/local-clickhouse.ts';

/** A private ClickHouse of the engine this test file runs on (for tests that stop, pause or kill it). */
export function startTestClickhouse(dir: string): Promise<LocalClickhouse> {
  return startPrivateClickhouse(inject('clickhouseEngine'), { dir, timezone: inject('clickhouseTimezone') });
}
