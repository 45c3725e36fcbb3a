import type { FileHandle } from 'node:fs/promises';
import type { RowSink } from '../ingest.ts';
import type { EncodedRows } from '../writer/batch-writer.ts';
import { QueueFullError, ShuttingDownError, StorageUnavailableError } from '../writer/errors.ts';
import { encodeRecord } from './record.ts';
import type { DamagedRegion } from './scan.ts';
import { createSegment, listSegments, type SegmentFile } from './segments.ts';
import { SpoolSender } from './sender.ts';
import { countSetAside } from './set-aside.ts';

// The disk spool (write-ahead log) between the receivers and the batch writer.
//
// Write side: `write` encodes a request's rows as records and queues them; one committer appends
// everything queued to the current segment and fdatasyncs once (group commit), then resolves all
// those writes: a request is acknowledged once its rows are on disk. The current segment is sealed
// when it reaches `segmentMaxBytes` or `segmentMaxAgeMs`. A failed append is cut off again, so a
// refused request leaves no bytes (and a failed segment creation no file) behind.
//
// Send side (sender.ts): sealed segments are inserted, retried forever whatever the cause; only
// records ClickHouse refuses for their own content are set aside. A segment is deleted once every
// one of its records was inserted or set aside. A crash between an insert and the delete replays
// the segment: delivery is at least once.

export interface SpoolOptions {
  dir: string;
  /** Bound on segment bytes on disk; writes over it fail with QueueFullError (503 + Retry-After). */
  maxBytes: number;
  segmentMaxBytes: number;
  segmentMaxAgeMs: number;
  /** Segment bytes loaded and submitted per send round. */
  sendBatchBytes: number;
  retryAfterSeconds: number;
  backoff: { initialDelayMs: number; maxDelayMs: number };
  /** Refusals of a record for its content (each one alone, after bisection) before it is set aside. */
  refusalsBeforeSetAside: number;
  /** Least time between two "still waiting" log lines while inserts keep failing. */
  waitingLogEveryMs: number;
}

export const DEFAULT_SPOOL_OPTIONS: Omit<SpoolOptions, 'dir'> = {
  maxBytes: 1024 * 1024 * 1024,
  segmentMaxBytes: 8 * 1024 * 1024,
  segmentMaxAgeMs: 200,
  sendBatchBytes: 16 * 1024 * 1024,
  retryAfterSeconds: 2,
  backoff: { initialDelayMs: 250, maxDelayMs: 5_000 },
  refusalsBeforeSetAside: 3,
  waitingLogEveryMs: 30_000,
};

/** Where spooled rows go: the batch writer (resolves once inserted). */
export interface SpoolTarget {
  submitEncoded(rows: EncodedRows): Promise<void>;
  /** Starts inserting whatever was submitted without waiting for the batch timer. */
  flushAll(): void;
}

