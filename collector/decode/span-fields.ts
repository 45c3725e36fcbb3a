import type { ResourceInfo, ScopeInfo, SpanRow, TimeWindow } from '../rows/types.ts';
import { newAttributeColumns } from './any-value.ts';
import { timeProblem } from './item-times.ts';
import { INT_STATUS, httpFields } from './http-attributes.ts';

// What the protobuf and JSON trace decoders share: empty rows to fill, span validation
// (partial success) and the derived columns.

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
export const MAX_SPAN_KIND = 5; // SPAN_KIND_CONSUMER
export const MAX_STATUS_CODE = 2; // STATUS_CODE_ERROR

export function newResourceInfo(): ResourceInfo {
  return {
    attributes: newAttributeColumns(),
    droppedAttributesCount: 0,
    schemaUrl: '',
    serviceName: 'unknown_service',
    serviceNamespace: '',
    deploymentEnvironment: '',
  };
}

/** Sets the service fields from the resource attributes (first occurrence of a key wins). */
export function deriveResourceFields(resource: ResourceInfo): void {
  const { keys, values } = resource.attributes;
  let name = '';
  let namespace: string | undefined;
  let environment: string | undefined;
  let legacyEnvironment: string | undefined;
  for (let i = 0; i < keys.length; i++) {
    switch (keys[i]) {
      case 'service.name':
        name ||= values[i]!;
        break;
      case 'service.namespace':
        namespace ??= values[i];
        break;
      case 'deployment.environment.name':
        environment ??= values[i];
        break;
      case 'deployment.environment':
        legacyEnvironment ??= values[i];
        break;
    }
  }
  resource.serviceName = name || 'unknown_service';
  resource.serviceNamespace = namespace ?? '';
  resource.deploymentEnvironment = environment ?? legacyEnvironment ?? '';
}

export function newScopeInfo(): ScopeInfo {
  return { name: '', version: '', attributesJson: '', droppedAttributesCount: 0, schemaUrl: '' };
}

/** A row with every field at its default, to be filled by a decoder (one object shape for all rows). */
export function newSpanRow(tenant: string, resource: ResourceInfo, scope: ScopeInfo): SpanRow {
  return {
    tenant,
    timestamp: 0,
    startTimeNs: 0n,
    endTimeNs: 0n,
    durationNs: 0n,
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    statusCode: 0,
    statusMessage: '',
    httpRoute: '',
    httpStatusCode: 0,
    attributes: newAttributeColumns(),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    resource,
    scope,
  };
}

/** Why the span must be rejected (ids as lowercase hex), or '' when it is valid. */
export function spanIdsProblem(row: SpanRow): string {
  return spanIdBytesProblem(row.traceId.length / 2, row.spanId.length / 2, row.parentSpanId.length / 2, row.traceId === ZERO_TRACE_ID, row.spanId === ZERO_SPAN_ID);
}

/** The same check on id byte lengths (the transcoder reads ids as bytes). */
export function spanIdBytesProblem(traceIdBytes: number, spanIdBytes: number, parentSpanIdBytes: number, traceIdIsZero: boolean, spanIdIsZero: boolean): string {
  if (traceIdBytes !== 16) return 'invalid trace_id length (expected 16 bytes)';
  if (spanIdBytes !== 8) return 'invalid span_id length (expected 8 bytes)';
  if (parentSpanIdBytes !== 0 && parentSpanIdBytes !== 8) return 'invalid parent_span_id length (expected 8 bytes or empty)';
  if (traceIdIsZero) return 'all-zero trace_id';
  if (spanIdIsZero) return 'all-zero span_id';
  return '';
}

/** Why the span's start time (its partition time) must be rejected, or ''. */
export function spanTimeProblem(row: SpanRow, times: TimeWindow): string {
  return timeProblem(Number(row.startTimeNs / 1_000_000_000n), times, 'start_time_unix_nano');
}

/**
 * Fills the derived columns of a decoded, valid span: timestamp, duration, HTTP route and status.
 * Enum values outside the protocol's range are stored as 0 (unspecified / unset): the columns are
 * UInt8 and an unknown value has no meaning to the SLO queries.
 */
export function deriveSpanFields(row: SpanRow): void {
  row.timestamp = Number(row.startTimeNs / 1_000_000_000n);
  row.durationNs = row.endTimeNs > row.startTimeNs ? row.endTimeNs - row.startTimeNs : 0n;
  if (!(row.kind >= 0 && row.kind <= MAX_SPAN_KIND)) row.kind = 0;
  if (!(row.statusCode >= 0 && row.statusCode <= MAX_STATUS_CODE)) row.statusCode = 0;

  const http = httpFields(row.attributes, INT_STATUS);
  row.httpRoute = http.route;
  row.httpStatusCode = http.statusCode;
}
