import type { ErrorClass } from '../../storage/errors.ts';

// One request's rows must never fail other requests' inserts. When a batch of parts (one part = one
// request's rows for a table, or one spool record) fails, this finds the parts the failure belongs
// to by bisection: insert each half on its own; a half that goes in clears its parts, a half that
// fails is split again, down to single parts.
//
// A failure that hits both halves and is not about the rows (transient or environmental) is the
// environment's: probing stops there, so an outage costs two extra attempts per batch, not 2n.
// A data error is followed down to the part(s) that carry it: k bad parts among n cost about
// 2k·log2(n) attempts, and every other part is inserted.

export interface Failure {
  error: unknown;
  errorClass: ErrorClass;
}

/** Inserts `parts` as one insert; resolves with the failure, or undefined once they are in. */
export type Attempt<P> = (parts: readonly P[]) => Promise<Failure | undefined>;

/** The failure of each part that could not be inserted; parts not in the map were inserted. */
export async function isolateFailures<P>(parts: readonly P[], failure: Failure, attempt: Attempt<P>): Promise<Map<P, Failure>> {
  const failed = new Map<P, Failure>();
  await settle(parts, failure, attempt, failed);
  return failed;
}

async function settle<P>(parts: readonly P[], failure: Failure, attempt: Attempt<P>, failed: Map<P, Failure>): Promise<void> {
  if (parts.length === 1) {
    failed.set(parts[0]!, failure);
    return;
  }
  const mid = Math.ceil(parts.length / 2);
  const halves = [parts.slice(0, mid), parts.slice(mid)] as const;
  // One after the other: halves in parallel would double the load on a server that may be struggling.
  const first = await attempt(halves[0]);
  const second = await attempt(halves[1]);
  if (first && second && first.errorClass !== 'data' && second.errorClass !== 'data') {
    for (const part of halves[0]) failed.set(part, first);
    for (const part of halves[1]) failed.set(part, second);
    return;
  }
  if (first) await settle(halves[0], first, attempt, failed);
  if (second) await settle(halves[1], second, attempt, failed);
}
