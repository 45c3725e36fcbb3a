import { decodeLogsJson } from '../decode/logs-json.ts';
import { decodeLogsProto } from '../decode/logs-proto.ts';
import { LOG_COLUMNS, writeLogRow, type LogRow } from '../rows/log-rows.ts';
import { encodeRows } from '../writer/batch-writer.ts';
import type { TableSpec } from '../writer/table-spec.ts';
import type { SignalSpec } from './signal.ts';
import { TABLES } from '../../storage/tables.ts';

export const LOGS_TABLE: TableSpec<LogRow> = { table: TABLES.logs, columns: LOG_COLUMNS, writeRowBinary: writeLogRow };

export const logsSignal: SignalSpec<LogRow> = {
  signal: 'logs',
  path: '/v1/logs',
  items: 'log records',
  rejectedJsonField: 'rejectedLogRecords',
  decodeProto: decodeLogsProto,
  decodeJson: decodeLogsJson,
  encode: (rows) => (rows.length ? [encodeRows(LOGS_TABLE, rows)] : []),
  count: (rows) => rows.length,
};
