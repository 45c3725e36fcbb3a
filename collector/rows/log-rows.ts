import type { AttributeColumns, ResourceInfo, ScopeInfo } from './types.ts';
import type { RowBinaryWriter } from './row-binary.ts';
import { RESOURCE_COLUMNS, SCOPE_COLUMNS, SERVICE_COLUMNS, writeResourceColumns, writeScopeColumns, writeServiceColumns } from './shared-row-binary.ts';

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
  ...SERVICE_COLUMNS,
  'attributes.key', 'attributes.type', 'attributes.value', 'dropped_attributes_count',
  ...RESOURCE_COLUMNS,
  ...SCOPE_COLUMNS,
] as const;

/** Appends one log record in LOG_COLUMNS order (RowBinary). */
export function writeLogRow(w: RowBinaryWriter, row: LogRow): void {
  w.string(row.tenant);
  w.u32(row.timestamp);
  w.u64(row.timeNs);
  w.u64(row.observedTimeNs);
  w.string(row.traceId);
  w.string(row.spanId);
  w.u32(row.flags);
  w.u8(row.severityNumber);
  w.string(row.severityText);
  w.string(row.body);
  w.string(row.bodyType);
  w.string(row.eventName);
  writeServiceColumns(w, row.resource);
  w.strings(row.attributes.keys);
  w.strings(row.attributes.types);
  w.strings(row.attributes.values);
  w.u32(row.droppedAttributesCount);
  writeResourceColumns(w, row.resource);
  writeScopeColumns(w, row.scope);
}
