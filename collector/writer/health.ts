import { describeClickhouseError, errorLabel, type ErrorClass } from '../../storage/errors.ts';

// Whether ClickHouse takes our inserts, from what the inserts themselves saw. `/ping` answers without
// credentials, so a wrong password, a dropped table or a full disk only show here: readiness and
// the operator's log line come from this state, not from the ping.
//
// Failing: since the first failed attempt (transient or environmental) after the last success.
// Data errors say nothing about the server: they neither start nor end a failing period.
// Reports (log lines, the gauge) go out when a period starts, when its cause changes and every
// `repeatMs` while it lasts; a period that starts within `repeatMs` of the last report with the same
// cause is not reported again (one record that keeps failing while its neighbours go in would
// otherwise log a failure and a recovery every send round), and its end is not reported either.

export interface HealthObserver {
  /** Called when inserts start failing, then again every `repeatMs` while they keep failing. */
  failing(cause: string, errorClass: ErrorClass, sinceMs: number): void;
  recovered(afterMs: number): void;
}

export class InsertHealth {
  private since: number | undefined;
  private lastReport = 0;
  private lastAttempt = 0;
  private lastCause = '';
  private lastLabel = '';
  /** Whether the current failing period was reported (so its end is). */
  private reported = false;

  constructor(
    private readonly observer: HealthObserver,
    private readonly now: () => number = Date.now,
    private readonly repeatMs = 30_000,
  ) {}

  /** True while the last insert attempts failed for a reason outside the rows. */
  get failing(): boolean {
    return this.since !== undefined;
  }

  /** The last failure, in one line ('' when healthy). */
  get cause(): string {
    return this.failing ? this.lastCause : '';
  }

  /** Milliseconds since the last insert attempt of any outcome (how stale this state is). */
  get idleMs(): number {
    return this.now() - this.lastAttempt;
  }

  succeeded(): void {
    this.lastAttempt = this.now();
    if (this.since === undefined) return;
    const after = this.lastAttempt - this.since;
    this.since = undefined;
    if (this.reported) this.observer.recovered(after);
    this.reported = false;
  }

  failed(error: unknown, errorClass: ErrorClass): void {
    const now = (this.lastAttempt = this.now());
    if (errorClass === 'data') return;
    const label = errorLabel(error);
    this.since ??= now;
    this.lastCause = describeClickhouseError(error);
    if (label !== this.lastLabel || now - this.lastReport >= this.repeatMs) {
      this.lastReport = now;
      this.reported = true;
      this.observer.failing(this.lastCause, errorClass, now - this.since);
    }
    this.lastLabel = label;
  }
}
