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
  /** Max bytes of an attribute key (as sent); an attribute with a longer key is dropped and counted. */
  maxAttributeKeyBytes: number;
  /** Max events kept per span; the rest add to dropped_events_count without being read. */
  maxEventsPerSpan: number;
  /** Max links kept per span; the rest add to dropped_links_count without being read. */
  maxLinksPerSpan: number;
  /** Max UTF-8 bytes of a span or event name; longer names are cut on a character boundary. */
  maxNameBytes: number;
  /** Max UTF-8 bytes of a span status message; longer messages are cut on a character boundary. */
  maxStatusMessageBytes: number;
}

// In the spirit of the OpenTelemetry SDK's span limits (128 events, 128 links); the SDK sets no
// length limits on names and keys, so these are a few KiB: far above real ones, far below harm.
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxAnyValueDepth: 16,
  maxAttributesPerList: 1024,
  maxAttributeValueBytes: 64 * 1024,
  maxAttributeKeyBytes: 4 * 1024,
  maxEventsPerSpan: 128,
  maxLinksPerSpan: 128,
  maxNameBytes: 4 * 1024,
  maxStatusMessageBytes: 8 * 1024,
};

/**
 * The item timestamps a decoder accepts, in whole seconds (inclusive); an item outside is rejected
 * through partial success, never stored with a wrapped `DateTime`. `nowSeconds` is the time of
 * receipt, used for log records without any time.
 */
export interface TimeWindow {
  nowSeconds: number;
  minSeconds: number;
  maxSeconds: number;
}

/** The largest value of a ClickHouse `DateTime` (2106-02-07 06:28:15 UTC): the partition key column. */
export const DATETIME_MAX_SECONDS = 0xffffffff;

/** What a `DateTime` column can hold; the default when no narrower window is given. */
export function storableTimes(nowSeconds = Math.floor(Date.now() / 1000)): TimeWindow {
  return { nowSeconds, minSeconds: 0, maxSeconds: DATETIME_MAX_SECONDS };
}

export interface DecodeOptions {
  tenant: string;
  limits: DecodeLimits;
  /** Accepted item times (the collector passes its configured window); default: what `DateTime` holds. */
  times?: TimeWindow;
}

/** The whole message cannot be decoded (HTTP 400 / gRPC INVALID_ARGUMENT). */
export class PayloadError extends Error {
  override name = 'PayloadError';
}
