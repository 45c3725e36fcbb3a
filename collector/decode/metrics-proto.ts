import {
  newMetricInfo,
  newMetricPointRow,
  VALUE_DOUBLE,
  VALUE_INT,
  type Count,
  type ExemplarRow,
  type MetricInfo,
  type MetricKind,
  type MetricPointRow,
} from '../rows/metric-rows.ts';
import { PayloadError, type DecodeLimits, type DecodeOptions, type DecodeResult, type ResourceInfo, type ScopeInfo, type TimeWindow } from '../rows/types.ts';
import { appendAttributeProto, KeyValueJsonList } from './any-value.ts';
import { timesOf } from './item-times.ts';
import { finishMetric, pointProblem } from './metric-fields.ts';
import { walkProtoEnvelope } from './otlp-common.ts';
import { enterMessage, leaveMessage, skipField } from './proto-field.ts';
import { Rejections } from './rejections.ts';
import { hex, Reader } from './wire.ts';

// ExportMetricsServiceRequest (opentelemetry/proto/collector/metrics/v1) decoded straight from bytes
// into MetricPointRows, in the style of traces-proto.ts: `case` labels are whole tags, a known field
// with another wire type is a PayloadError, unknown fields are skipped.
//
// Fields may come in any order: a Metric's points share one MetricInfo that is filled as the Metric is
// read, and the points are kept aside until the Metric ends (finishMetric validates and derives).
// A Metric with several data fields keeps the last one, as protobuf oneofs do. Reserved field numbers
// of older protocol versions (int_gauge, labels, ...) are skipped whatever their wire type.
// Repeated scalars (bucket counts, bounds) are read packed or unpacked.

interface Context {
  tenant: string;
  limits: DecodeLimits;
  times: TimeWindow;
  rows: MetricPointRow[];
  rejections: Rejections;
}

/** Decodes a protobuf ExportMetricsServiceRequest. Throws PayloadError when the bytes are undecodable. */
export function decodeMetricsProto(body: Uint8Array, options: DecodeOptions): DecodeResult<MetricPointRow> {
  const reader = new Reader(body);
  const ctx: Context = { tenant: options.tenant, limits: options.limits, times: timesOf(options), rows: [], rejections: new Rejections('data point') };
  walkProtoEnvelope(reader, { request: 'ExportMetricsServiceRequest', resourceLevel: 'ResourceMetrics', scopeLevel: 'ScopeMetrics' }, ctx, readMetric);
  return { rows: ctx.rows, rejected: ctx.rejections.count, errorMessage: ctx.rejections.message() };
}

/** Skips an unmatched field; reserved (retired) field numbers in `reserved` are skipped like unknown ones. */
function skipOther(reader: Reader, tag: number, message: string, lastKnown: number, reserved: number): void {
  const field = tag >>> 3;
  if (field < 32 && (reserved >>> field) & 1) reader.skip(tag & 7);
  else skipField(reader, tag, message, lastKnown);
}

const METRIC_RESERVED = (1 << 4) | (1 << 6) | (1 << 8); // int_gauge, int_sum, int_histogram

function readMetric(reader: Reader, resource: ResourceInfo, scope: ScopeInfo, ctx: Context): void {
  const outerEnd = enterMessage(reader);
  const metric = newMetricInfo();
  const points: MetricPointRow[] = [];
  let hasData = false;
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // 1 name
        metric.name = reader.string();
        break;
      case 18: // 2 description
        metric.description = reader.string();
        break;
      case 26: // 3 unit
        metric.unit = reader.string();
        break;
      case 42: // 5 gauge
      case 58: // 7 sum
      case 74: // 9 histogram
      case 82: // 10 exponential_histogram
      case 90: // 11 summary
        points.length = 0;
        hasData = true;
        readData(reader, DATA_KINDS[tag >>> 3]!, metric, points, resource, scope, ctx);
        break;
      default: // 12 metadata is not stored
        skipOther(reader, tag, 'Metric', 11, METRIC_RESERVED);
    }
  }
  leaveMessage(reader, outerEnd);
  finishMetric(points, hasData, ctx.rows, ctx.rejections);
}

