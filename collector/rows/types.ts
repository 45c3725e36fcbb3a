// Rows as the decoders produce them and the writer serializes them: flat, typed, one per item.
// Resource and scope data are shared by reference between the rows of one ResourceSpans/ScopeSpans.

/** Attribute list as three parallel columns (ClickHouse `Nested(key, type, value)`). */
export interface AttributeColumns {
  keys: string[];
  /** AnyValue kind: 'string' | 'int' | 'double' | 'bool' | 'bytes' | 'array' | 'kvlist' | 'empty'. */
  types: string[];
  /** Text form of the value (README "Attribute values"). */
  values: string[];
}

export interface ResourceInfo {
  attributes: AttributeColumns;
  droppedAttributesCount: number;
  schemaUrl: string;
  /** `service.name`, or 'unknown_service' when the resource has none. */
  serviceName: string;
  serviceNamespace: string;
  /** `deployment.environment.name`, else `deployment.environment`, else ''. */
  deploymentEnvironment: string;
}

export interface ScopeInfo {
  name: string;
  version: string;
  /** OTLP/JSON KeyValue list, e.g. `[{"key":"a","value":{"intValue":"1"}}]`; '' when empty. */
  attributesJson: string;
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface SpanEventRow {
  timeNs: bigint;
  name: string;
  attributesJson: string;
  droppedAttributesCount: number;
}

export interface SpanLinkRow {
  traceId: string;
  spanId: string;
  traceState: string;
  flags: number;
  attributesJson: string;
  droppedAttributesCount: number;
}

export interface SpanRow {
  tenant: string;
  /** Start time in whole seconds (DateTime column for partitions and the sort key). */
  timestamp: number;
  startTimeNs: bigint;
  endTimeNs: bigint;
  /** end - start, 0 when end < start. */
  durationNs: bigint;
  /** Lowercase hex. */
  traceId: string;
  spanId: string;
  /** '' for root spans. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  statusCode: number;
  statusMessage: string;
  /** From span attribute `http.route`, '' when absent. */
  httpRoute: string;
  /** From `http.response.status_code` (or the older `http.status_code`), 0 when absent. */
  httpStatusCode: number;
  attributes: AttributeColumns;
  droppedAttributesCount: number;
  events: SpanEventRow[];
  droppedEventsCount: number;
  links: SpanLinkRow[];
  droppedLinksCount: number;
  resource: ResourceInfo;
  scope: ScopeInfo;
}

/** What every decoder returns: the valid rows plus a partial-success account of the rest. */
export interface DecodeResult<Row> {
  rows: Row[];
  /** Items dropped as individually invalid (OTLP partial success). */
  rejected: number;
  /** Human-readable reason for the rejections ('' when none). */
  errorMessage: string;
}

/** Limits against hostile input; values over them are truncated and counted, never unbounded. */
export interface DecodeLimits {
  /** Max nesting of array/kvlist AnyValues; deeper values are cut and marked. */
  maxAnyValueDepth: number;
  /** Max attributes kept per attribute list; the rest add to dropped_attributes_count. */
  maxAttributesPerList: number;
  /** Max UTF-8 bytes of one attribute value text; longer values are truncated. */
  maxAttributeValueBytes: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxAnyValueDepth: 16,
  maxAttributesPerList: 1024,
  maxAttributeValueBytes: 64 * 1024,
};

export interface DecodeOptions {
  tenant: string;
  limits: DecodeLimits;
}

/** The whole message cannot be decoded (HTTP 400 / gRPC INVALID_ARGUMENT). */
export class PayloadError extends Error {
  override name = 'PayloadError';
}
