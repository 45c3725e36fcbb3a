import { newLogRow, type LogRow } from '../rows/log-rows.ts';
import type { DecodeLimits, DecodeOptions, DecodeResult, ResourceInfo, ScopeInfo, TimeWindow } from '../rows/types.ts';
import { appendAttributeProto, readAnyValueProto, type AnyValueText } from './any-value.ts';
import { addDropped } from './counts.ts';
import { timesOf } from './item-times.ts';
import { deriveLogFields, logIdsProblem } from './log-fields.ts';
import { walkProtoEnvelope } from './otlp-common.ts';
import { enterMessage, leaveMessage, skipField } from './proto-field.ts';
import { Rejections } from './rejections.ts';
import { hex, Reader } from './wire.ts';

// ExportLogsServiceRequest (opentelemetry/proto/collector/logs/v1) decoded straight from bytes into
// LogRows, in the style of traces-proto.ts. The body is stored like an attribute value (log-rows.ts),
// so it is bounded by maxAttributeValueBytes / maxAnyValueDepth like any other value.

interface Context {
  tenant: string;
  limits: DecodeLimits;
  rows: LogRow[];
  rejections: Rejections;
  times: TimeWindow;
  /** Reused for every body: no result object per record. */
  body: AnyValueText;
}

/** Decodes a protobuf ExportLogsServiceRequest. Throws PayloadError when the bytes are undecodable. */
export function decodeLogsProto(body: Uint8Array, options: DecodeOptions): DecodeResult<LogRow> {
  const reader = new Reader(body);
  const ctx: Context = {
    tenant: options.tenant,
    limits: options.limits,
    rows: [],
    rejections: new Rejections('log record'),
    times: timesOf(options),
    body: { type: 'empty', text: '' },
  };
  walkProtoEnvelope(reader, { request: 'ExportLogsServiceRequest', resourceLevel: 'ResourceLogs', scopeLevel: 'ScopeLogs' }, ctx, readLogRecord);
  return { rows: ctx.rows, rejected: ctx.rejections.count, errorMessage: ctx.rejections.message() };
}

function readLogRecord(reader: Reader, resource: ResourceInfo, scope: ScopeInfo, ctx: Context): void {
  const outerEnd = enterMessage(reader);
  const row = newLogRow(ctx.tenant, resource, scope);
  let attributesOverLimit = 0;
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 9: // 1 time_unix_nano
        row.timeNs = reader.fixed64();
        break;
      case 16: // 2 severity_number (enum; negative values become out of range and are mapped to 0)
        row.severityNumber = reader.uint32();
        break;
      case 26: // 3 severity_text
        row.severityText = reader.string();
        break;
      case 42: // 5 body
        readAnyValueProto(reader, ctx.limits, ctx.body);
        row.body = ctx.body.text;
        row.bodyType = ctx.body.type;
        break;
      case 50: // 6 attributes
        attributesOverLimit += appendAttributeProto(reader, row.attributes, ctx.limits);
        break;
      case 56: // 7 dropped_attributes_count
        row.droppedAttributesCount = reader.uint32() >>> 0;
        break;
      case 69: // 8 flags
        row.flags = reader.fixed32();
        break;
      case 74: // 9 trace_id
        row.traceId = hex(reader.bytes());
        break;
      case 82: // 10 span_id
        row.spanId = hex(reader.bytes());
        break;
      case 89: // 11 observed_time_unix_nano
        row.observedTimeNs = reader.fixed64();
        break;
      case 98: // 12 event_name
        row.eventName = reader.string();
        break;
      default:
        // 4 is reserved (a retired field): skipped whatever its wire type
        if (tag >>> 3 === 4) reader.skip(tag & 7);
        else skipField(reader, tag, 'LogRecord', 12);
    }
  }
  leaveMessage(reader, outerEnd);
  row.droppedAttributesCount = addDropped(row.droppedAttributesCount, attributesOverLimit);
  const problem = logIdsProblem(row) || deriveLogFields(row, ctx.times);
  if (problem !== '') {
    ctx.rejections.add(problem);
    return;
  }
  ctx.rows.push(row);
}
