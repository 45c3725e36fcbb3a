import { describeClickhouseError, errorLabel, type ErrorClass } from '../../storage/errors.ts';

// Whether ClickHouse takes our inserts, from what the inserts themselves saw. `/ping` answers without
// credentials, so a wrong password, a dropped table or a full disk only show here: readiness, the
// gauge and the operator's log line come from this state, not from the ping.
//
// Failing: from a failed attempt (transient or environmental) until an insert that *started after
// it* succeeds; an insert already under way when the failure happened proves nothing (it passed the
// password check before the password changed). Data errors say nothing about the server: they
// neither start nor end a failing period.
//
// Log reports go out when a period starts, when its cause changes and every `repeatMs` while it
// lasts; a period that starts within `repeatMs` of the last report with the same cause is not
// reported again, nor is its end (one record that keeps failing while its neighbours go in would
// otherwise log a failure and a recovery every send round). `changed` follows every period.

export interface HealthObserver {
  /** Every start and end of a failing period (for the gauge). */
  changed(failing: boolean): void;
  /** A log-worthy report: inserts fail, and why. */
  failing(cause: string, errorClass: ErrorClass, sinceMs: number): void;
  /** The end of a reported period. */
  recovered(afterMs: number): void;
}

export class InsertHealth {
  private since: number | undefined;
  private lastFailure = 0;
  private lastReport = Number.NEGATIVE_INFINITY;
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

  /** True while inserts fail for a reason outside the rows. */
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

  /** The time an attempt starts, to hand back to `succeeded`. */
  begin(): number {
    return this.now();
  }

  succeeded(startedAt: number): void {
    this.lastAttempt = this.now();
    if (this.since === undefined || startedAt < this.lastFailure) return;
    const after = this.lastAttempt - this.since;
    this.since = undefined;
    this.observer.changed(false);
    if (this.reported) this.observer.recovered(after);
    this.reported = false;
  }

  failed(error: unknown, errorClass: ErrorClass): void {
    const now = (this.lastAttempt = this.now());
    if (errorClass === 'data') return;
    this.lastFailure = now;
    if (this.since === undefined) {
      this.since = now;
      this.observer.changed(true);
    }
    const label = errorLabel(error);
    this.lastCause = describeClickhouseError(error);
    if (label !== this.lastLabel || now - this.lastReport >= this.repeatMs) {
      this.lastReport = now;
      this.reported = true;
      this.observer.failing(this.lastCause, errorClass, now - this.since);
    }
    this.lastLabel = label;
  }
}
