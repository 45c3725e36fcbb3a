import type { EncodedRows } from '../writer/batch-writer.ts';
import { RowsRefusedError, ShuttingDownError } from '../writer/errors.ts';
import { deleteSegment, loadSegment, moveToDamaged, type SegmentFile } from './segments.ts';
import { setAside } from './set-aside.ts';
import type { SpoolObserver, SpoolOptions, SpoolTarget } from './spool.ts';

// The spool's send side: one loop loads the oldest sealed segments (up to `sendBatchBytes`),
// submits their records to the writer and retries the failed ones forever with backoff, whatever
// the cause. Only a record ClickHouse refuses for its own content (the writer has already isolated
// it from its neighbours) is set aside, after `refusalsBeforeSetAside` such refusals, into
// `rejected/`. A segment is deleted once every one of its records was inserted or set aside.

interface InFlight {
  file: SegmentFile;
  records: EncodedRows[];
  done: boolean[];
  refusals: number[];
  /** A copy of its damaged bytes could not be written: keep the whole file in damaged/ instead. */
  keepWhole: boolean;
}

export class SpoolSender {
  private readonly inFlight: InFlight[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private wake?: () => void;
  private drainWaiters: (() => void)[] = [];
  private lastWaitingLog = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: SpoolOptions,
    private readonly target: SpoolTarget,
    private readonly observer: SpoolObserver,
    /** Segments to send, oldest first (segments left by an earlier run, then each sealed one). */
    private readonly sealed: SegmentFile[],
    /** Changes the spool's count of segment bytes on disk (negative: a segment is going away). */
    private readonly diskDelta: (bytes: number) => void,
    private readonly now: () => Date,
  ) {}

  start(): void {
    this.loop = this.send();
  }

  /** A sealed segment, sent after those before it. */
  add(file: SegmentFile): void {
    this.sealed.push(file);
    this.wake?.();
  }

  /** Resolves once everything added so far was sent (or set aside), or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.sealed.length === 0 && this.inFlight.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((r) => this.drainWaiters.push(r)), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Ends the loop after the round in progress; what is not inserted stays on disk. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async send(): Promise<void> {
    let delay = this.options.backoff.initialDelayMs;
    while (!this.stopped) {
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
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(finish, ms);
      this.wake = ms === undefined ? finish : () => this.stopped && finish();
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
        if (await this.retire(file, keepWhole)) continue;
        // Tried again at the next round, not in a loop here.
        this.sealed.unshift(file);
        return;
      }
      this.inFlight.push({ file, records, done: records.map(() => false), refusals: records.map(() => 0), keepWhole });
      loaded += file.bytes;
    }
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
  }

  /** Deletes a finished segment (or keeps it whole in damaged/); false when the file system refused. */
  private async retire(file: SegmentFile, keepWhole: boolean): Promise<boolean> {
    // Accounted first: once the file is gone nobody may still see its bytes as pending.
    this.diskDelta(-file.bytes);
    try {
      if (keepWhole) {
        const target = await moveToDamaged(file).catch(() => '');
        if (target) this.observer.log(`collector: spool: kept ${file.path} as ${target} (its damaged bytes could not be copied out)`);
        else await deleteSegment(file);
      } else {
        await deleteSegment(file);
      }
    } catch (err) {
      this.diskDelta(file.bytes);
      this.observer.log(`collector: spool: cannot delete ${file.path}: ${(err as Error).message}; will retry`);
      return false;
    }
    return true;
  }
}
