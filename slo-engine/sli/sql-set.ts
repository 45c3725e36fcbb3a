import { joinSql, sql, type SqlFragment } from '../../storage/sql.ts';

/**
 * `('a', 'b', ...)` for `column IN ...`. ClickHouse builds a hash set for IN; `has([...], column)`
 * scans the array per row (measured: 100x slower with 1,000 SLO ids over 43M rows).
 */
export function inSet(values: readonly string[]): SqlFragment {
  if (values.length === 0) throw new Error('empty IN set');
  return sql`(${joinSql(values.map((v) => sql`${v}`), ', ')})`;
}
