/** How rows of one kind become TabSeparated lines of one ClickHouse table. */
export interface TableSpec<Row> {
  table: string;
  columns: readonly string[];
  toTsv(row: Row): string;
}
