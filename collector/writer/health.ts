import { describeClickhouseError, errorLabel, type ErrorClass } from '../../storage/errors.ts';

// Whether ClickHouse takes our inserts, from what the inserts themselves saw. `/ping` answers without
// credentials, so a wrong password, a dropped table or a full disk only show here: readiness and
// the operator's log line come from this state, not from the ping.
//
// Failing: since the first failed attempt (transient or environmental) after the last success.
// Data errors say nothing about the server: they neither start nor end a failing period.

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
    this.observer.recovered(after);
  }

  failed(error: unknown, errorClass: ErrorClass): void {
    const now = (this.lastAttempt = this.now());
    if (errorClass === 'data') return;
    const label = errorLabel(error);
    const first = this.since === undefined;
    this.since ??= now;
    this.lastCause = describeClickhouseError(error);
    // Reported at once, when the cause changes (another code), and every repeatMs while it lasts.
    if (first || label !== this.lastLabel || now - this.lastReport >= this.repeatMs) {
      this.lastReport = now;
      this.observer.failing(this.lastCause, errorClass, now - this.since);
    }
    this.lastLabel = label;
  }
}
