import { decodeTracesProto } from '../decode/traces-proto.ts';
import { decodeTracesJson } from '../decode/traces-json.ts';
import { transcodeTracesProto } from '../decode/traces-transcode.ts';
import { SPAN_COLUMNS, writeSpanRow } from '../rows/spans-row-binary.ts';
import { PayloadError, type SpanRow } from '../rows/types.ts';
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
  transcodeProto(body, options) {
    try {
      const { body: rows, rows: accepted, rejected, errorMessage } = transcodeTracesProto(body, options);
      const batches = accepted > 0 ? [{ spec: { table: SPANS_TABLE.table, columns: SPANS_TABLE.columns, format: 'RowBinary' as const }, body: rows, rows: accepted }] : [];
      return { batches, accepted, rejected, errorMessage };
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      // Undecodable: the decoder words the error (it walks the bytes in a different order, so the
      // first problem it meets can differ).
      const decoded = decodeTracesProto(body, options);
      return { batches: tracesSignal.encode(decoded.rows), accepted: decoded.rows.length, rejected: decoded.rejected, errorMessage: decoded.errorMessage };
    }
  },
};
