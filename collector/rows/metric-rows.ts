import type { AttributeColumns, ResourceInfo, ScopeInfo } from './types.ts';
import type { RowBinaryWriter } from './row-binary.ts';
import { RESOURCE_COLUMNS, SCOPE_COLUMNS, SERVICE_COLUMNS, writeResourceColumns, writeScopeColumns, writeServiceColumns } from './shared-row-binary.ts';

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
// RowBinary. Every table starts with the same columns (COMMON) and ends with the same ones (TAIL).

const COMMON = [
  'tenant', 'timestamp', 'start_time_ns', 'time_ns',
  ...SERVICE_COLUMNS,
  'metric_name', 'metric_description', 'metric_unit',
  'attributes.key', 'attributes.type', 'attributes.value', 'flags',
] as const;

const EXEMPLARS = [
  'exemplars.time_ns', 'exemplars.value_type', 'exemplars.value_double', 'exemplars.value_int',
  'exemplars.trace_id', 'exemplars.span_id', 'exemplars.filtered_attributes',
] as const;

const TAIL = [...RESOURCE_COLUMNS, ...SCOPE_COLUMNS] as const;

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

// The metric's name, description and unit are shared by its points: encode them once.
const metricBytes = new WeakMap<MetricInfo, Buffer>();

function writeCommon(w: RowBinaryWriter, row: MetricPointRow): void {
  w.string(row.tenant);
  w.u32(row.timestamp);
  w.u64(row.startTimeNs);
  w.u64(row.timeNs);
  writeServiceColumns(w, row.resource);
  const cached = metricBytes.get(row.metric);
  if (cached) w.bytes(cached);
  else {
    const start = w.pos;
    w.string(row.metric.name);
    w.string(row.metric.description);
    w.string(row.metric.unit);
    metricBytes.set(row.metric, w.slice(start));
  }
  w.strings(row.attributes.keys);
  w.strings(row.attributes.types);
  w.strings(row.attributes.values);
  w.u32(row.flags);
}

function writeCounts(w: RowBinaryWriter, counts: readonly Count[]): void {
  w.varint(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    w.u64(typeof c === 'bigint' ? c : BigInt(c));
  }
}

function writeFloats(w: RowBinaryWriter, values: readonly number[]): void {
  w.varint(values.length);
  for (let i = 0; i < values.length; i++) w.f64(values[i]!);
}

function writeExemplars(w: RowBinaryWriter, row: MetricPointRow): void {
  const e = row.exemplars;
  const n = e.length;
  w.varint(n);
  for (let i = 0; i < n; i++) w.u64(e[i]!.timeNs);
  w.varint(n);
  for (let i = 0; i < n; i++) w.u8(e[i]!.valueType);
  w.varint(n);
  for (let i = 0; i < n; i++) w.f64(e[i]!.valueDouble);
  w.varint(n);
  for (let i = 0; i < n; i++) w.i64(e[i]!.valueInt);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(e[i]!.traceId);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(e[i]!.spanId);
  w.varint(n);
  for (let i = 0; i < n; i++) w.string(e[i]!.filteredAttributesJson);
}

function writeTail(w: RowBinaryWriter, row: MetricPointRow): void {
  writeResourceColumns(w, row.resource);
  writeScopeColumns(w, row.scope);
}

function writeNumberValue(w: RowBinaryWriter, row: MetricPointRow): void {
  w.u8(row.valueType);
  w.f64(row.valueDouble);
  w.i64(row.valueInt);
}

function writeStats(w: RowBinaryWriter, row: MetricPointRow): void {
  w.u64(row.count);
  w.f64(row.sum);
  w.u8(row.hasSum ? 1 : 0);
  w.f64(row.min);
  w.u8(row.hasMin ? 1 : 0);
  w.f64(row.max);
  w.u8(row.hasMax ? 1 : 0);
}

export function writeGaugeRow(w: RowBinaryWriter, row: MetricPointRow): void {
  writeCommon(w, row);
  writeNumberValue(w, row);
  writeExemplars(w, row);
  writeTail(w, row);
}

export function writeSumRow(w: RowBinaryWriter, row: MetricPointRow): void {
  writeCommon(w, row);
  w.u8(row.metric.temporality);
  w.u8(row.metric.isMonotonic ? 1 : 0);
  writeNumberValue(w, row);
  writeExemplars(w, row);
  writeTail(w, row);
}

export function writeHistogramRow(w: RowBinaryWriter, row: MetricPointRow): void {
  writeCommon(w, row);
  w.u8(row.metric.temporality);
  writeStats(w, row);
  writeCounts(w, row.bucketCounts);
  writeFloats(w, row.explicitBounds);
  w.string(row.httpRoute);
  w.string(row.httpMethod);
  w.u16(row.httpStatusCode);
  writeExemplars(w, row);
  writeTail(w, row);
}

export function writeExpHistogramRow(w: RowBinaryWriter, row: MetricPointRow): void {
  writeCommon(w, row);
  w.u8(row.metric.temporality);
  writeStats(w, row);
  w.i32(row.scale);
  w.u64(row.zeroCount);
  w.f64(row.zeroThreshold);
  w.i32(row.positiveOffset);
  writeCounts(w, row.positiveBucketCounts);
  w.i32(row.negativeOffset);
  writeCounts(w, row.negativeBucketCounts);
  writeExemplars(w, row);
  writeTail(w, row);
}

export function writeSummaryRow(w: RowBinaryWriter, row: MetricPointRow): void {
  writeCommon(w, row);
  w.u64(row.count);
  w.f64(row.sum);
  writeFloats(w, row.quantiles);
  writeFloats(w, row.quantileValues);
  writeTail(w, row);
}
