import type { SpanEventRow, SpanLinkRow, SpanRow } from './types.ts';
import { RESOURCE_COLUMNS, SCOPE_COLUMNS, SERVICE_COLUMNS, writeOriginColumns } from './shared-row-binary.ts';
import type { RowBinaryWriter } from './row-binary.ts';

/** Column order of the RowBinary rows below (Nested columns are named `parent.child`). */
export const SPAN_COLUMNS = [
  'tenant', 'timestamp', 'start_time_ns', 'end_time_ns', 'duration_ns',
  'trace_id', 'span_id', 'parent_span_id', 'trace_state', 'flags',
  'name', 'kind', 'status_code', 'status_message',
  'http_route', 'http_status_code',
  'attributes.key', 'attributes.type', 'attributes.value', 'dropped_attributes_count',
  'events.time_ns', 'events.name', 'events.attributes', 'events.dropped_attributes_count', 'dropped_events_count',
  'links.trace_id', 'links.span_id', 'links.trace_state', 'links.flags', 'links.attributes', 'links.dropped_attributes_count', 'dropped_links_count',
  ...SERVICE_COLUMNS,
  ...RESOURCE_COLUMNS,
  ...SCOPE_COLUMNS,
] as const;

/** Appends one span in SPAN_COLUMNS order. */
export function writeSpanRow(w: RowBinaryWriter, row: SpanRow): void {
  w.string(row.tenant);
  w.u32(row.timestamp);
  w.u64(row.startTimeNs);
  w.u64(row.endTimeNs);
  w.u64(row.durationNs);
  w.string(row.traceId);
  w.string(row.spanId);
  w.string(row.parentSpanId);
  w.string(row.traceState);
  w.u32(row.flags);
  w.string(row.name);
  w.u8(row.kind);
  w.u8(row.statusCode);
  w.string(row.statusMessage);
  w.string(row.httpRoute);
  w.u16(row.httpStatusCode);
  w.strings(row.attributes.keys);
  w.strings(row.attributes.types);
  w.strings(row.attributes.values);
  w.u32(row.droppedAttributesCount);

  writeEventColumns(w, row.events);
  w.u32(row.droppedEventsCount);
  writeLinkColumns(w, row.links);
  w.u32(row.droppedLinksCount);

  writeOriginColumns(w, row.resource, row.scope);
}

/** The `events.*` Nested columns. */
export function writeEventColumns(w: RowBinaryWriter, events: readonly SpanEventRow[]): void {
  const n = events.length;
  if (n === 0) return w.zeros(4); // four empty arrays
  w.varint(n);
  for (let i = 0; i < n; i++) w.u64(events[i]!.timeNs);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(events[i]!.name);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(events[i]!.attributesJson);
  w.varint(n);
  for (let i = 0; i < n; i++) w.u32(events[i]!.droppedAttributesCount);
}

/** The `links.*` Nested columns. */
export function writeLinkColumns(w: RowBinaryWriter, links: readonly SpanLinkRow[]): void {
  const n = links.length;
  if (n === 0) return w.zeros(6); // six empty arrays
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(links[i]!.traceId);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(links[i]!.spanId);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(links[i]!.traceState);
  w.varint(n);
  for (let i = 0; i < n; i++) w.u32(links[i]!.flags);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(links[i]!.attributesJson);
  w.varint(n);
  for (let i = 0; i < n; i++) w.u32(links[i]!.droppedAttributesCount);
}