const DATA_KINDS: (MetricKind | undefined)[] = [];
DATA_KINDS[5] = 'gauge';
DATA_KINDS[7] = 'sum';
DATA_KINDS[9] = 'histogram';
DATA_KINDS[10] = 'exponential_histogram';
DATA_KINDS[11] = 'summary';

const DATA_MESSAGES: Record<MetricKind, string> = {
  gauge: 'Gauge',
  sum: 'Sum',
  histogram: 'Histogram',
  exponential_histogram: 'ExponentialHistogram',
  summary: 'Summary',
};

/** Gauge / Sum / Histogram / ExponentialHistogram / Summary: the data points and the metric-level fields. */
function readData(reader: Reader, kind: MetricKind, metric: MetricInfo, points: MetricPointRow[], resource: ResourceInfo, scope: ScopeInfo, ctx: Context): void {
  const outerEnd = enterMessage(reader);
  const hasTemporality = kind === 'sum' || kind === 'histogram' || kind === 'exponential_histogram';
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) {
      // 1 data_points
      const row = newMetricPointRow(kind, ctx.tenant, metric, resource, scope);
      switch (kind) {
        case 'gauge':
        case 'sum':
          readNumberPoint(reader, row, ctx.limits);
          break;
        case 'histogram':
          readHistogramPoint(reader, row, ctx.limits);
          break;
        case 'exponential_histogram':
          readExpHistogramPoint(reader, row, ctx.limits);
          break;
        case 'summary':
          readSummaryPoint(reader, row, ctx.limits);
          break;
      }
      const problem = pointProblem(row, ctx.times);
      if (problem === '') points.push(row);
      else ctx.rejections.add(problem);
    } else if (tag === 16 && hasTemporality) {
      metric.temporality = reader.uint32(); // 2 aggregation_temporality
    } else if (tag === 24 && kind === 'sum') {
      metric.isMonotonic = reader.bool(); // 3 is_monotonic
    } else {
      skipField(reader, tag, DATA_MESSAGES[kind], kind === 'sum' ? 3 : hasTemporality ? 2 : 1);
    }
  }
  leaveMessage(reader, outerEnd);
}

function readNumberPoint(reader: Reader, row: MetricPointRow, limits: DecodeLimits): void {
  const outerEnd = enterMessage(reader);
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 17: // 2 start_time_unix_nano
        row.startTimeNs = reader.fixed64();
        break;
      case 25: // 3 time_unix_nano
        row.timeNs = reader.fixed64();
        break;
      case 33: // 4 as_double
        row.valueType = VALUE_DOUBLE;
        row.valueDouble = reader.double();
        row.valueInt = 0n;
        break;
      case 42: // 5 exemplars
        row.exemplars.push(readExemplar(reader, limits));
        break;
      case 49: // 6 as_int
        row.valueType = VALUE_INT;
        row.valueInt = reader.sfixed64();
        row.valueDouble = 0;
        break;
      case 58: // 7 attributes
        appendAttributeProto(reader, row.attributes, limits);
        break;
      case 64: // 8 flags
        row.flags = reader.uint32() >>> 0;
        break;
      default:
        skipOther(reader, tag, 'NumberDataPoint', 8, 1 << 1);
    }
  }
  leaveMessage(reader, outerEnd);
}

