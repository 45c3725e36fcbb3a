import { Readable } from 'node:stream';
import type { Clickhouse } from '../../storage/client.ts';
import { errorLabel } from '../../storage/errors.ts';
import type { InsertTarget, TableSpec } from './table-spec.ts';
import { RowBinaryWriter } from '../rows/row-binary.ts';
import { QueueFullError, ShuttingDownError, StoragePermanentError, StorageUnavailableError } from './errors.ts';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from './retry.ts';

export interface BatchWriterOptions {
  /** Flush a table's batch when it holds this many rows... */
  maxBatchRows: number;
  /** ...or this many bytes of TabSeparated text... */
  maxBatchBytes: number;
  /**
   * ...or when its oldest row has waited this long. When no insert is in flight a batch is sent
   * sooner: once no rows have joined it for `lingerMs`. Requests are acknowledged only after their
   * insert, so waiting the full interval with an idle pipeline only adds latency (and with clients
   * that wait for their answer, latency is throughput); the quiet period lets the wave of requests
   * that follows an insert's acknowledgements land in one batch. While an insert runs, the next batch
   * grows until it ends: few, large inserts, which cost ClickHouse far less CPU per row than many
   * small ones (docs/performance.md). Full batches (and batches past the interval) use every slot.
   */
  flushIntervalMs: number;
  /** Quiet period that seals a batch while no insert is in flight (default min(5, flushIntervalMs) ms). */
  lingerMs?: number;
  /** Bound on bytes accepted but not yet inserted (all tables). Over it, submissions fail fast. */
  maxQueueBytes: number;
  /** Inserts in flight at once (ClickHouse prefers few large inserts). */
  maxConcurrentInserts: number;
  retry: RetryPolicy;
}

export const DEFAULT_BATCH_WRITER_OPTIONS: BatchWriterOptions = {
  maxBatchRows: 50_000,
  maxBatchBytes: 16 * 1024 * 1024,
  flushIntervalMs: 200,
  maxQueueBytes: 128 * 1024 * 1024,
  maxConcurrentInserts: 2,
  retry: DEFAULT_RETRY,
};

/** Hooks for the collector's own metrics; the writer itself knows nothing of prom-client. */
export interface WriterObserver {
  insertDone(table: string, rows: number, bytes: number, seconds: number): void;
  insertError(table: string, code: string): void;
  queueBytes(bytes: number): void;
}

const NOOP_OBSERVER: WriterObserver = { insertDone() {}, insertError() {}, queueBytes() {} };

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Batch {
  spec: InsertTarget;
  chunks: Buffer[];
  rows: number;
  /** Body bytes (what is sent). */
  bytes: number;
  /** Memory the bodies keep alive (what the queue bound counts; see heldBytes). */
  held: number;
  waiters: Waiter[];
  timer?: NodeJS.Timeout;
  linger?: NodeJS.Timeout;
}

/** Pre-serialized rows for one table (what `encode` returns and `submitEncoded` takes). */
export interface EncodedRows {
  spec: InsertTarget;
  body: Buffer;
  rows: number;
}

const scratch = new RowBinaryWriter(1 << 20);

export function encodeRows<Row>(spec: TableSpec<Row>, rows: readonly Row[]): EncodedRows {
  for (const row of rows) spec.writeRowBinary(scratch, row);
  return { spec: { table: spec.table, columns: spec.columns, format: 'RowBinary' }, body: scratch.take(), rows: rows.length };
}

/**
 * Memory a queued body keeps alive. A body may be a writer's whole buffer handed over without a copy
 * (RowBinaryWriter.takeOrHandOver), partly unused: count all of it, so the queue bound holds for
 * memory, not only for bytes to send. Small bodies from Node's shared buffer pool count as themselves.
 */
function heldBytes(body: Buffer): number {
  const whole = body.buffer.byteLength;
  return body.byteOffset === 0 && whole > Buffer.poolSize ? Math.max(body.length, whole) : body.length;
}

/**
 * Batches rows from many requests per table and inserts them in one request per batch.
 * `submit` resolves only once the rows are in ClickHouse: a request is acknowledged after that.
 */
