import type { DecodeLimits, DecodeOptions, DecodeResult, ResourceInfo, ScopeInfo, SpanEventRow, SpanLinkRow, SpanRow, TimeWindow } from '../rows/types.ts';
import { appendAttributeProto, KeyValueJsonList, truncateUtf8 } from './any-value.ts';
import { addDropped } from './counts.ts';
import { timesOf } from './item-times.ts';
import { enterMessage, leaveMessage, skipField } from './proto-field.ts';
import { Rejections } from './rejections.ts';
import { walkProtoEnvelope } from './otlp-common.ts';
import { deriveSpanFields, newSpanRow, spanIdsProblem, spanTimeProblem } from './span-fields.ts';
import { Reader } from './wire.ts';

// ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) decoded straight from bytes into
// SpanRows. Each message is a loop over tags; `case` labels are whole tags (field << 3 | wire type),
// and a known field with another wire type is a PayloadError (see skipField).
//
// Fields may come in any order. The ResourceInfo / ScopeInfo objects are created when their
// ResourceSpans / ScopeSpans starts and shared by reference by its rows, so a resource or scope that
// comes after the spans in the bytes is filled into the same object.
//
// Link ids are stored as hex of whatever bytes were sent, even when the length is wrong: a bad link
// should not lose the span. Events and links past their per-span limits are skipped unread and
// counted in dropped_events_count / dropped_links_count.

interface Context {
  tenant: string;
  limits: DecodeLimits;
  times: TimeWindow;
  rows: SpanRow[];
  rejections: Rejections;
}

/** Decodes a protobuf ExportTraceServiceRequest. Throws PayloadError when the bytes are undecodable. */
export function decodeTracesProto(body: Uint8Array, options: DecodeOptions): DecodeResult<SpanRow> {
  const reader = new Reader(body);
  const ctx: Context = { tenant: options.tenant, limits: options.limits, times: timesOf(options), rows: [], rejections: new Rejections('span') };
  walkProtoEnvelope(reader, { request: 'ExportTraceServiceRequest', resourceLevel: 'ResourceSpans', scopeLevel: 'ScopeSpans' }, ctx, readSpan);
  return { rows: ctx.rows, rejected: ctx.rejections.count, errorMessage: ctx.rejections.message() };
}

function readSpan(reader: Reader, resource: ResourceInfo, scope: ScopeInfo, ctx: Context): void {
  const outerEnd = enterMessage(reader);
  const row = newSpanRow(ctx.tenant, resource, scope);
  const limits = ctx.limits;
  let attributesOverLimit = 0;
  let eventsOverLimit = 0;
  let linksOverLimit = 0;
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // 1 trace_id
        row.traceId = reader.hexBytes();
        break;
      case 18: // 2 span_id
        row.spanId = reader.hexBytes();
        break;
      case 26: // 3 trace_state
        row.traceState = reader.string();
        break;
      case 34: // 4 parent_span_id
        row.parentSpanId = reader.hexBytes();
        break;
      case 42: // 5 name
        row.name = truncateUtf8(reader.string(), limits.maxNameBytes);
        break;
      case 48: // 6 kind (enum; negative values become out of range and are mapped to 0)
        row.kind = reader.uint32();
        break;
      case 57: // 7 start_time_unix_nano
        row.startTimeNs = reader.fixed64();
        break;
      case 65: // 8 end_time_unix_nano
        row.endTimeNs = reader.fixed64();
        break;
      case 74: // 9 attributes
        attributesOverLimit += appendAttributeProto(reader, row.attributes, limits);
        break;
      case 80: // 10 dropped_attributes_count
        row.droppedAttributesCount = reader.uint32() >>> 0;
        break;
      case 90: // 11 events
        if (row.events.length < limits.maxEventsPerSpan) row.events.push(readEvent(reader, limits));
        else {
          reader.pos = reader.lengthEnd();
          eventsOverLimit++;
        }
        break;
      case 96: // 12 dropped_events_count
        row.droppedEventsCount = reader.uint32() >>> 0;
        break;
      case 106: // 13 links
        if (row.links.length < limits.maxLinksPerSpan) row.links.push(readLink(reader, limits));
        else {
          reader.pos = reader.lengthEnd();
          linksOverLimit++;
        }
        break;
      case 112: // 14 dropped_links_count
        row.droppedLinksCount = reader.uint32() >>> 0;
        break;
      case 122: // 15 status
        readStatus(reader, row, limits);
        break;
      case 133: // 16 flags
        row.flags = reader.fixed32();
        break;
      default:
        skipField(reader, tag, 'Span', 16);
    }
  }
  leaveMessage(reader, outerEnd);
  row.droppedAttributesCount = addDropped(row.droppedAttributesCount, attributesOverLimit);
  row.droppedEventsCount = addDropped(row.droppedEventsCount, eventsOverLimit);
  row.droppedLinksCount = addDropped(row.droppedLinksCount, linksOverLimit);
  const problem = spanIdsProblem(row) || spanTimeProblem(row, ctx.times);
  if (problem !== '') {
    ctx.rejections.add(problem);
    return;
  }
  deriveSpanFields(row);
  ctx.rows.push(row);
}

