import type { FileHandle } from 'node:fs/promises';
import type { RowSink } from '../ingest.ts';
import type { EncodedRows } from '../writer/batch-writer.ts';
import { QueueFullError, ShuttingDownError, StoragePermanentError, StorageUnavailableError } from '../writer/errors.ts';
import { encodeRecord } from './record.ts';
import { createSegment, deleteSegment, listSegments, loadSegment, quarantineSegment, type SegmentFile } from './segments.ts';

// The disk spool (write-ahead log) between the receivers and the batch writer.
//
// Write side: `write` encodes a request's rows as records and queues them; one committer appends
// everything queued to the current segment and fdatasyncs once (group commit), then resolves all
// those writes: a request is acknowledged once its rows are on disk. The current segment is sealed
// when it reaches `segmentMaxBytes` or `segmentMaxAgeMs`.
//
// Send side: one loop loads the oldest sealed segments (up to `sendBatchBytes`), submits their
// records to the writer and retries the failed ones forever with backoff; a segment is deleted
// once every one of its records was inserted. A crash between an insert and the delete replays the
// segment: delivery is at least once.

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
  /** Consecutive permanent refusals before a segment is set aside as `.rejected`. */
  maxPermanentFailures: number;
}

export const DEFAULT_SPOOL_OPTIONS: Omit<SpoolOptions, 'dir'> = {
  maxBytes: 1024 * 1024 * 1024,
  segmentMaxBytes: 8 * 1024 * 1024,
  segmentMaxAgeMs: 200,
  sendBatchBytes: 16 * 1024 * 1024,
  retryAfterSeconds: 2,
  backoff: { initialDelayMs: 250, maxDelayMs: 5_000 },
  maxPermanentFailures: 5,
};

/** Where spooled rows go: the batch writer (resolves once inserted). */
export interface SpoolTarget {
  submitEncoded(rows: EncodedRows): Promise<void>;
  /** Starts inserting whatever was submitted without waiting for the batch timer. */
  flushAll(): void;
}

