import type { ResourceInfo, ScopeInfo, SpanRow } from './types.ts';
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
  'service_name', 'service_namespace', 'deployment_environment',
  'resource_attributes.key', 'resource_attributes.type', 'resource_attributes.value', 'resource_dropped_attributes_count', 'resource_schema_url',
  'scope_name', 'scope_version', 'scope_attributes', 'scope_dropped_attributes_count', 'scope_schema_url',
] as const;

// The spans of one request share resource and scope objects: encode each once, copy the bytes after.
const resourceBytes = new WeakMap<ResourceInfo, Buffer>();
const scopeBytes = new WeakMap<ScopeInfo, Buffer>();

function writeResource(w: RowBinaryWriter, r: ResourceInfo): void {
  const cached = resourceBytes.get(r);
  if (cached) return w.bytes(cached);
  const start = w.pos;
  w.string(r.serviceName);
  w.string(r.serviceNamespace);
  w.string(r.deploymentEnvironment);
  w.strings(r.attributes.keys);
  w.strings(r.attributes.types);
  w.strings(r.attributes.values);
  w.u32(r.droppedAttributesCount);
  w.string(r.schemaUrl);
  resourceBytes.set(r, w.slice(start));
}

function writeScope(w: RowBinaryWriter, s: ScopeInfo): void {
  const cached = scopeBytes.get(s);
  if (cached) return w.bytes(cached);
  const start = w.pos;
  w.string(s.name);
  w.string(s.version);
  w.string(s.attributesJson);
  w.u32(s.droppedAttributesCount);
  w.string(s.schemaUrl);
  scopeBytes.set(s, w.slice(start));
}

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

  const events = row.events;
  const ne = events.length;
  w.varint(ne);
  for (let i = 0; i < ne; i++) w.u64(events[i]!.timeNs);
  w.varint(ne);
  for (let i = 0; i < ne; i++) w.string(events[i]!.name);
  w.varint(ne);
  for (let i = 0; i < ne; i++) w.string(events[i]!.attributesJson);
  w.varint(ne);
  for (let i = 0; i < ne; i++) w.u32(events[i]!.droppedAttributesCount);
  w.u32(row.droppedEventsCount);

  const links = row.links;
  const nl = links.length;
  w.varint(nl);
  for (let i = 0; i < nl; i++) w.string(links[i]!.traceId);
  w.varint(nl);
  for (let i = 0; i < nl; i++) w.string(links[i]!.spanId);
  w.varint(nl);
  for (let i = 0; i < nl; i++) w.string(links[i]!.traceState);
  w.varint(nl);
  for (let i = 0; i < nl; i++) w.u32(links[i]!.flags);
  w.varint(nl);
  for (let i = 0; i < nl; i++) w.string(links[i]!.attributesJson);
  w.varint(nl);
  for (let i = 0; i < nl; i++) w.u32(links[i]!.droppedAttributesCount);
  w.u32(row.droppedLinksCount);

  writeResource(w, row.resource);
  writeScope(w, row.scope);
}