function readStatus(reader: Reader, row: SpanRow, limits: DecodeLimits): void {
  const outerEnd = enterMessage(reader);
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 18) row.statusMessage = truncateUtf8(reader.string(), limits.maxStatusMessageBytes); // 2 message
    else if (tag === 24) row.statusCode = reader.uint32(); // 3 code
    else if (tag >>> 3 === 1) reader.skip(tag & 7); // 1 is reserved (the deprecated code)
    else skipField(reader, tag, 'Status', 3);
  }
  leaveMessage(reader, outerEnd);
}

export function readEvent(reader: Reader, limits: DecodeLimits): SpanEventRow {
  const outerEnd = enterMessage(reader);
  const attributes = new KeyValueJsonList(limits);
  const event: SpanEventRow = { timeNs: 0n, name: '', attributesJson: '', droppedAttributesCount: 0 };
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 9: // 1 time_unix_nano
        event.timeNs = reader.fixed64();
        break;
      case 18: // 2 name
        event.name = truncateUtf8(reader.string(), limits.maxNameBytes);
        break;
      case 26: // 3 attributes
        attributes.addProto(reader);
        break;
      case 32: // 4 dropped_attributes_count
        event.droppedAttributesCount = reader.uint32() >>> 0;
        break;
      default:
        skipField(reader, tag, 'Span.Event', 4);
    }
  }
  leaveMessage(reader, outerEnd);
  event.attributesJson = attributes.json();
  event.droppedAttributesCount = addDropped(event.droppedAttributesCount, attributes.dropped);
  return event;
}

export function readLink(reader: Reader, limits: DecodeLimits): SpanLinkRow {
  const outerEnd = enterMessage(reader);
  const attributes = new KeyValueJsonList(limits);
  const link: SpanLinkRow = { traceId: '', spanId: '', traceState: '', flags: 0, attributesJson: '', droppedAttributesCount: 0 };
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // 1 trace_id
        link.traceId = reader.hexBytes();
        break;
      case 18: // 2 span_id
        link.spanId = reader.hexBytes();
        break;
      case 26: // 3 trace_state
        link.traceState = reader.string();
        break;
      case 34: // 4 attributes
        attributes.addProto(reader);
        break;
      case 40: // 5 dropped_attributes_count
        link.droppedAttributesCount = reader.uint32() >>> 0;
        break;
      case 53: // 6 flags
        link.flags = reader.fixed32();
        break;
      default:
        skipField(reader, tag, 'Span.Link', 6);
    }
  }
  leaveMessage(reader, outerEnd);
  link.attributesJson = attributes.json();
  link.droppedAttributesCount = addDropped(link.droppedAttributesCount, attributes.dropped);
  return link;
}
