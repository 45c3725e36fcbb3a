import {
  type DecodeLimits,
  type DecodeOptions,
  type DecodeResult,
  type SpanEventRow,
  type SpanLinkRow,
  type SpanRow,
} from '../rows/types.ts';
import { appendAttributesJson, KeyValueJsonList } from './any-value.ts';
import {
  FieldError,
  isObject,
  jsonArray,
  jsonEnum,
  jsonHexId,
  jsonObject,
  jsonString,
  jsonUint32,
  jsonUint64,
} from './json-fields.ts';
import { Rejections } from './rejections.ts';
import { walkJsonEnvelope } from './otlp-common.ts';
import { deriveSpanFields, newSpanRow, spanIdsProblem } from './span-fields.ts';

// OTLP/JSON ExportTraceServiceRequest into SpanRows, with the same rows and rules as the protobuf
// decoder (see traces-proto.ts).
//
// Wrong types are judged by where they are:
// - inside one span (its fields, events, links, attribute values; ids that are not hex): that span is
//   rejected, the rest kept (partial success), like a span with invalid ids;
// - anywhere else (top level, resource, scope, the arrays holding them): PayloadError, since no span
//   of that batch can be trusted to its resource.

/** Decodes an OTLP/JSON ExportTraceServiceRequest. Throws PayloadError for invalid JSON or shape. */
export function decodeTracesJson(body: string, options: DecodeOptions): DecodeResult<SpanRow> {
  const rows: SpanRow[] = [];
  const rejections = new Rejections('span');
  walkJsonEnvelope(body, { request: 'ExportTraceServiceRequest', resourceList: 'resourceSpans', scopeList: 'scopeSpans', itemList: 'spans' }, options.limits, (span, resource, scope) => {
    const row = newSpanRow(options.tenant, resource, scope);
    const problem = readSpan(span, row, options.limits);
    if (problem !== '') rejections.add(problem);
    else rows.push(row);
  });
  return { rows, rejected: rejections.count, errorMessage: rejections.message() };
}

/** Fills `row` from one JSON span; returns why it is rejected, or '' (then its derived fields are set). */
function readSpan(span: unknown, row: SpanRow, limits: DecodeLimits): string {
  try {
    if (!isObject(span)) throw new FieldError('span must be an object');
    row.traceId = jsonHexId(span, 'traceId');
    row.spanId = jsonHexId(span, 'spanId');
    row.parentSpanId = jsonHexId(span, 'parentSpanId');
    const problem = spanIdsProblem(row);
    if (problem !== '') return problem;
    row.traceState = jsonString(span, 'traceState');
    row.flags = jsonUint32(span, 'flags');
    row.name = jsonString(span, 'name');
    row.kind = jsonEnum(span, 'kind');
    row.startTimeNs = jsonUint64(span, 'startTimeUnixNano');
    row.endTimeNs = jsonUint64(span, 'endTimeUnixNano');
    const overLimit = appendAttributesJson(jsonArray(span, 'attributes'), row.attributes, limits);
    row.droppedAttributesCount = jsonUint32(span, 'droppedAttributesCount') + overLimit;
    for (const event of jsonArray(span, 'events')) row.events.push(readEvent(event, limits));
    row.droppedEventsCount = jsonUint32(span, 'droppedEventsCount');
    for (const link of jsonArray(span, 'links')) row.links.push(readLink(link, limits));
    row.droppedLinksCount = jsonUint32(span, 'droppedLinksCount');
    const status = jsonObject(span, 'status');
    if (status !== undefined) {
      row.statusMessage = jsonString(status, 'message');
      row.statusCode = jsonEnum(status, 'code');
    }
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
  deriveSpanFields(row);
  return '';
}

function readEvent(event: unknown, limits: DecodeLimits): SpanEventRow {
  if (!isObject(event)) throw new FieldError('event must be an object');
  const attributes = new KeyValueJsonList(limits);
  attributes.addJson(jsonArray(event, 'attributes'));
  return {
    timeNs: jsonUint64(event, 'timeUnixNano'),
    name: jsonString(event, 'name'),
    attributesJson: attributes.json(),
    droppedAttributesCount: jsonUint32(event, 'droppedAttributesCount') + attributes.dropped,
  };
}

/** Link ids of the wrong length are kept as given; ids that are not hex reject the span. */
function readLink(link: unknown, limits: DecodeLimits): SpanLinkRow {
  if (!isObject(link)) throw new FieldError('link must be an object');
  const attributes = new KeyValueJsonList(limits);
  attributes.addJson(jsonArray(link, 'attributes'));
  return {
    traceId: jsonHexId(link, 'traceId'),
    spanId: jsonHexId(link, 'spanId'),
    traceState: jsonString(link, 'traceState'),
    flags: jsonUint32(link, 'flags'),
    attributesJson: attributes.json(),
    droppedAttributesCount: jsonUint32(link, 'droppedAttributesCount') + attributes.dropped,
  };
}
