import {
  type DecodeLimits,
  type DecodeOptions,
  type DecodeResult,
  type SpanEventRow,
  type SpanLinkRow,
  type SpanRow,
  type TimeWindow,
} from '../rows/types.ts';
import { appendAttributesJson, KeyValueJsonList, truncateUtf8 } from './any-value.ts';
import { addDropped } from './counts.ts';
import { timesOf } from './item-times.ts';
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
import { deriveSpanFields, newSpanRow, spanIdsProblem, spanTimeProblem } from './span-fields.ts';

// OTLP/JSON ExportTraceServiceRequest into SpanRows, with the same rows and rules as the protobuf
// decoder (see traces-proto.ts).
//
// Wrong types are judged by where they are:
// - inside one span (its fields, events, links, attribute values; ids that are not hex): that span is
//   rejected, the rest kept (partial success), like a span with invalid ids;
// - anywhere else (top level, resource, scope, the arrays holding them): PayloadError, since no span
//   of that batch can be trusted to its resource.

/** Decodes an OTLP/JSON ExportTraceServiceRequest. Throws PayloadError for invalid JSON or shape. */
export function decodeTracesJson(body: string | Uint8Array, options: DecodeOptions): DecodeResult<SpanRow> {
  const rows: SpanRow[] = [];
  const rejections = new Rejections('span');
  const times = timesOf(options);
  walkJsonEnvelope(body, { request: 'ExportTraceServiceRequest', resourceList: 'resourceSpans', scopeList: 'scopeSpans', itemList: 'spans' }, options.limits, (span, resource, scope) => {
    const row = newSpanRow(options.tenant, resource, scope);
    const problem = readSpan(span, row, options.limits, times);
    if (problem !== '') rejections.add(problem);
    else rows.push(row);
  });
  return { rows, rejected: rejections.count, errorMessage: rejections.message() };
}

/** Fills `row` from one JSON span; returns why it is rejected, or '' (then its derived fields are set). */
function readSpan(span: unknown, row: SpanRow, limits: DecodeLimits, times: TimeWindow): string {
  try {
    if (!isObject(span)) throw new FieldError('span must be an object');
    row.traceId = jsonHexId(span, 'traceId');
    row.spanId = jsonHexId(span, 'spanId');
    row.parentSpanId = jsonHexId(span, 'parentSpanId');
    const problem = spanIdsProblem(row);
    if (problem !== '') return problem;
    row.traceState = jsonString(span, 'traceState');
    row.flags = jsonUint32(span, 'flags');
    row.name = truncateUtf8(jsonString(span, 'name'), limits.maxNameBytes);
    row.kind = jsonEnum(span, 'kind');
    row.startTimeNs = jsonUint64(span, 'startTimeUnixNano');
    row.endTimeNs = jsonUint64(span, 'endTimeUnixNano');
    const overLimit = appendAttributesJson(jsonArray(span, 'attributes'), row.attributes, limits);
    row.droppedAttributesCount = addDropped(jsonUint32(span, 'droppedAttributesCount'), overLimit);
    // Past the per-span limits, events and links are counted as dropped without being read.
    const events = jsonArray(span, 'events');
    const keptEvents = Math.min(events.length, limits.maxEventsPerSpan);
    for (let i = 0; i < keptEvents; i++) row.events.push(readEvent(events[i], limits));
    row.droppedEventsCount = addDropped(jsonUint32(span, 'droppedEventsCount'), events.length - keptEvents);
    const links = jsonArray(span, 'links');
    const keptLinks = Math.min(links.length, limits.maxLinksPerSpan);
    for (let i = 0; i < keptLinks; i++) row.links.push(readLink(links[i], limits));
    row.droppedLinksCount = addDropped(jsonUint32(span, 'droppedLinksCount'), links.length - keptLinks);
    const status = jsonObject(span, 'status');
    if (status !== undefined) {
      row.statusMessage = truncateUtf8(jsonString(status, 'message'), limits.maxStatusMessageBytes);
      row.statusCode = jsonEnum(status, 'code');
    }
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
  const timeProblem = spanTimeProblem(row, times);
  if (timeProblem !== '') return timeProblem;
  deriveSpanFields(row);
  return '';
}

function readEvent(event: unknown, limits: DecodeLimits): SpanEventRow {
  if (!isObject(event)) throw new FieldError('event must be an object');
  const attributes = new KeyValueJsonList(limits);
  attributes.addJson(jsonArray(event, 'attributes'));
  return {
    timeNs: jsonUint64(event, 'timeUnixNano'),
    name: truncateUtf8(jsonString(event, 'name'), limits.maxNameBytes),
    attributesJson: attributes.json(),
    droppedAttributesCount: addDropped(jsonUint32(event, 'droppedAttributesCount'), attributes.dropped),
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
    droppedAttributesCount: addDropped(jsonUint32(link, 'droppedAttributesCount'), attributes.dropped),
  };
}