function readHistogramPoint(reader: Reader, row: MetricPointRow, limits: DecodeLimits): void {
  const outerEnd = enterMessage(reader);
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 17: // 2 start_time_unix_nano
        row.startTimeNs = reader.fixed64();
        break;
      case 25: // 3 time_unix_nano
        row.timeNs = reader.fixed64();
        break;
      case 33: // 4 count
        row.count = reader.fixed64();
        break;
      case 41: // 5 sum
        row.sum = reader.double();
        row.hasSum = true;
        break;
      case 50: // 6 bucket_counts, packed
        readPackedFixed64(reader, row.bucketCounts);
        break;
      case 49: // 6 bucket_counts, one unpacked element
        row.bucketCounts.push(readFixed64Count(reader));
        break;
      case 58: // 7 explicit_bounds, packed
        readPackedDoubles(reader, row.explicitBounds);
        break;
      case 57: // 7 explicit_bounds, one unpacked element
        row.explicitBounds.push(reader.double());
        break;
      case 66: // 8 exemplars
        row.exemplars.push(readExemplar(reader, limits));
        break;
      case 74: // 9 attributes
        appendAttributeProto(reader, row.attributes, limits);
        break;
      case 80: // 10 flags
        row.flags = reader.uint32() >>> 0;
        break;
      case 89: // 11 min
        row.min = reader.double();
        row.hasMin = true;
        break;
      case 97: // 12 max
        row.max = reader.double();
        row.hasMax = true;
        break;
      default:
        skipOther(reader, tag, 'HistogramDataPoint', 12, 1 << 1);
    }
  }
  leaveMessage(reader, outerEnd);
}

function readExpHistogramPoint(reader: Reader, row: MetricPointRow, limits: DecodeLimits): void {
  const outerEnd = enterMessage(reader);
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // 1 attributes
        appendAttributeProto(reader, row.attributes, limits);
        break;
      case 17: // 2 start_time_unix_nano
        row.startTimeNs = reader.fixed64();
        break;
      case 25: // 3 time_unix_nano
        row.timeNs = reader.fixed64();
        break;
      case 33: // 4 count
        row.count = reader.fixed64();
        break;
      case 41: // 5 sum
        row.sum = reader.double();
        row.hasSum = true;
        break;
      case 48: // 6 scale
        row.scale = reader.sint32();
        break;
      case 57: // 7 zero_count
        row.zeroCount = reader.fixed64();
        break;
      case 66: // 8 positive
        row.positiveOffset = readBuckets(reader, row.positiveBucketCounts);
        break;
      case 74: // 9 negative
        row.negativeOffset = readBuckets(reader, row.negativeBucketCounts);
        break;
      case 80: // 10 flags
        row.flags = reader.uint32() >>> 0;
        break;
      case 90: // 11 exemplars
        row.exemplars.push(readExemplar(reader, limits));
        break;
      case 97: // 12 min
        row.min = reader.double();
        row.hasMin = true;
        break;
      case 105: // 13 max
        row.max = reader.double();
        row.hasMax = true;
        break;
      case 113: // 14 zero_threshold
        row.zeroThreshold = reader.double();
        break;
      default:
        skipField(reader, tag, 'ExponentialHistogramDataPoint', 14);
    }
  }
  leaveMessage(reader, outerEnd);
}

/** ExponentialHistogramDataPoint.Buckets: fills `counts`, returns the offset. */
function readBuckets(reader: Reader, counts: Count[]): number {
  const outerEnd = enterMessage(reader);
  let offset = 0;
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 8) offset = reader.sint32(); // 1 offset
    else if (tag === 18) {
      // 2 bucket_counts, packed varints
      const end = reader.lengthEnd();
      const saved = reader.end;
      reader.end = end;
      while (reader.pos < end) counts.push(readVarintCount(reader));
      reader.end = saved;
    } else if (tag === 16) counts.push(readVarintCount(reader)); // 2 bucket_counts, unpacked
    else skipField(reader, tag, 'ExponentialHistogramDataPoint.Buckets', 2);
  }
  leaveMessage(reader, outerEnd);
  return offset;
}

