import { FLAG_NO_RECORDED_VALUE, VALUE_NONE, type MetricPointRow } from '../rows/metric-rows.ts';
import type { TimeWindow } from '../rows/types.ts';
import type { Rejections } from './rejections.ts';
import { timeProblem } from './item-times.ts';
import { INT_OR_STRING_STATUS, httpFields } from './http-attributes.ts';

// What the protobuf and JSON metric decoders share: point validation (partial success) and the
// derived columns, applied once a whole Metric message has been read (its fields may come in any order).

/** Metric names whose histogram points feed the HTTP request rollup (semantic conventions, new and old). */
const HTTP_SERVER_DURATION = new Set(['http.server.request.duration', 'http.server.duration']);

/** Why one point must be rejected, or ''. Checked as soon as the point is read. */
export function pointProblem(row: MetricPointRow, times: TimeWindow): string {
  if (row.timeNs === 0n) return 'data point without time_unix_nano';
  const outside = timeProblem(Number(row.timeNs / 1_000_000_000n), times, 'time_unix_nano');
  if (outside !== '') return outside;
  switch (row.kind) {
    case 'gauge':
    case 'sum':
      if (row.valueType === VALUE_NONE && (row.flags & FLAG_NO_RECORDED_VALUE) === 0) return 'number data point without a value';
      return '';
    case 'histogram':
      if (row.bucketCounts.length !== 0 && row.bucketCounts.length !== row.explicitBounds.length + 1) {
        return 'histogram bucket_counts length is not explicit_bounds length + 1';
      }
      return '';
    default:
      return '';
  }
}

/**
 * Moves the valid points of one finished Metric into `rows`, or rejects them all when the metric
 * itself is invalid (no name, or no data: the latter counts as one rejected data point).
 */
export function finishMetric(points: MetricPointRow[], hasData: boolean, rows: MetricPointRow[], rejections: Rejections): void {
  if (!hasData) {
    rejections.add('metric without data (no gauge, sum, histogram, exponential_histogram or summary)');
    return;
  }
  if (points.length === 0) return;
  const metric = points[0]!.metric;
  if (metric.name === '') {
    for (let i = 0; i < points.length; i++) rejections.add('metric without a name');
    return;
  }
  // Enum values outside the protocol's range are stored as 0 (unspecified), as spans do.
  if (!(metric.temporality >= 0 && metric.temporality <= 2)) metric.temporality = 0;
  const http = points[0]!.kind === 'histogram' && HTTP_SERVER_DURATION.has(metric.name);
  for (let i = 0; i < points.length; i++) {
    const row = points[i]!;
    row.timestamp = Number(row.timeNs / 1_000_000_000n);
    if (http) deriveHttpFields(row);
    rows.push(row);
  }
}

function deriveHttpFields(row: MetricPointRow): void {
  const http = httpFields(row.attributes, INT_OR_STRING_STATUS);
  row.httpRoute = http.route;
  row.httpMethod = http.method;
  row.httpStatusCode = http.statusCode;
}
