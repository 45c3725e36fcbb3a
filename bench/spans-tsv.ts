import type { AttributeColumns, ResourceInfo, ScopeInfo, SpanRow } from '../collector/rows/types.ts';
import { tsvNumberArray, tsvString, tsvStringArray } from './tsv.ts';

/** The TabSeparated span encoder, kept for the insert-format benchmark (RowBinary won). */
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

function attributesTsv(a: AttributeColumns): string {
  return tsvStringArray(a.keys) + '\t' + tsvStringArray(a.types) + '\t' + tsvStringArray(a.values);
}

// Rows of one request share their resource and scope objects: encode each once.
const resourceCache = new WeakMap<ResourceInfo, string>();
const scopeCache = new WeakMap<ScopeInfo, string>();

function resourceTsv(r: ResourceInfo): string {
  let text = resourceCache.get(r);
  if (text === undefined) {
    text = [tsvString(r.serviceName), tsvString(r.serviceNamespace), tsvString(r.deploymentEnvironment), attributesTsv(r.attributes), r.droppedAttributesCount, tsvString(r.schemaUrl)].join('\t');
    resourceCache.set(r, text);
  }
  return text;
}

function scopeTsv(s: ScopeInfo): string {
  let text = scopeCache.get(s);
  if (text === undefined) {
    text = [tsvString(s.name), tsvString(s.version), tsvString(s.attributesJson), s.droppedAttributesCount, tsvString(s.schemaUrl)].join('\t');
    scopeCache.set(s, text);
  }
  return text;
}

function eventsTsv(row: SpanRow): string {
  const e = row.events;
  if (e.length === 0) return '[]\t[]\t[]\t[]';
  return [
    tsvNumberArray(e.map((x) => x.timeNs)),
    tsvStringArray(e.map((x) => x.name)),
    tsvStringArray(e.map((x) => x.attributesJson)),
    tsvNumberArray(e.map((x) => x.droppedAttributesCount)),
  ].join('\t');
}

function linksTsv(row: SpanRow): string {
  const l = row.links;
  if (l.length === 0) return '[]\t[]\t[]\t[]\t[]\t[]';
  return [
    tsvStringArray(l.map((x) => x.traceId)),
    tsvStringArray(l.map((x) => x.spanId)),
    tsvStringArray(l.map((x) => x.traceState)),
    tsvNumberArray(l.map((x) => x.flags)),
    tsvStringArray(l.map((x) => x.attributesJson)),
    tsvNumberArray(l.map((x) => x.droppedAttributesCount)),
  ].join('\t');
}

/** One span as a TabSeparated line (with the trailing newline), columns as in SPAN_COLUMNS. */
export function spanToTsv(row: SpanRow): string {
  return (
    tsvString(row.tenant) + '\t' + row.timestamp + '\t' + row.startTimeNs + '\t' + row.endTimeNs + '\t' + row.durationNs + '\t' +
    row.traceId + '\t' + row.spanId + '\t' + row.parentSpanId + '\t' + tsvString(row.traceState) + '\t' + row.flags + '\t' +
    tsvString(row.name) + '\t' + row.kind + '\t' + row.statusCode + '\t' + tsvString(row.statusMessage) + '\t' +
    tsvString(row.httpRoute) + '\t' + row.httpStatusCode + '\t' +
    attributesTsv(row.attributes) + '\t' + row.droppedAttributesCount + '\t' +
    eventsTsv(row) + '\t' + row.droppedEventsCount + '\t' +
    linksTsv(row) + '\t' + row.droppedLinksCount + '\t' +
    resourceTsv(row.resource) + '\t' + scopeTsv(row.scope) + '\n'
  );
}
