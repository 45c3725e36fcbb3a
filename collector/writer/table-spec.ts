import type { RowBinaryWriter } from '../rows/row-binary.ts';

/** Where encoded rows go: table, column list and the insert format of the body. */
export interface InsertTarget {
  table: string;
  columns: readonly string[];
  format: 'RowBinary' | 'TabSeparated';
}

/** Rows of one kind as RowBinary (preferred: measured fastest) ... */
export interface RowBinaryTableSpec<Row> {
  table: string;
  columns: readonly string[];
  writeRowBinary(w: RowBinaryWriter, row: Row): void;
}

/** ... or as TabSeparated lines. */
export interface TsvTableSpec<Row> {
  table: string;
  columns: readonly string[];
  toTsv(row: Row): string;
}

export type TableSpec<Row> = RowBinaryTableSpec<Row> | TsvTableSpec<Row>;