export interface SpoolObserver {
  bytes(bytes: number): void;
  /** A damaged region was skipped while reading a segment; the details are already in the log line. */
  corrupt(region: DamagedRegion): void;
  /** A record was moved to `rejected/`; the details are already in the log line. */
  setAside(table: string, rows: number): void;
  log(line: string): void;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class Spool implements RowSink {
  private diskBytes = 0;
  /** Bytes accepted by write() and not yet appended (counted against maxBytes). */
  private reservedBytes = 0;
  private nextSeq: number;
  private current?: { file: SegmentFile; handle: FileHandle; timer: NodeJS.Timeout };
  private queue: Buffer[] = [];
  private waiters: Waiter[] = [];
  private committing?: Promise<void>;
  private sealRequested = false;
  private closing = false;

  private readonly sender: SpoolSender;

  private constructor(
    private readonly options: SpoolOptions,
    target: SpoolTarget,
    private readonly observer: SpoolObserver,
    existing: SegmentFile[],
    now: () => Date,
  ) {
    this.nextSeq = (existing.at(-1)?.seq ?? 0) + 1;
    this.diskBytes = existing.reduce((sum, s) => sum + s.bytes, 0);
    const diskDelta = (bytes: number) => {
      this.diskBytes += bytes;
      this.observer.bytes(this.diskBytes);
    };
    this.sender = new SpoolSender(options, target, observer, existing, diskDelta, now);
  }

  /** Opens the spool directory; segments left by an earlier run are sent first. */
  static async open(options: SpoolOptions, target: SpoolTarget, observer: SpoolObserver, now: () => Date = () => new Date()): Promise<Spool> {
    const existing = await listSegments(options.dir);
    const spool = new Spool(options, target, observer, existing, now);
    if (existing.length > 0) observer.log(`collector: spool: replaying ${existing.length} segment(s), ${spool.diskBytes} bytes, from ${options.dir}`);
    const setAsideBefore = await countSetAside(options.dir);
    if (setAsideBefore > 0) observer.log(`collector: spool: ${setAsideBefore} record(s) refused by ClickHouse wait in ${options.dir}/rejected (burnrate spool list / resend)`);
    observer.bytes(spool.diskBytes);
    spool.sender.start();
    return spool;
  }

  get bytesOnDisk(): number {
    return this.diskBytes;
  }

  write(batches: EncodedRows[]): Promise<void> {
    if (this.closing) return Promise.reject(new ShuttingDownError());
    const records = batches.filter((b) => b.rows > 0).map((b) => encodeRecord(b));
    if (records.length === 0) return Promise.resolve();
    const size = records.reduce((sum, r) => sum + r.length, 0);
    if (this.diskBytes + this.reservedBytes + size > this.options.maxBytes) {
      return Promise.reject(new QueueFullError(this.options.retryAfterSeconds));
    }
    this.reservedBytes += size;
    return new Promise<void>((resolve, reject) => {
      this.queue.push(...records);
      this.waiters.push({ resolve, reject });
      this.kickCommitter();
    });
  }

  /**
   * Stops taking writes, commits what was accepted, then lets the sender drain for up to
   * `flushTimeoutMs`. What is not inserted by then stays on disk for the next start.
   */
  async close(flushTimeoutMs: number): Promise<{ remainingBytes: number }> {
    this.closing = true;
    this.sealRequested = true;
    this.kickCommitter();
    await this.committing;
    await this.sender.drain(flushTimeoutMs);
    await this.sender.stop();
    return { remainingBytes: this.diskBytes };
  }

  private kickCommitter(): void {
    if (this.committing) return;
    this.committing = this.commit().finally(() => {
      this.committing = undefined;
      if (this.queue.length > 0 || this.sealRequested) this.kickCommitter();
    });
  }

  private async commit(): Promise<void> {
    while (this.queue.length > 0 || this.sealRequested) {
      if (this.queue.length > 0) await this.appendQueued();
      const current = this.current;
      if (current && (this.sealRequested || current.file.bytes >= this.options.segmentMaxBytes)) await this.seal();
      else if (!current) this.sealRequested = false;
    }
  }

  private async appendQueued(): Promise<void> {
    const records = this.queue.splice(0);
    const waiters = this.waiters.splice(0);
    const size = records.reduce((sum, r) => sum + r.length, 0);
    let current: Spool['current'];
    try {
      current = this.current ?? (await this.openSegment());
      // At an explicit offset: after a failed append was cut off, the file position is past the end.
      const { bytesWritten } = await current.handle.writev(records, current.file.bytes);
      if (bytesWritten !== size) throw new Error(`short write (${bytesWritten} of ${size} bytes)`);
      await current.handle.datasync();
      current.file.bytes += size;
      this.diskBytes += size;
      this.reservedBytes -= size;
      this.observer.bytes(this.diskBytes);
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.reservedBytes -= size;
      const message = `spool write failed: ${(err as Error).message}`;
      this.observer.log(`collector: ${message}`);
      // Nothing of this append was acknowledged: cut it off again, so a full disk leaves no partial
      // records behind. If even that fails, seal the segment; its reader skips a torn tail.
      if (current) await current.handle.truncate(current.file.bytes).catch(() => void (this.sealRequested = true));
      for (const w of waiters) w.reject(new StorageUnavailableError(message, this.options.retryAfterSeconds));
    }
  }

  private async openSegment(): Promise<NonNullable<Spool['current']>> {
    const { file, handle } = await createSegment(this.options.dir, this.nextSeq++);
    this.diskBytes += file.bytes;
    const timer = setTimeout(() => {
      this.sealRequested = true;
      this.kickCommitter();
    }, this.options.segmentMaxAgeMs);
    this.current = { file, handle, timer };
    return this.current;
  }

  private async seal(): Promise<void> {
    const current = this.current!;
    this.current = undefined;
    this.sealRequested = false;
    clearTimeout(current.timer);
    await current.handle.close().catch(() => {});
    this.sender.add(current.file);
  }
}
