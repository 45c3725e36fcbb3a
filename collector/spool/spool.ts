import type { FileHandle } from 'node:fs/promises';
import type { RowSink } from '../ingest.ts';
import type { EncodedRows } from '../writer/batch-writer.ts';
import { QueueFullError, RowsRefusedError, ShuttingDownError, StorageUnavailableError } from '../writer/errors.ts';
import { encodeRecord } from './record.ts';
import type { DamagedRegion } from './scan.ts';
import { createSegment, deleteSegment, listSegments, loadSegment, moveToDamaged, type SegmentFile } from './segments.ts';
import { countSetAside, setAside } from './set-aside.ts';

// The disk spool (write-ahead log) between the receivers and the batch writer.
//
// Write side: `write` encodes a request's rows as records and queues them; one committer appends
// everything queued to the current segment and fdatasyncs once (group commit), then resolves all
// those writes: a request is acknowledged once its rows are on disk. The current segment is sealed
// when it reaches `segmentMaxBytes` or `segmentMaxAgeMs`. A failed append is cut off again, so a
// refused request leaves no bytes (and a failed segment creation no file) behind.
//
// Send side: one loop loads the oldest sealed segments (up to `sendBatchBytes`), submits their
// records to the writer and retries the failed ones forever with backoff, whatever the cause:
// only a record ClickHouse refuses for its own content (the writer has already isolated it from
// its neighbours) is set aside, after `refusalsBeforeSetAside` such refusals, into `rejected/`. A
// segment is deleted once every one of its records was inserted or set aside. A crash between an
// insert and the delete replays the segment: delivery is at least once.

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

interface InFlight {
  file: SegmentFile;
  records: EncodedRows[];
  done: boolean[];
  refusals: number[];
  /** A copy of its damaged bytes could not be written: keep the whole file in damaged/ instead. */
  keepWhole: boolean;
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
  private lastWaitingLog = 0;

