import type { RowBinaryWriter } from '../rows/row-binary.ts';

/** Where encoded rows go: table, column list and the insert format of the body. */
export interface InsertTarget {
  table: string;
  columns: readonly string[];
  format: 'RowBinary';
}

/** How rows of one kind become RowBinary rows of one table (the insert format; see bench/insert-formats.ts). */
export interface TableSpec<Row> {
  table: string;
  columns: readonly string[];
  writeRowBinary(w: RowBinaryWriter, row: Row): void;
}
