import { decodeMetricsJson } from '../decode/metrics-json.ts';
import { decodeMetricsProto } from '../decode/metrics-proto.ts';
import {
  EXP_HISTOGRAM_COLUMNS,
  GAUGE_COLUMNS,
  HISTOGRAM_COLUMNS,
  SUM_COLUMNS,
  SUMMARY_COLUMNS,
  writeExpHistogramRow,
  writeGaugeRow,
  writeHistogramRow,
  writeSumRow,
  writeSummaryRow,
  type MetricKind,
  type MetricPointRow,
} from '../rows/metric-rows.ts';
import { encodeRows, type EncodedRows } from '../writer/batch-writer.ts';
import type { TableSpec } from '../writer/table-spec.ts';
import type { SignalSpec } from './signal.ts';
import { TABLES } from '../../storage/tables.ts';

/** One table per data point kind. */
export const METRIC_TABLES: Record<MetricKind, TableSpec<MetricPointRow>> = {
  gauge: { table: TABLES.metricsGauge, columns: GAUGE_COLUMNS, writeRowBinary: writeGaugeRow },
  sum: { table: TABLES.metricsSum, columns: SUM_COLUMNS, writeRowBinary: writeSumRow },
  histogram: { table: TABLES.metricsHistogram, columns: HISTOGRAM_COLUMNS, writeRowBinary: writeHistogramRow },
  exponential_histogram: { table: TABLES.metricsExpHistogram, columns: EXP_HISTOGRAM_COLUMNS, writeRowBinary: writeExpHistogramRow },
  summary: { table: TABLES.metricsSummary, columns: SUMMARY_COLUMNS, writeRowBinary: writeSummaryRow },
};

const KINDS = Object.keys(METRIC_TABLES) as MetricKind[];

/** Splits points by kind and serializes each group for its table. */
function encodeMetrics(rows: MetricPointRow[]): EncodedRows[] {
  const byKind = new Map<MetricKind, MetricPointRow[]>();
  for (const row of rows) {
    let list = byKind.get(row.kind);
    if (list === undefined) byKind.set(row.kind, (list = []));
    list.push(row);
  }
  const out: EncodedRows[] = [];
  for (const kind of KINDS) {
    const list = byKind.get(kind);
    if (list !== undefined) out.push(encodeRows(METRIC_TABLES[kind], list));
  }
  return out;
}

export const metricsSignal: SignalSpec<MetricPointRow> = {
  signal: 'metrics',
  path: '/v1/metrics',
  items: 'data points',
  rejectedJsonField: 'rejectedDataPoints',
  decodeProto: decodeMetricsProto,
  decodeJson: decodeMetricsJson,
  encode: encodeMetrics,
  count: (rows) => rows.length,
};
