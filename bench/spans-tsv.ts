import type { AttributeColumns, ResourceInfo, ScopeInfo, SpanRow } from '../collector/rows/types.ts';
import { tsvNumberArray, tsvString, tsvStringArray } from './tsv.ts';

// The TabSeparated span encoder, kept for the insert-format benchmark (RowBinary won). Same column
// order as the collector's RowBinary encoder.
export { SPAN_COLUMNS } from '../collector/rows/spans-row-binary.ts';

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
