import { Readable } from 'node:stream';
import type { Clickhouse } from '../../storage/client.ts';
import { classifyClickhouseError, describeClickhouseError, errorLabel, type ErrorClass } from '../../storage/errors.ts';
import type { InsertTarget, TableSpec } from './table-spec.ts';
import { RowBinaryWriter } from '../rows/row-binary.ts';
import { QueueFullError, RowsRefusedError, ShuttingDownError, StorageUnavailableError } from './errors.ts';
import { InsertHealth, type HealthObserver } from './health.ts';
import { isolateFailures, type Failure } from './isolate.ts';
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

/** Hooks for the collector's own metrics and log lines; the writer itself knows nothing of prom-client. */
export interface WriterObserver extends Partial<HealthObserver> {
  insertDone(table: string, rows: number, bytes: number, seconds: number): void;
  insertError(table: string, code: string, errorClass: ErrorClass): void;
  queueBytes(bytes: number): void;
}

const NOOP_OBSERVER: WriterObserver = { insertDone() {}, insertError() {}, queueBytes() {} };

/** With inserts failing and none tried for this long, readiness re-checks with an empty insert. */
const PROBE_AFTER_MS = 5_000;

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/** One submission: a request's rows for one table (or one spool record), answered on its own. */
interface Part {
  body: Buffer;
  rows: number;
  waiter: Waiter;
}

interface Batch {
  spec: InsertTarget;
  parts: Part[];
  rows: number;
  /** Body bytes (what is sent). */
  bytes: number;
  /** Memory the bodies keep alive (what the queue bound counts; see heldBytes). */
  held: number;
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
  private readonly health: InsertHealth;
  private lastFailedSpec?: InsertTarget;
  private probing?: Promise<Failure | undefined>;

  constructor(
    private readonly ch: Clickhouse,
    private readonly options: BatchWriterOptions = DEFAULT_BATCH_WRITER_OPTIONS,
    private readonly observer: WriterObserver = NOOP_OBSERVER,
  ) {
    this.health = new InsertHealth({
      changed: (failing) => observer.changed?.(failing),
      failing: (cause, errorClass, sinceMs) => observer.failing?.(cause, errorClass, sinceMs),
      recovered: (afterMs) => observer.recovered?.(afterMs),
    });
  }

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
      batch.parts.push({ body: encoded.body, rows: encoded.rows, waiter: { resolve, reject } });
      batch.rows += encoded.rows;
      batch.bytes += encoded.body.length;
      batch.held += held;
      if (batch.rows >= this.options.maxBatchRows || batch.bytes >= this.options.maxBatchBytes) this.seal(batch);
    });
  }

  /**
   * Submits one request's batches (one per table) and settles once all are done. When some are
   * refused for their content and the rest went in, rejects with one RowsRefusedError counting the
   * refused rows (the caller answers a partial success); any other failure wins, since the client
   * must then retry the request anyway.
   */
  async submitAll(batches: readonly EncodedRows[]): Promise<void> {
    const outcomes = await Promise.allSettled(batches.map((b) => this.submitEncoded(b)));
    const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
    if (errors.length === 0) return;
    const other = errors.find((e) => !(e instanceof RowsRefusedError));
    if (other) throw other;
    const refused = errors as RowsRefusedError[];
    if (refused.length === 1) throw refused[0];
    throw new RowsRefusedError(refused.map((e) => e.message).join('; '), refused.reduce((sum, e) => sum + e.rows, 0));
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
      batch = { spec, parts: [], rows: 0, bytes: 0, held: 0 };
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
    const parts = batch.parts;
    batch.parts = [];
    const outcome = await withRetry(() => this.send(batch.spec, parts), this.options.retry, (err, errorClass) => this.failedAttempt(batch.spec, err, errorClass));
    if (outcome.ok) {
      for (const part of parts) part.waiter.resolve();
      return;
    }
    // Find the part(s) the failure belongs to; the others go in without them.
    const first: Failure = { error: outcome.error, errorClass: outcome.errorClass };
    const failed = parts.length === 1 ? new Map([[parts[0]!, first]]) : await isolateFailures(parts, first, (subset) => this.tryOnce(batch.spec, subset));
    for (const part of parts) {
      const failure = failed.get(part);
      if (failure === undefined) part.waiter.resolve();
      else part.waiter.reject(this.errorFor(batch.spec, part, failure));
    }
  }

  /** One insert of `parts` as one body; throws what ClickHouse answered. */
  private async send(spec: InsertTarget, parts: readonly Part[]): Promise<void> {
    // The request bodies are streamed as they are: concatenating them would hold every batch twice
    // while it is sent (measured as peak RSS when a full queue drains after an outage).
    const started = process.hrtime.bigint();
    const begun = this.health.begin();
    await this.ch.insertRaw(spec.table, spec.columns, spec.format, Readable.from(parts.map((p) => p.body), { objectMode: false }));
    let rows = 0;
    let bytes = 0;
    for (const part of parts) {
      rows += part.rows;
      bytes += part.body.length;
    }
    this.health.succeeded(begun);
    if (parts.length > 0) this.observer.insertDone(spec.table, rows, bytes, Number(process.hrtime.bigint() - started) / 1e9);
  }

  private async tryOnce(spec: InsertTarget, parts: readonly Part[]): Promise<Failure | undefined> {
    try {
      await this.send(spec, parts);
      return undefined;
    } catch (error) {
      const errorClass = classifyClickhouseError(error);
      this.failedAttempt(spec, error, errorClass);
      return { error, errorClass };
    }
  }

  private failedAttempt(spec: InsertTarget, error: unknown, errorClass: ErrorClass): void {
    this.lastFailedSpec = spec;
    this.health.failed(error, errorClass);
    this.observer.insertError(spec.table, errorLabel(error), errorClass);
  }

  private errorFor(spec: InsertTarget, part: Part, failure: Failure): Error {
    const cause = describeClickhouseError(failure.error);
    if (failure.errorClass === 'data') return new RowsRefusedError(`ClickHouse refused ${part.rows} row(s) for ${spec.table}: ${cause}`, part.rows);
    return new StorageUnavailableError(`ClickHouse did not take the rows for ${spec.table}: ${cause}`, this.retryAfterSeconds(), failure.errorClass);
  }

  /**
   * False while inserts fail for a reason outside the rows. With no insert tried for a while (no
   * traffic, or clients kept away by this very answer), an empty insert into the table that
   * failed last re-checks credentials, database, table and permissions.
   */
  async ready(): Promise<boolean> {
    if (!this.health.failing) return true;
    const spec = this.lastFailedSpec;
    if (spec === undefined || this.health.idleMs < PROBE_AFTER_MS) return false;
    this.probing ??= this.tryOnce(spec, []).finally(() => (this.probing = undefined));
    await this.probing;
    return !this.health.failing;
  }

  /** Why inserts fail right now, in one line ('' when they do not). */
  get failureCause(): string {
    return this.health.cause;
  }

  private retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.options.retry.maxElapsedMs / 2000));
  }
}
