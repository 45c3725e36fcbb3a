import {
  newMetricInfo,
  newMetricPointRow,
  VALUE_DOUBLE,
  VALUE_INT,
  type Count,
  type ExemplarRow,
  type MetricKind,
  type MetricPointRow,
} from '../rows/metric-rows.ts';
import { type DecodeLimits, type DecodeOptions, type DecodeResult, type ResourceInfo, type ScopeInfo, type TimeWindow } from '../rows/types.ts';
import { appendAttributesJson, KeyValueJsonList } from './any-value.ts';
import { FieldError, isObject, jsonArray, jsonEnum, jsonHexId, jsonObject, jsonString, jsonUint32, jsonUint64, type JsonObject } from './json-fields.ts';
import { timesOf } from './item-times.ts';
import { finishMetric, pointProblem } from './metric-fields.ts';
import {
  jsonBool,
  jsonCounts,
  jsonDouble,
  jsonDoubles,
  jsonInt32,
  jsonInt64,
  jsonOptionalDouble,
  walkJsonEnvelope,
} from './otlp-common.ts';
import { Rejections } from './rejections.ts';

// OTLP/JSON ExportMetricsServiceRequest into MetricPointRows, with the same rows and rules as the
// protobuf decoder (metrics-proto.ts).
//
// Wrong types are judged by where they are:
// - inside one data point (its fields, exemplars, attribute values): that point is rejected;
// - in a Metric's own fields (name, the data object, temporality, the dataPoints array): all its
//   points are rejected (as many as its dataPoints array holds, at least one);
// - anywhere else (top level, resource, scope, the arrays holding them): PayloadError.
// A metric with several data fields set keeps the first of gauge, sum, histogram,
// exponentialHistogram, summary.

const DATA_FIELDS: [string, MetricKind][] = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
];

/** Decodes an OTLP/JSON ExportMetricsServiceRequest. Throws PayloadError for invalid JSON or shape. */
export function decodeMetricsJson(body: string | Uint8Array, options: DecodeOptions): DecodeResult<MetricPointRow> {
  const rows: MetricPointRow[] = [];
  const rejections = new Rejections('data point');
  const times = timesOf(options);
  walkJsonEnvelope(body, { request: 'ExportMetricsServiceRequest', resourceList: 'resourceMetrics', scopeList: 'scopeMetrics', itemList: 'metrics' }, options.limits, (metric, resource, scope) =>
    readMetric(metric, resource, scope, options, times, rows, rejections),
  );
  return { rows, rejected: rejections.count, errorMessage: rejections.message() };
}

function readMetric(
  json: unknown,
  resource: ResourceInfo,
  scope: ScopeInfo,
  options: DecodeOptions,
  times: TimeWindow,
  rows: MetricPointRow[],
  rejections: Rejections,
): void {
  const metric = newMetricInfo();
  const points: MetricPointRow[] = [];
  let data: JsonObject | undefined;
  let kind: MetricKind = 'gauge';
  let dataPoints: unknown[] = [];
  try {
    if (!isObject(json)) throw new FieldError('metric must be an object');
    metric.name = jsonString(json, 'name');
    metric.description = jsonString(json, 'description');
    metric.unit = jsonString(json, 'unit');
    for (const [field, k] of DATA_FIELDS) {
      data = jsonObject(json, field);
      if (data !== undefined) {
        kind = k;
        break;
      }
    }
    if (data !== undefined) {
      // dataPoints first: a later error then rejects as many points as the metric holds.
      dataPoints = jsonArray(data, 'dataPoints');
      if (kind === 'sum' || kind === 'histogram' || kind === 'exponential_histogram') metric.temporality = jsonEnum(data, 'aggregationTemporality');
      if (kind === 'sum') metric.isMonotonic = jsonBool(data, 'isMonotonic');
    }
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    const n = Math.max(1, dataPoints.length);
    for (let i = 0; i < n; i++) rejections.add(error.message);
    return;
  }
  for (const point of dataPoints) {
    const row = newMetricPointRow(kind, options.tenant, metric, resource, scope);
    const problem = readPoint(point, row, options.limits, times);
    if (problem === '') points.push(row);
    else rejections.add(problem);
  }
  finishMetric(points, data !== undefined, rows, rejections);
}