export class BatchWriter {
  private readonly batches = new Map<string, Batch>();
  private queued = 0;
  private inFlight = 0;
  private readonly flushQueue: Batch[] = [];
  private closing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly ch: Clickhouse,
    private readonly options: BatchWriterOptions = DEFAULT_BATCH_WRITER_OPTIONS,
    private readonly observer: WriterObserver = NOOP_OBSERVER,
  ) {}

  get queuedBytes(): number {
    return this.queued;
  }

  submit<Row>(spec: TableSpec<Row>, rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.submitEncoded(encodeRows(spec, rows));
  }

  submitEncoded(encoded: EncodedRows): Promise<void> {
    if (this.closing) return Promise.reject(new ShuttingDownError());
    if (encoded.rows === 0) return Promise.resolve();
    const held = heldBytes(encoded.body);
    if (this.queued + held > this.options.maxQueueBytes) {
      return Promise.reject(new QueueFullError(this.retryAfterSeconds()));
    }
    this.queued += held;
    this.observer.queueBytes(this.queued);
    return new Promise<void>((resolve, reject) => {
      const batch = this.batchFor(encoded.spec);
      batch.chunks.push(encoded.body);
      batch.rows += encoded.rows;
      batch.bytes += encoded.body.length;
      batch.held += held;
      batch.waiters.push({ resolve, reject });
      if (batch.rows >= this.options.maxBatchRows || batch.bytes >= this.options.maxBatchBytes) this.seal(batch);
    });
  }

  /** Stops taking submissions and resolves once everything queued has been inserted or failed. */
  async close(): Promise<void> {
    this.closing = true;
    for (const batch of [...this.batches.values()]) this.seal(batch);
    if (this.inFlight === 0 && this.flushQueue.length === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Seals every open batch now (used by tests and shutdown). */
  flushAll(): void {
    for (const batch of [...this.batches.values()]) this.seal(batch);
  }

  private batchFor(spec: InsertTarget): Batch {
    let batch = this.batches.get(spec.table);
    if (!batch) {
      batch = { spec, chunks: [], rows: 0, bytes: 0, held: 0, waiters: [] };
      batch.timer = setTimeout(() => this.seal(batch!), this.options.flushIntervalMs);
      this.batches.set(spec.table, batch);
    }
    if (this.idle()) this.linger(batch);
    return batch;
  }

  private idle(): boolean {
    return this.inFlight === 0 && this.flushQueue.length === 0;
  }

  /** (Re)starts the quiet period after which `batch` is sealed. */
  private linger(batch: Batch): void {
    if (batch.linger !== undefined) batch.linger.refresh();
    else batch.linger = setTimeout(() => this.seal(batch), this.options.lingerMs ?? Math.min(5, this.options.flushIntervalMs));
  }

  private seal(batch: Batch): void {
    if (this.batches.get(batch.spec.table) !== batch) return;
    clearTimeout(batch.timer);
    clearTimeout(batch.linger);
    this.batches.delete(batch.spec.table);
    this.flushQueue.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxConcurrentInserts && this.flushQueue.length > 0) {
      const batch = this.flushQueue.shift()!;
      this.inFlight++;
      void this.insert(batch).finally(() => {
        this.inFlight--;
        this.queued -= batch.held;
        this.observer.queueBytes(this.queued);
        this.pump();
        // The pipeline is idle again: the batch that grew meanwhile goes now (after the linger).
        if (this.idle()) for (const open of this.batches.values()) this.linger(open);
        if (this.inFlight === 0 && this.flushQueue.length === 0 && this.batches.size === 0) {
          for (const r of this.idleWaiters.splice(0)) r();
        }
      });
    }
  }

  private async insert(batch: Batch): Promise<void> {
    // The request bodies are streamed as they are: concatenating them would hold every batch twice
    // while it is sent (measured as peak RSS when a full queue drains after an outage).
    const chunks = batch.chunks;
    batch.chunks = [];
    const started = process.hrtime.bigint();
    const outcome = await withRetry(
      () => this.ch.insertRaw(batch.spec.table, batch.spec.columns, batch.spec.format, Readable.from(chunks, { objectMode: false })),
      this.options.retry,
      (err) => this.observer.insertError(batch.spec.table, errorLabel(err)),
    );
    if (outcome.ok) {
      this.observer.insertDone(batch.spec.table, batch.rows, batch.bytes, Number(process.hrtime.bigint() - started) / 1e9);
      for (const w of batch.waiters) w.resolve();
      return;
    }
    const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    const error = outcome.retryable
      ? new StorageUnavailableError(`ClickHouse unavailable after ${outcome.attempts} attempt(s): ${firstLine(reason)}`, this.retryAfterSeconds())
      : new StoragePermanentError(`ClickHouse refused the insert into ${batch.spec.table}: ${firstLine(reason)}`);
    for (const w of batch.waiters) w.reject(error);
  }

  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.options.retry.maxElapsedMs / 2000));
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}
