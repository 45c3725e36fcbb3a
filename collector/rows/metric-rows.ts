import type { AttributeColumns, ResourceInfo, ScopeInfo } from './types.ts';
import { tsvNumberArray, tsvString, tsvStringArray } from './tsv.ts';

// Metric data points as the decoders produce them: one row per data point, one flat shape for all five
// point kinds (fields of other kinds stay at their defaults), written to one table per kind
// (storage/migrations/metrics.ts).

export type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

/** `value_type` of number values (data points and exemplars). */
export const VALUE_NONE = 0;
export const VALUE_DOUBLE = 1;
export const VALUE_INT = 2;

/** Data point flag bit 1: FLAG_NO_RECORDED_VALUE, a staleness marker (never a zero). */
export const FLAG_NO_RECORDED_VALUE = 1;

/** The Metric message a point belongs to, shared by reference by its points (filled as it is read). */
export interface MetricInfo {
  name: string;
  description: string;
  unit: string;
  /** 0 unspecified, 1 DELTA, 2 CUMULATIVE (sum, histogram, exponential histogram). */
  temporality: number;
  /** Sums only. */
  isMonotonic: boolean;
}

export interface ExemplarRow {
  timeNs: bigint;
  valueType: number;
  valueDouble: number;
  valueInt: bigint;
  /** Hex of the bytes sent ('' when absent); a wrong length is kept, not rejected. */
  traceId: string;
  spanId: string;
  /** OTLP/JSON KeyValue list, '' when empty. */
  filteredAttributesJson: string;
}

/** Bucket counts: numbers, or bigints for values beyond 2^53 (so both decoders give equal rows). */
export type Count = number | bigint;

export interface MetricPointRow {
  kind: MetricKind;
  tenant: string;
  /** time_unix_nano in whole seconds (DateTime column for partitions and the sort key). */
  timestamp: number;
  startTimeNs: bigint;
  timeNs: bigint;
  metric: MetricInfo;
  attributes: AttributeColumns;
  flags: number;
  /** Gauge and sum: VALUE_DOUBLE / VALUE_INT, or VALUE_NONE for a no-recorded-value point without one. */
  valueType: number;
  valueDouble: number;
  valueInt: bigint;
  /** Histogram, exponential histogram, summary. */
  count: bigint;
  sum: number;
  hasSum: boolean;
  min: number;
  hasMin: boolean;
  max: number;
  hasMax: boolean;
  bucketCounts: Count[];
  explicitBounds: number[];
  scale: number;
  zeroCount: bigint;
  zeroThreshold: number;
  positiveOffset: number;
  positiveBucketCounts: Count[];
  negativeOffset: number;
  negativeBucketCounts: Count[];
  quantiles: number[];
  quantileValues: number[];
  exemplars: ExemplarRow[];
  /** Histogram points only, from the HTTP semantic-convention attributes (for the request rollup). */
  httpRoute: string;
  httpMethod: string;
  httpStatusCode: number;
  resource: ResourceInfo;
  scope: ScopeInfo;
}

export function newMetricInfo(): MetricInfo {
  return { name: '', description: '', unit: '', temporality: 0, isMonotonic: false };
}

export function newMetricPointRow(kind: MetricKind, tenant: string, metric: MetricInfo, resource: ResourceInfo, scope: ScopeInfo): MetricPointRow {
  return {
    kind,
    tenant,
    timestamp: 0,
    startTimeNs: 0n,
    timeNs: 0n,
    metric,
    attributes: { keys: [], types: [], values: [] },
    flags: 0,
    valueType: VALUE_NONE,
    valueDouble: 0,
    valueInt: 0n,
    count: 0n,
    sum: 0,
    hasSum: false,
    min: 0,
    hasMin: false,
    max: 0,
    hasMax: false,
    bucketCounts: [],
    explicitBounds: [],
    scale: 0,
    zeroCount: 0n,
    zeroThreshold: 0,
    positiveOffset: 0,
    positiveBucketCounts: [],
    negativeOffset: 0,
    negativeBucketCounts: [],
    quantiles: [],
    quantileValues: [],
    exemplars: [],
    httpRoute: '',
    httpMethod: '',
    httpStatusCode: 0,
    resource,
    scope,
  };
}

