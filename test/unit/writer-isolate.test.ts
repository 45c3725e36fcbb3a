import { describe, expect, it } from 'vitest';
import { isolateFailures, type Failure } from '../../collector/writer/isolate.ts';
import { InsertHealth } from '../../collector/writer/health.ts';

const data: Failure = { error: new Error('Code: 190. bad rows'), errorClass: 'data' };
const down: Failure = { error: new Error('Code: 194. Password required'), errorClass: 'environmental' };

/** An insert that fails with `data` when any part is in `bad`, and records what it was asked. */
function fakeInsert(bad: Set<number>, outage = false) {
  const calls: number[][] = [];
  return {
    calls,
    attempt: async (parts: readonly number[]) => {
      calls.push([...parts]);
      if (outage) return down;
      return parts.some((p) => bad.has(p)) ? data : undefined;
    },
  };
}

describe('isolating the parts a failed insert belongs to', () => {
  it('finds one bad part among eight in 2·log2(8) attempts and inserts the other seven', async () => {
    const parts = [0, 1, 2, 3, 4, 5, 6, 7];
    const insert = fakeInsert(new Set([5]));
    const failed = await isolateFailures(parts, data, insert.attempt);
    expect([...failed.keys()]).toEqual([5]);
    expect(insert.calls).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [6, 7], [4], [5]]);
  });

  it('finds every bad part and never fails a good one with them', async () => {
    const parts = Array.from({ length: 11 }, (_, i) => i);
    const insert = fakeInsert(new Set([0, 7, 10]));
    const failed = await isolateFailures(parts, data, insert.attempt);
    expect([...failed.keys()].sort((a, b) => a - b)).toEqual([0, 7, 10]);
    const inserted = insert.calls.filter((c) => !c.some((p) => [0, 7, 10].includes(p))).flat().sort((a, b) => a - b);
    expect(inserted).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
  });

  it('stops after two attempts when both halves fail for a reason outside the rows (an outage)', async () => {
    const insert = fakeInsert(new Set(), true);
    const failed = await isolateFailures([0, 1, 2, 3, 4, 5], down, insert.attempt);
    expect(insert.calls).toHaveLength(2);
    expect([...failed.values()].every((f) => f.errorClass === 'environmental')).toBe(true);
    expect(failed.size).toBe(6);
  });

  it('follows a non-data failure that spares the other half down to its part (an unknown code a record causes)', async () => {
    const calls: number[][] = [];
    const failed = await isolateFailures([0, 1, 2, 3], down, async (parts) => {
      calls.push([...parts]);
      return parts.includes(2) ? down : undefined;
    });
    expect([...failed.keys()]).toEqual([2]);
    expect(calls).toEqual([[0, 1], [2, 3], [2], [3]]);
  });
});

describe('insert health', () => {
  const auth = new Error('Code: 194, e.displayText() = DB::Exception: Password required for user default, e.what() = DB::Exception');
  function recorded(now: () => number) {
    const events: string[] = [];
    const health = new InsertHealth(
      {
        changed: (failing) => events.push(failing ? 'state failing' : 'state ok'),
        failing: (cause, cls, since) => events.push(`failing ${cls} ${since} ${cause}`),
        recovered: (after) => events.push(`recovered ${after}`),
      },
      now,
    );
    return { health, events };
  }

  it('reports the cause when inserts start failing, again every 30 s while it lasts, and the recovery', () => {
    let now = 1_000;
    const { health, events } = recorded(() => now);
    health.failed(auth, 'environmental');
    now += 10_000;
    health.failed(auth, 'environmental');
    now += 20_000;
    health.failed(auth, 'environmental');
    expect(health.failing).toBe(true);
    expect(health.cause).toBe('Code 194 REQUIRED_PASSWORD: Password required for user default');
    health.failed(new Error('Code: 190. rows'), 'data');
    now += 1_000;
    health.succeeded(health.begin());
    expect(health.failing).toBe(false);
    expect(events).toEqual([
      'state failing',
      'failing environmental 0 Code 194 REQUIRED_PASSWORD: Password required for user default',
      'failing environmental 30000 Code 194 REQUIRED_PASSWORD: Password required for user default',
      'state ok',
      'recovered 31000',
    ]);
  });

  it('is not cleared by an insert that was already under way when the failure happened', () => {
    let now = 0;
    const { health, events } = recorded(() => now);
    const underWay = health.begin();
    now += 10;
    health.failed(auth, 'environmental');
    now += 10;
    health.succeeded(underWay);
    expect(health.failing).toBe(true);
    health.succeeded(health.begin());
    expect(health.failing).toBe(false);
    expect(events).toEqual(['state failing', 'failing environmental 0 Code 194 REQUIRED_PASSWORD: Password required for user default', 'state ok', 'recovered 10']);
  });

  it('does not log a failure and a recovery every round when one record keeps failing while its neighbours go in, but keeps the state exact', () => {
    let now = 0;
    const { health, events } = recorded(() => now);
    const stuck = new Error('Code: 16, e.displayText() = DB::Exception: There is no column x in table, e.what() = DB::Exception');
    for (let round = 0; round < 12; round++) {
      health.failed(stuck, 'environmental');
      now += 1;
      health.succeeded(health.begin());
      now += 5_000;
    }
    const logged = events.filter((e) => !e.startsWith('state'));
    expect(logged).toEqual(['failing environmental 0 Code 16 NO_SUCH_COLUMN_IN_TABLE: There is no column x in table', 'recovered 1', 'failing environmental 0 Code 16 NO_SUCH_COLUMN_IN_TABLE: There is no column x in table', 'recovered 1']);
    expect(events.filter((e) => e === 'state failing')).toHaveLength(12);
  });

  it('is not made unhealthy by data errors', () => {
    const { health, events } = recorded(Date.now);
    health.failed(new Error('Code: 33. Cannot read all data'), 'data');
    expect(health.failing).toBe(false);
    expect(events).toEqual([]);
  });
});