/** Fills `row` from one JSON data point; returns why it is rejected, or ''. */
function readPoint(point: unknown, row: MetricPointRow, limits: DecodeLimits, times: TimeWindow): string {
  try {
    if (!isObject(point)) throw new FieldError('data point must be an object');
    appendAttributesJson(jsonArray(point, 'attributes'), row.attributes, limits);
    row.startTimeNs = jsonUint64(point, 'startTimeUnixNano');
    row.timeNs = jsonUint64(point, 'timeUnixNano');
    row.flags = jsonUint32(point, 'flags');
    switch (row.kind) {
      case 'gauge':
      case 'sum':
        readNumberValue(point, row);
        readExemplars(point, row, limits);
        break;
      case 'histogram':
        readStats(point, row);
        row.bucketCounts = jsonCounts(point, 'bucketCounts');
        row.explicitBounds = jsonDoubles(point, 'explicitBounds');
        readExemplars(point, row, limits);
        break;
      case 'exponential_histogram':
        readStats(point, row);
        row.scale = jsonInt32(point, 'scale');
        row.zeroCount = jsonUint64(point, 'zeroCount');
        row.zeroThreshold = jsonOptionalDouble(point, 'zeroThreshold') ?? 0;
        row.positiveOffset = readBuckets(jsonObject(point, 'positive'), row.positiveBucketCounts);
        row.negativeOffset = readBuckets(jsonObject(point, 'negative'), row.negativeBucketCounts);
        readExemplars(point, row, limits);
        break;
      case 'summary':
        readStats(point, row);
        for (const q of jsonArray(point, 'quantileValues')) {
          if (!isObject(q)) throw new FieldError('quantileValues items must be objects');
          row.quantiles.push(jsonOptionalDouble(q, 'quantile') ?? 0);
          row.quantileValues.push(jsonOptionalDouble(q, 'value') ?? 0);
        }
        break;
    }
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
  return pointProblem(row, times);
}

function readNumberValue(point: JsonObject, row: MetricPointRow): void {
  const asInt = point.asInt;
  if (asInt !== undefined && asInt !== null) {
    row.valueType = VALUE_INT;
    row.valueInt = jsonInt64(asInt, 'asInt');
    return;
  }
  const asDouble = jsonOptionalDouble(point, 'asDouble');
  if (asDouble !== undefined) {
    row.valueType = VALUE_DOUBLE;
    row.valueDouble = asDouble;
  }
}

/** count, sum, min, max (sum/min/max optional; summaries have no min/max). */
function readStats(point: JsonObject, row: MetricPointRow): void {
  row.count = jsonUint64(point, 'count');
  const sum = jsonOptionalDouble(point, 'sum');
  if (sum !== undefined) {
    row.sum = sum;
    row.hasSum = true;
  }
  if (row.kind === 'summary') return;
  const min = jsonOptionalDouble(point, 'min');
  if (min !== undefined) {
    row.min = min;
    row.hasMin = true;
  }
  const max = jsonOptionalDouble(point, 'max');
  if (max !== undefined) {
    row.max = max;
    row.hasMax = true;
  }
}

function readBuckets(json: JsonObject | undefined, counts: Count[]): number {
  if (json === undefined) return 0;
  for (const c of jsonCounts(json, 'bucketCounts')) counts.push(c);
  return jsonInt32(json, 'offset');
}

function readExemplars(point: JsonObject, row: MetricPointRow, limits: DecodeLimits): void {
  for (const json of jsonArray(point, 'exemplars')) {
    if (!isObject(json)) throw new FieldError('exemplar must be an object');
    const exemplar: ExemplarRow = {
      timeNs: jsonUint64(json, 'timeUnixNano'),
      valueType: 0,
      valueDouble: 0,
      valueInt: 0n,
      traceId: jsonHexId(json, 'traceId'),
      spanId: jsonHexId(json, 'spanId'),
      filteredAttributesJson: '',
    };
    if (json.asInt !== undefined && json.asInt !== null) {
      exemplar.valueType = VALUE_INT;
      exemplar.valueInt = jsonInt64(json.asInt, 'asInt');
    } else if (json.asDouble !== undefined && json.asDouble !== null) {
      exemplar.valueType = VALUE_DOUBLE;
      exemplar.valueDouble = jsonDouble(json.asDouble, 'asDouble');
    }
    const attributes = new KeyValueJsonList(limits);
    attributes.addJson(jsonArray(json, 'filteredAttributes'));
    exemplar.filteredAttributesJson = attributes.json();
    row.exemplars.push(exemplar);
  }
}