  private constructor(
    private readonly options: SpoolOptions,
    private readonly target: SpoolTarget,
    private readonly observer: SpoolObserver,
    existing: SegmentFile[],
    private readonly now: () => Date,
  ) {
    this.sealed = existing;
    this.nextSeq = (existing.at(-1)?.seq ?? 0) + 1;
    this.diskBytes = existing.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** Opens the spool directory; segments left by an earlier run are sent first. */
  static async open(options: SpoolOptions, target: SpoolTarget, observer: SpoolObserver, now: () => Date = () => new Date()): Promise<Spool> {
    const existing = await listSegments(options.dir);
    const spool = new Spool(options, target, observer, existing, now);
    if (existing.length > 0) observer.log(`collector: spool: replaying ${existing.length} segment(s), ${spool.diskBytes} bytes, from ${options.dir}`);
    const setAsideBefore = await countSetAside(options.dir);
    if (setAsideBefore > 0) observer.log(`collector: spool: ${setAsideBefore} record(s) refused by ClickHouse wait in ${options.dir}/rejected (burnrate spool list / resend)`);
    observer.bytes(spool.diskBytes);
    spool.senderLoop = spool.send();
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
    this.sealed.push(current.file);
    this.wake?.();
  }

  // ---------------------------------------------------------------------------------------------
  // Send side

  private async send(): Promise<void> {
    let delay = this.options.backoff.initialDelayMs;
    while (!this.senderStopped) {
      let failed: boolean;
      try {
        await this.loadMore();
        if (this.inFlight.length === 0) {
          for (const r of this.drainWaiters.splice(0)) r();
          await this.pause(undefined);
          continue;
        }
        failed = await this.submitRound();
        await this.retireFinished();
      } catch (err) {
        // Whatever went wrong, the records stay on disk and the loop keeps going.
        this.observer.log(`collector: spool: sender error, retrying: ${(err as Error).message}`);
        failed = true;
      }
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
      segment.damaged.forEach((region, i) => {
        const kept = segment.copies[i] ? `kept in ${segment.copies[i]}` : `the whole file will be kept in damaged/`;
        this.observer.log(
          `collector: spool: ${file.path}: ${region.problem} at byte ${region.offset}: skipped ${region.length} damaged byte(s), ${kept}; ` +
            `the segment's ${segment.records.length} intact record(s) are sent`,
        );
        this.observer.corrupt(region);
      });
      const records = segment.records.map((r) => r.rows);
      const keepWhole = segment.copies.some((c) => c === '');
      if (records.length === 0) {
        if (!(await this.retire(file, keepWhole))) this.sealed.unshift(file);
        continue;
      }
      this.inFlight.push({ file, records, done: records.map(() => false), refusals: records.map(() => 0), keepWhole });
      loaded += file.bytes;
    }
    this.observer.bytes(this.diskBytes);
  }

  /** Submits every record not yet inserted; returns whether any is still waiting. */
  private async submitRound(): Promise<boolean> {
    const rounds = this.inFlight.map((segment) =>
      Promise.all(
        segment.records.map(async (record, i): Promise<unknown> => {
          if (segment.done[i]) return undefined;
          try {
            await this.target.submitEncoded(record);
            segment.done[i] = true;
            return undefined;
          } catch (err) {
            if (err instanceof RowsRefusedError && ++segment.refusals[i]! >= this.options.refusalsBeforeSetAside) {
              segment.done[i] = await this.setAside(segment.file, i, record, err);
            }
            return segment.done[i] ? undefined : err;
          }
        }),
      ),
    );
    this.target.flushAll();
    const errors = (await Promise.all(rounds)).flat().filter((e) => e !== undefined);
    const waiting = errors.length;
    const now = this.now().getTime();
    if (waiting > 0 && !(errors[0] instanceof ShuttingDownError) && now - this.lastWaitingLog >= this.options.waitingLogEveryMs) {
      this.lastWaitingLog = now;
      this.observer.log(`collector: spool: ${waiting} record(s) not inserted yet, retrying with backoff: ${(errors[0] as Error).message}`);
    }
    return waiting > 0;
  }

  /** Moves a refused record to rejected/; false (keep retrying) when that cannot be written now. */
  private async setAside(file: SegmentFile, index: number, record: EncodedRows, err: RowsRefusedError): Promise<boolean> {
    try {
      const id = await setAside(this.options.dir, record, err.message, this.now(), `${file.seq}-${index}`);
      this.observer.log(
        `collector: spool: ClickHouse refused ${record.rows} row(s) for ${record.spec.table} (record ${index} of ${file.path}) ` +
          `${this.options.refusalsBeforeSetAside} times for their content: ${err.message}; set aside as ${id} (burnrate spool list / resend)`,
      );
      this.observer.setAside(record.spec.table, record.rows);
      return true;
    } catch (writeErr) {
      this.observer.log(`collector: spool: cannot set aside record ${index} of ${file.path}: ${(writeErr as Error).message}; will retry`);
      return false;
    }
  }

  private async retireFinished(): Promise<void> {
    for (let i = 0; i < this.inFlight.length; ) {
      const segment = this.inFlight[i]!;
      if (segment.done.every(Boolean) && (await this.retire(segment.file, segment.keepWhole))) this.inFlight.splice(i, 1);
      else i++;
    }
    this.observer.bytes(this.diskBytes);
  }

  /** Deletes a finished segment (or keeps it whole in damaged/); false when the file system refused. */
  private async retire(file: SegmentFile, keepWhole: boolean): Promise<boolean> {
    try {
      if (keepWhole) {
        const target = await moveToDamaged(file).catch(() => '');
        if (target) this.observer.log(`collector: spool: kept ${file.path} as ${target} (its damaged bytes could not be copied out)`);
        else await deleteSegment(file);
      } else {
        await deleteSegment(file);
      }
    } catch (err) {
      this.observer.log(`collector: spool: cannot delete ${file.path}: ${(err as Error).message}; will retry`);
      return false;
    }
    this.diskBytes -= file.bytes;
    return true;
  }
}