function readSummaryPoint(reader: Reader, row: MetricPointRow, limits: DecodeLimits): void {
  const outerEnd = enterMessage(reader);
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 17: // 2 start_time_unix_nano
        row.startTimeNs = reader.fixed64();
        break;
      case 25: // 3 time_unix_nano
        row.timeNs = reader.fixed64();
        break;
      case 33: // 4 count
        row.count = reader.fixed64();
        break;
      case 41: // 5 sum
        row.sum = reader.double();
        row.hasSum = true;
        break;
      case 50: // 6 quantile_values
        readQuantile(reader, row);
        break;
      case 58: // 7 attributes
        appendAttributeProto(reader, row.attributes, limits);
        break;
      case 64: // 8 flags
        row.flags = reader.uint32() >>> 0;
        break;
      default:
        skipOther(reader, tag, 'SummaryDataPoint', 8, 1 << 1);
    }
  }
  leaveMessage(reader, outerEnd);
}

function readQuantile(reader: Reader, row: MetricPointRow): void {
  const outerEnd = enterMessage(reader);
  let quantile = 0;
  let value = 0;
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 9) quantile = reader.double(); // 1 quantile
    else if (tag === 17) value = reader.double(); // 2 value
    else skipField(reader, tag, 'SummaryDataPoint.ValueAtQuantile', 2);
  }
  leaveMessage(reader, outerEnd);
  row.quantiles.push(quantile);
  row.quantileValues.push(value);
}

function readExemplar(reader: Reader, limits: DecodeLimits): ExemplarRow {
  const outerEnd = enterMessage(reader);
  const exemplar: ExemplarRow = { timeNs: 0n, valueType: 0, valueDouble: 0, valueInt: 0n, traceId: '', spanId: '', filteredAttributesJson: '' };
  let attributes: KeyValueJsonList | undefined;
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 17: // 2 time_unix_nano
        exemplar.timeNs = reader.fixed64();
        break;
      case 25: // 3 as_double
        exemplar.valueType = VALUE_DOUBLE;
        exemplar.valueDouble = reader.double();
        exemplar.valueInt = 0n;
        break;
      case 34: // 4 span_id
        exemplar.spanId = hex(reader.bytes());
        break;
      case 42: // 5 trace_id
        exemplar.traceId = hex(reader.bytes());
        break;
      case 49: // 6 as_int
        exemplar.valueType = VALUE_INT;
        exemplar.valueInt = reader.sfixed64();
        exemplar.valueDouble = 0;
        break;
      case 58: // 7 filtered_attributes
        (attributes ??= new KeyValueJsonList(limits)).addProto(reader);
        break;
      default:
        skipOther(reader, tag, 'Exemplar', 7, 1 << 1);
    }
  }
  leaveMessage(reader, outerEnd);
  if (attributes !== undefined) exemplar.filteredAttributesJson = attributes.json();
  return exemplar;
}

// ---------------------------------------------------------------------------------------------
// Counts: numbers when exactly representable, bigints beyond 2^53 (as the JSON decoder does).

function readFixed64Count(reader: Reader): Count {
  if (reader.pos + 8 > reader.end) throw new PayloadError('truncated fixed-width field');
  const lo = reader.view.getUint32(reader.pos, true);
  const hi = reader.view.getUint32(reader.pos + 4, true);
  reader.pos += 8;
  return hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

function readVarintCount(reader: Reader): Count {
  const start = reader.pos;
  const n = reader.uint32();
  if (n <= Number.MAX_SAFE_INTEGER) return n;
  reader.pos = start;
  return reader.uint64();
}

function readPackedFixed64(reader: Reader, out: Count[]): void {
  const end = reader.lengthEnd();
  if ((end - reader.pos) % 8 !== 0) throw new PayloadError('packed fixed64 length is not a multiple of 8');
  const saved = reader.end;
  reader.end = end;
  while (reader.pos < end) out.push(readFixed64Count(reader));
  reader.end = saved;
}

function readPackedDoubles(reader: Reader, out: number[]): void {
  const end = reader.lengthEnd();
  if ((end - reader.pos) % 8 !== 0) throw new PayloadError('packed double length is not a multiple of 8');
  while (reader.pos < end) {
    out.push(reader.view.getFloat64(reader.pos, true));
    reader.pos += 8;
  }
}
