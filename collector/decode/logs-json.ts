import { newLogRow, type LogRow } from '../rows/log-rows.ts';
import type { DecodeLimits, DecodeOptions, DecodeResult } from '../rows/types.ts';
import { appendAttributesJson, readAnyValueJson, type AnyValueText } from './any-value.ts';
import { addDropped } from './counts.ts';
import { timesOf } from './item-times.ts';
import { FieldError, isObject, jsonArray, jsonEnum, jsonHexId, jsonString, jsonUint32, jsonUint64 } from './json-fields.ts';
import { deriveLogFields, logIdsProblem } from './log-fields.ts';
import { walkJsonEnvelope } from './otlp-common.ts';
import { Rejections } from './rejections.ts';

// OTLP/JSON ExportLogsServiceRequest into LogRows, with the same rows and rules as logs-proto.ts.
// Wrong types inside one log record (its fields, body, attribute values, ids that are not hex) reject
// that record; anywhere else (top level, resource, scope, the arrays holding them) they are a PayloadError.

/** Decodes an OTLP/JSON ExportLogsServiceRequest. Throws PayloadError for invalid JSON or shape. */
export function decodeLogsJson(body: string | Uint8Array, options: DecodeOptions): DecodeResult<LogRow> {
  const rows: LogRow[] = [];
  const rejections = new Rejections('log record');
  const times = timesOf(options);
  const scratch: AnyValueText = { type: 'empty', text: '' };
  walkJsonEnvelope(body, { request: 'ExportLogsServiceRequest', resourceList: 'resourceLogs', scopeList: 'scopeLogs', itemList: 'logRecords' }, options.limits, (record, resource, scope) => {
    const row = newLogRow(options.tenant, resource, scope);
    const problem = readLogRecord(record, row, options.limits, scratch) || deriveLogFields(row, times);
    if (problem !== '') return rejections.add(problem);
    rows.push(row);
  });
  return { rows, rejected: rejections.count, errorMessage: rejections.message() };
}

/** Fills `row` from one JSON log record; returns why it is rejected, or ''. */
function readLogRecord(record: unknown, row: LogRow, limits: DecodeLimits, scratch: AnyValueText): string {
  try {
    if (!isObject(record)) throw new FieldError('log record must be an object');
    row.traceId = jsonHexId(record, 'traceId');
    row.spanId = jsonHexId(record, 'spanId');
    const problem = logIdsProblem(row);
    if (problem !== '') return problem;
    row.timeNs = jsonUint64(record, 'timeUnixNano');
    row.observedTimeNs = jsonUint64(record, 'observedTimeUnixNano');
    row.severityNumber = jsonEnum(record, 'severityNumber');
    row.severityText = jsonString(record, 'severityText');
    readAnyValueJson(record.body, limits, scratch);
    row.body = scratch.text;
    row.bodyType = scratch.type;
    const overLimit = appendAttributesJson(jsonArray(record, 'attributes'), row.attributes, limits);
    row.droppedAttributesCount = addDropped(jsonUint32(record, 'droppedAttributesCount'), overLimit);
    row.flags = jsonUint32(record, 'flags');
    row.eventName = jsonString(record, 'eventName');
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
  return '';
}