// ---------------------------------------------------------------------------------------------
// TabSeparated. Every table starts with the same columns (COMMON) and ends with the same ones (TAIL).

const COMMON = [
  'tenant', 'timestamp', 'start_time_ns', 'time_ns',
  'service_name', 'service_namespace', 'deployment_environment',
  'metric_name', 'metric_description', 'metric_unit',
  'attributes.key', 'attributes.type', 'attributes.value', 'flags',
] as const;

const EXEMPLARS = [
  'exemplars.time_ns', 'exemplars.value_type', 'exemplars.value_double', 'exemplars.value_int',
  'exemplars.trace_id', 'exemplars.span_id', 'exemplars.filtered_attributes',
] as const;

const TAIL = [
  'resource_attributes.key', 'resource_attributes.type', 'resource_attributes.value', 'resource_dropped_attributes_count', 'resource_schema_url',
  'scope_name', 'scope_version', 'scope_attributes', 'scope_dropped_attributes_count', 'scope_schema_url',
] as const;

const HISTOGRAM_STATS = ['count', 'sum', 'has_sum', 'min', 'has_min', 'max', 'has_max'] as const;

export const GAUGE_COLUMNS = [...COMMON, 'value_type', 'value_double', 'value_int', ...EXEMPLARS, ...TAIL] as const;
export const SUM_COLUMNS = [...COMMON, 'aggregation_temporality', 'is_monotonic', 'value_type', 'value_double', 'value_int', ...EXEMPLARS, ...TAIL] as const;
export const HISTOGRAM_COLUMNS = [
  ...COMMON, 'aggregation_temporality', ...HISTOGRAM_STATS, 'bucket_counts', 'explicit_bounds',
  'http_route', 'http_method', 'http_status_code', ...EXEMPLARS, ...TAIL,
] as const;
export const EXP_HISTOGRAM_COLUMNS = [
  ...COMMON, 'aggregation_temporality', ...HISTOGRAM_STATS, 'scale', 'zero_count', 'zero_threshold',
  'positive_offset', 'positive_bucket_counts', 'negative_offset', 'negative_bucket_counts', ...EXEMPLARS, ...TAIL,
] as const;
export const SUMMARY_COLUMNS = [...COMMON, 'count', 'sum', 'quantile_values.quantile', 'quantile_values.value', ...TAIL] as const;

/** Float64 as ClickHouse's TabSeparated reads it (nan / inf / -inf). */
function tsvFloat(x: number): string {
  if (Number.isFinite(x)) return String(x);
  return x !== x ? 'nan' : x > 0 ? 'inf' : '-inf';
}

function tsvFloatArray(values: readonly number[]): string {
  if (values.length === 0) return '[]';
  let out = '[' + tsvFloat(values[0]!);
  for (let i = 1; i < values.length; i++) out += ',' + tsvFloat(values[i]!);
  return out + ']';
}

const bool = (b: boolean) => (b ? '1' : '0');

// Rows of one request share their resource, scope and metric objects: encode each once.
const serviceCache = new WeakMap<ResourceInfo, string>();
const resourceCache = new WeakMap<ResourceInfo, string>();
const scopeCache = new WeakMap<ScopeInfo, string>();
const metricCache = new WeakMap<MetricInfo, string>();

function commonTsv(row: MetricPointRow): string {
  const r = row.resource;
  let service = serviceCache.get(r);
  if (service === undefined) {
    service = tsvString(r.serviceName) + '\t' + tsvString(r.serviceNamespace) + '\t' + tsvString(r.deploymentEnvironment);
    serviceCache.set(r, service);
  }
  let metric = metricCache.get(row.metric);
  if (metric === undefined) {
    metric = tsvString(row.metric.name) + '\t' + tsvString(row.metric.description) + '\t' + tsvString(row.metric.unit);
    metricCache.set(row.metric, metric);
  }
  const a = row.attributes;
  return (
    tsvString(row.tenant) + '\t' + row.timestamp + '\t' + row.startTimeNs + '\t' + row.timeNs + '\t' + service + '\t' + metric + '\t' +
    tsvStringArray(a.keys) + '\t' + tsvStringArray(a.types) + '\t' + tsvStringArray(a.values) + '\t' + row.flags
  );
}

