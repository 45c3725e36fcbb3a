import type { AttributeColumns, ResourceInfo, ScopeInfo } from './types.ts';
import { tsvString, tsvStringArray } from './tsv.ts';

export interface LogRow {
  tenant: string;
  /** Whole seconds of time_unix_nano, or of observed_time_unix_nano when the former is 0 (as the spec says). */
  timestamp: number;
  /** As sent (0 when unknown). */
  timeNs: bigint;
  observedTimeNs: bigint;
  /** 0..24; values outside the range are stored as 0 (unspecified). */
  severityNumber: number;
  severityText: string;
  /**
   * A string body as is; any other body in the attribute value text form (any-value.ts): ints and
   * doubles as decimals, bools as true/false, bytes as base64, arrays and kvlists as their OTLP/JSON
   * AnyValue encoding, '' for no body. `bodyType` names the AnyValue kind ('empty' for no body).
   */
  body: string;
  bodyType: string;
  /** Lowercase hex, '' when absent. */
  traceId: string;
  spanId: string;
  flags: number;
  eventName: string;
  attributes: AttributeColumns;
  droppedAttributesCount: number;
  resource: ResourceInfo;
  scope: ScopeInfo;
}

export function newLogRow(tenant: string, resource: ResourceInfo, scope: ScopeInfo): LogRow {
  return {
    tenant,
    timestamp: 0,
    timeNs: 0n,
    observedTimeNs: 0n,
    severityNumber: 0,
    severityText: '',
    body: '',
    bodyType: 'empty',
    traceId: '',
    spanId: '',
    flags: 0,
    eventName: '',
    attributes: { keys: [], types: [], values: [] },
    droppedAttributesCount: 0,
    resource,
    scope,
  };
}

export const LOG_COLUMNS = [
  'tenant', 'timestamp', 'time_ns', 'observed_time_ns',
  'trace_id', 'span_id', 'flags',
  'severity_number', 'severity_text', 'body', 'body_type', 'event_name',
  'service_name', 'service_namespace', 'deployment_environment',
  'attributes.key', 'attributes.type', 'attributes.value', 'dropped_attributes_count',
  'resource_attributes.key', 'resource_attributes.type', 'resource_attributes.value', 'resource_dropped_attributes_count', 'resource_schema_url',
  'scope_name', 'scope_version', 'scope_attributes', 'scope_dropped_attributes_count', 'scope_schema_url',
] as const;

// Rows of one request share their resource and scope objects: encode each once.
const serviceCache = new WeakMap<ResourceInfo, string>();
const resourceCache = new WeakMap<ResourceInfo, string>();
const scopeCache = new WeakMap<ScopeInfo, string>();

/** One log record as a TabSeparated line (with the trailing newline), columns as in LOG_COLUMNS. */
export function logToTsv(row: LogRow): string {
  const r = row.resource;
  let service = serviceCache.get(r);
  if (service === undefined) {
    service = tsvString(r.serviceName) + '\t' + tsvString(r.serviceNamespace) + '\t' + tsvString(r.deploymentEnvironment);
    serviceCache.set(r, service);
  }
  let resource = resourceCache.get(r);
  if (resource === undefined) {
    const a = r.attributes;
    resource = tsvStringArray(a.keys) + '\t' + tsvStringArray(a.types) + '\t' + tsvStringArray(a.values) + '\t' + r.droppedAttributesCount + '\t' + tsvString(r.schemaUrl);
    resourceCache.set(r, resource);
  }
  const s = row.scope;
  let scope = scopeCache.get(s);
  if (scope === undefined) {
    scope = [tsvString(s.name), tsvString(s.version), tsvString(s.attributesJson), s.droppedAttributesCount, tsvString(s.schemaUrl)].join('\t');
    scopeCache.set(s, scope);
  }
  const a = row.attributes;
  return (
    tsvString(row.tenant) + '\t' + row.timestamp + '\t' + row.timeNs + '\t' + row.observedTimeNs + '\t' +
    row.traceId + '\t' + row.spanId + '\t' + row.flags + '\t' +
    row.severityNumber + '\t' + tsvString(row.severityText) + '\t' + tsvString(row.body) + '\t' + row.bodyType + '\t' + tsvString(row.eventName) + '\t' +
    service + '\t' +
    tsvStringArray(a.keys) + '\t' + tsvStringArray(a.types) + '\t' + tsvStringArray(a.values) + '\t' + row.droppedAttributesCount + '\t' +
    resource + '\t' + scope + '\n'
  );
}
