import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WriterObserver } from './writer/batch-writer.ts';

export type Signal = 'traces' | 'metrics' | 'logs';

/** The collector's own metrics (`GET /metrics`). Labels are bounded: signal, reason, code, table. */
export class CollectorTelemetry {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'burnrate_collector_items_received_total',
    help: 'Items (spans, data points, log records) decoded from requests',
    labelNames: ['signal'],
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'burnrate_collector_items_accepted_total',
    help: 'Items stored and acknowledged',
    labelNames: ['signal'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'burnrate_collector_items_rejected_total',
    help: 'Items not stored, by reason (invalid, refused by ClickHouse for their content, queue_full, storage_unavailable, storage_error, shutting_down)',
    labelNames: ['signal', 'reason'],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'burnrate_collector_requests_total',
    help: 'Export requests by signal, transport and response status code',
    labelNames: ['signal', 'transport', 'code'],
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'burnrate_collector_insert_batches_total',
    help: 'Successful ClickHouse inserts',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly rowsPerInsert = new Histogram({
    name: 'burnrate_collector_insert_rows',
    help: 'Rows per ClickHouse insert',
    labelNames: ['table'],
    buckets: [1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000],
    registers: [this.registry],
  });
  readonly insertSeconds = new Histogram({
    name: 'burnrate_collector_insert_duration_seconds',
    help: 'Time of one successful ClickHouse insert',
    labelNames: ['table'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueBytes = new Gauge({
    name: 'burnrate_collector_queue_bytes',
    help: 'Bytes accepted but not yet inserted into ClickHouse',
    registers: [this.registry],
  });
  readonly spoolBytes = new Gauge({
    name: 'burnrate_collector_spool_bytes',
    help: 'Bytes in the disk spool (acknowledged, not yet inserted into ClickHouse)',
    registers: [this.registry],
  });
  readonly spoolCorruptRecords = new Counter({
    name: 'burnrate_collector_spool_corrupt_records_total',
    help: 'Damaged regions skipped while reading spool segments (bad checksum, torn tail, damaged file header); the bytes are kept in DIR/damaged',
    registers: [this.registry],
  });
  readonly spoolDamagedBytes = new Counter({
    name: 'burnrate_collector_spool_damaged_bytes_total',
    help: 'Bytes of the damaged regions skipped in spool segments',
    registers: [this.registry],
  });
  readonly spoolSetAsideRecords = new Counter({
    name: 'burnrate_collector_spool_set_aside_records_total',
    help: 'Spool records ClickHouse refused for their own content, moved to DIR/rejected (burnrate spool list)',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly clickhouseErrors = new Counter({
    name: 'burnrate_collector_clickhouse_errors_total',
    help: 'Failed ClickHouse insert attempts by error code (network when there was no answer) and class (data, transient, environmental)',
    labelNames: ['code', 'class'],
    registers: [this.registry],
  });
  readonly clickhouseFailing = new Gauge({
    name: 'burnrate_collector_clickhouse_failing',
    help: '1 while ClickHouse inserts fail for a reason outside the rows (unavailable, auth, permissions, missing table, disk...), else 0',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'burnrate_collector_' });
  }

  writerObserver(): WriterObserver {
    return {
      insertDone: (table, rows, _bytes, seconds) => {
        this.batches.inc({ table });
        this.rowsPerInsert.observe({ table }, rows);
        this.insertSeconds.observe({ table }, seconds);
      },
      insertError: (_table, code, errorClass) => this.clickhouseErrors.inc({ code, class: errorClass }),
      queueBytes: (bytes) => this.queueBytes.set(bytes),
      changed: (failing) => this.clickhouseFailing.set(failing ? 1 : 0),
    };
  }
}