function exemplarsTsv(row: MetricPointRow): string {
  const e = row.exemplars;
  if (e.length === 0) return '[]\t[]\t[]\t[]\t[]\t[]\t[]';
  return [
    tsvNumberArray(e.map((x) => x.timeNs)),
    tsvNumberArray(e.map((x) => x.valueType)),
    tsvFloatArray(e.map((x) => x.valueDouble)),
    tsvNumberArray(e.map((x) => x.valueInt)),
    tsvStringArray(e.map((x) => x.traceId)),
    tsvStringArray(e.map((x) => x.spanId)),
    tsvStringArray(e.map((x) => x.filteredAttributesJson)),
  ].join('\t');
}

function tailTsv(row: MetricPointRow): string {
  const r = row.resource;
  const s = row.scope;
  let resource = resourceCache.get(r);
  if (resource === undefined) {
    const a = r.attributes;
    resource = tsvStringArray(a.keys) + '\t' + tsvStringArray(a.types) + '\t' + tsvStringArray(a.values) + '\t' + r.droppedAttributesCount + '\t' + tsvString(r.schemaUrl);
    resourceCache.set(r, resource);
  }
  let scope = scopeCache.get(s);
  if (scope === undefined) {
    scope = [tsvString(s.name), tsvString(s.version), tsvString(s.attributesJson), s.droppedAttributesCount, tsvString(s.schemaUrl)].join('\t');
    scopeCache.set(s, scope);
  }
  return resource + '\t' + scope + '\n';
}

function numberValueTsv(row: MetricPointRow): string {
  return row.valueType + '\t' + tsvFloat(row.valueDouble) + '\t' + row.valueInt;
}

function statsTsv(row: MetricPointRow): string {
  return (
    row.count + '\t' + tsvFloat(row.sum) + '\t' + bool(row.hasSum) + '\t' + tsvFloat(row.min) + '\t' + bool(row.hasMin) + '\t' +
    tsvFloat(row.max) + '\t' + bool(row.hasMax)
  );
}

export function gaugeToTsv(row: MetricPointRow): string {
  return commonTsv(row) + '\t' + numberValueTsv(row) + '\t' + exemplarsTsv(row) + '\t' + tailTsv(row);
}

export function sumToTsv(row: MetricPointRow): string {
  return (
    commonTsv(row) + '\t' + row.metric.temporality + '\t' + bool(row.metric.isMonotonic) + '\t' + numberValueTsv(row) + '\t' +
    exemplarsTsv(row) + '\t' + tailTsv(row)
  );
}

export function histogramToTsv(row: MetricPointRow): string {
  return (
    commonTsv(row) + '\t' + row.metric.temporality + '\t' + statsTsv(row) + '\t' +
    tsvNumberArray(row.bucketCounts) + '\t' + tsvFloatArray(row.explicitBounds) + '\t' +
    tsvString(row.httpRoute) + '\t' + tsvString(row.httpMethod) + '\t' + row.httpStatusCode + '\t' +
    exemplarsTsv(row) + '\t' + tailTsv(row)
  );
}

export function expHistogramToTsv(row: MetricPointRow): string {
  return (
    commonTsv(row) + '\t' + row.metric.temporality + '\t' + statsTsv(row) + '\t' +
    row.scale + '\t' + row.zeroCount + '\t' + tsvFloat(row.zeroThreshold) + '\t' +
    row.positiveOffset + '\t' + tsvNumberArray(row.positiveBucketCounts) + '\t' +
    row.negativeOffset + '\t' + tsvNumberArray(row.negativeBucketCounts) + '\t' +
    exemplarsTsv(row) + '\t' + tailTsv(row)
  );
}

export function summaryToTsv(row: MetricPointRow): string {
  return (
    commonTsv(row) + '\t' + row.count + '\t' + tsvFloat(row.sum) + '\t' +
    tsvFloatArray(row.quantiles) + '\t' + tsvFloatArray(row.quantileValues) + '\t' + tailTsv(row)
  );
}