export interface SpoolObserver {
  bytes(bytes: number): void;
  /** A segment had a bad tail or was unreadable; the details are already in the log line. */
  corrupt(): void;
  log(line: string): void;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface InFlight {
  file: SegmentFile;
  records: EncodedRows[];
  done: boolean[];
  permanentFailures: number;
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

  private readonly sealed: SegmentFile[];
  private readonly inFlight: InFlight[] = [];
  private senderStopped = false;
  private senderLoop?: Promise<void>;
  private wake?: () => void;
  private drainWaiters: (() => void)[] = [];

  private constructor(
    private readonly options: SpoolOptions,
    private readonly target: SpoolTarget,
    private readonly observer: SpoolObserver,
    existing: SegmentFile[],
  ) {
    this.sealed = existing;
    this.nextSeq = (existing.at(-1)?.seq ?? 0) + 1;
    this.diskBytes = existing.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Opens the spool directory; segments left by an earlier run are sent first. */
  static async open(options: SpoolOptions, target: SpoolTarget, observer: SpoolObserver): Promise<Spool> {
    const existing = await listSegments(options.dir);
    const spool = new Spool(options, target, observer, existing);
    if (existing.length > 0) observer.log(`collector: spool: replaying ${existing.length} segment(s), ${spool.diskBytes} bytes, from ${options.dir}`);
    observer.bytes(spool.diskBytes);
    spool.senderLoop = spool.send();
    return spool;
  }

  get bytesOnDisk(): number {
    return this.diskBytes;
  }

  write(batches: EncodedRows[]): Promise<void> {
    if (this.closing) return Promise.reject(new ShuttingDownError());
    const records = batches.filter((b) => b.rows > 0).map(encodeRecord);
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
    if (this.sealed.length > 0 || this.inFlight.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.drainWaiters.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, flushTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.senderStopped = true;
    this.wake?.();
    await this.senderLoop;
    return { remainingBytes: this.diskBytes };
  }

  // ---------------------------------------------------------------------------------------------
  // Write side

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
    try {
      const current = this.current ?? (await this.openSegment());
      const { bytesWritten } = await current.handle.writev(records);
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
      // A partial append may sit at the end of the segment: seal it here, the sender's checksum
      // check cuts the torn tail. The next write starts a fresh segment.
      if (this.current) this.sealRequested = true;
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
    this.sealed.push(current.file);
    this.wake?.();
  }

  // ---------------------------------------------------------------------------------------------
  // Send side

  private async send(): Promise<void> {
    let delay = this.options.backoff.initialDelayMs;
    while (!this.senderStopped) {
      await this.loadMore();
      if (this.inFlight.length === 0) {
        for (const r of this.drainWaiters.splice(0)) r();
        await this.pause(undefined);
        continue;
      }
      const failed = await this.submitRound();
      await this.retireFinished();
      if (failed) {
        await this.pause(Math.random() * delay);
        delay = Math.min(delay * 2, this.options.backoff.maxDelayMs);
      } else {
        delay = this.options.backoff.initialDelayMs;
      }
    }
  }

  /** Sleeps `ms`, or until a seal or close when `ms` is undefined; close ends any pause. */
  private pause(ms: number | undefined): Promise<void> {
    if (this.senderStopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(finish, ms);
      this.wake = ms === undefined ? finish : () => this.senderStopped && finish();
    });
  }

  private async loadMore(): Promise<void> {
    let loaded = this.inFlight.reduce((sum, s) => sum + s.file.bytes, 0);
    while (this.sealed.length > 0 && (this.inFlight.length === 0 || loaded < this.options.sendBatchBytes)) {
      const file = this.sealed.shift()!;
      let segment;
      try {
        segment = await loadSegment(file);
      } catch (err) {
        this.observer.log(`collector: spool: cannot read ${file.path}: ${(err as Error).message}; will retry`);
        this.sealed.unshift(file);
        return;
      }
      if (segment.problem) {
        this.observer.log(`collector: spool: ${file.path}: ${segment.problem}`);
        this.observer.corrupt();
      }
      this.diskBytes -= segment.discardedBytes;
      file.bytes -= segment.discardedBytes;
      if (segment.records.length === 0) {
        await this.forget(file);
        continue;
      }
      this.inFlight.push({ file, records: segment.records, done: segment.records.map(() => false), permanentFailures: 0 });
      loaded += file.bytes;
    }
    this.observer.bytes(this.diskBytes);
  }

  /** Submits every record not yet inserted; returns whether any failed. */
  private async submitRound(): Promise<boolean> {
    const rounds = this.inFlight.map((segment) =>
      Promise.allSettled(
        segment.records.map((record, i) =>
          segment.done[i] ? Promise.resolve() : this.target.submitEncoded(record).then(() => void (segment.done[i] = true)),
        ),
      ),
    );
    this.target.flushAll();
    const results = await Promise.all(rounds);
    let failure: unknown;
    results.forEach((outcomes, s) => {
      const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      const segment = this.inFlight[s]!;
      segment.permanentFailures = errors.some((e) => e instanceof StoragePermanentError) ? segment.permanentFailures + 1 : 0;
      failure ??= errors[0];
    });
    if (failure !== undefined && !(failure instanceof ShuttingDownError)) {
      this.observer.log(`collector: spool: insert failed, will retry: ${(failure as Error).message}`);
    }
    return failure !== undefined;
  }

  private async retireFinished(): Promise<void> {
    for (let i = 0; i < this.inFlight.length; ) {
      const segment = this.inFlight[i]!;
      if (segment.done.every(Boolean)) {
        await this.forget(segment.file);
        this.inFlight.splice(i, 1);
      } else if (segment.permanentFailures >= this.options.maxPermanentFailures) {
        const target = await quarantineSegment(segment.file).catch(() => segment.file.path);
        this.observer.log(`collector: spool: ClickHouse refused ${segment.file.path} ${segment.permanentFailures} times; moved to ${target}`);
        this.diskBytes -= segment.file.bytes;
        this.inFlight.splice(i, 1);
      } else {
        i++;
      }
    }
    this.observer.bytes(this.diskBytes);
  }

  private async forget(file: SegmentFile): Promise<void> {
    // Account first: once the file is gone nobody may still see its bytes as pending.
    this.diskBytes -= file.bytes;
    await deleteSegment(file);
  }
}
