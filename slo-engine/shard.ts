// Static sharding of SLOs over engine instances: `--shard i/n` evaluates the SLOs whose id hashes to
// i modulo n. The hash is the first 32 bits of SHA-256 of the id: the same on every machine, Node
// version and restart, and independent of the order or the other contents of the SLO files. Every
// piece of an SLO's state lives in ClickHouse keyed by its id, so an SLO that moves to another shard
// (n changed) continues there; replicas of one shard share the notification claims.
import { createHash } from 'node:crypto';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/** The shard (0 … count-1) an SLO id belongs to. */
export function shardOf(sloId: string, count: number): number {
  return createHash('sha256').update(sloId).digest().readUInt32BE(0) % count;
}

export const inShard = (shard: Shard) => (slo: { id: string }) => shard.count === 1 || shardOf(slo.id, shard.count) === shard.index;

/** Parses `i/n` (0 ≤ i < n); a message saying what is wrong otherwise. */
export function parseShard(text: string): Shard | string {
  const m = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!m) return `"${text}" is not a shard: give i/n, the 0-based index i of n shards (such as 0/2 and 1/2)`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) return `"${text}": the number of shards must be at least 1`;
  if (index >= count) return `"${text}": the index must be below the number of shards (0 … ${count - 1})`;
  return { index, count };
}

export const formatShard = (shard: Shard): string => `${shard.index}/${shard.count}`;
