import { decodeTracesProto } from '../decode/traces-proto.ts';
import { decodeTracesJson } from '../decode/traces-json.ts';
import { SPAN_COLUMNS, writeSpanRow } from '../rows/spans-row-binary.ts';
import type { SpanRow } from '../rows/types.ts';
import { encodeRows } from '../writer/batch-writer.ts';
import type { TableSpec } from '../writer/table-spec.ts';
import type { SignalSpec } from './signal.ts';
import { TABLES } from '../../storage/tables.ts';

export const SPANS_TABLE: TableSpec<SpanRow> = { table: TABLES.spans, columns: SPAN_COLUMNS, writeRowBinary: writeSpanRow };

export const tracesSignal: SignalSpec<SpanRow> = {
  signal: 'traces',
  path: '/v1/traces',
  items: 'spans',
  rejectedJsonField: 'rejectedSpans',
  decodeProto: decodeTracesProto,
  decodeJson: decodeTracesJson,
  encode: (rows) => (rows.length ? [encodeRows(SPANS_TABLE, rows)] : []),
  count: (rows) => rows.length,
};
