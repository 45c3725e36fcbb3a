import { mkdir, open, readdir, readFile, rename, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { EncodedRows } from '../writer/batch-writer.ts';
import { parseRecords } from './record.ts';

// Segment files: `<16-digit sequence>.seg` in the spool directory, each starting with MAGIC and
// followed by records (record.ts). Sequence order is write order. A segment that cannot be trusted
// is renamed `<name>.corrupt` (bad magic) so it is kept for inspection but never replayed.

export const MAGIC = Buffer.from('BRSPOOL1', 'latin1');
const SEGMENT_NAME = /^(\d{16})\.seg$/;

export interface SegmentFile {
  seq: number;
  path: string;
  /** Size on disk, magic included. */
  bytes: number;
}

export function segmentPath(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(16, '0')}.seg`);
}

/** The segments left by earlier runs, oldest first. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  await mkdir(dir, { recursive: true });
  const segments: SegmentFile[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT_NAME.exec(name);
    if (!match) continue;
    const path = join(dir, name);
    segments.push({ seq: Number(match[1]), path, bytes: (await stat(path)).size });
  }
  return segments.sort((a, b) => a.seq - b.seq);
}

/** Creates a segment and makes its directory entry durable, so an fsynced record cannot lose its file. */
export async function createSegment(dir: string, seq: number): Promise<{ file: SegmentFile; handle: FileHandle }> {
  const path = segmentPath(dir, seq);
  const handle = await open(path, 'wx');
  await handle.write(MAGIC);
  await handle.datasync();
  await syncDirectory(dir);
  return { file: { seq, path, bytes: MAGIC.length }, handle };
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface LoadedSegment {
  records: EncodedRows[];
  /** Bytes removed from the file (a torn or corrupt tail, or the whole file). */
  discardedBytes: number;
  /** What was wrong ('' when the file was intact). */
  problem: string;
}

/**
 * Reads a segment's records. A bad tail (torn write, bit rot) is cut off with `truncate`, so the
 * file holds only the good records and a later replay sees the same records without the warning.
 * A file without the magic is renamed `.corrupt`. The caller logs and counts `problem`.
 */
export async function loadSegment(file: SegmentFile): Promise<LoadedSegment> {
  const buf = await readFile(file.path);
  if (buf.length < MAGIC.length && MAGIC.subarray(0, buf.length).equals(buf)) {
    // Created but the magic never reached the disk: nothing was acknowledged from it.
    return { records: [], discardedBytes: buf.length, problem: '' };
  }
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    await rename(file.path, `${file.path}.corrupt`);
    return { records: [], discardedBytes: buf.length, problem: 'not a spool segment (bad magic); renamed to .corrupt' };
  }
  const parsed = parseRecords(buf, MAGIC.length);
  if (parsed.tailProblem === '') return { records: parsed.records, discardedBytes: 0, problem: '' };
  await truncate(file.path, parsed.goodBytes);
  return {
    records: parsed.records,
    discardedBytes: buf.length - parsed.goodBytes,
    problem: `${parsed.tailProblem}; kept ${parsed.records.length} record(s), cut ${buf.length - parsed.goodBytes} byte(s)`,
  };
}

export async function deleteSegment(file: SegmentFile): Promise<void> {
  await unlink(file.path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** Moves a segment ClickHouse keeps refusing out of the replay set (kept for an operator). */
export async function quarantineSegment(file: SegmentFile): Promise<string> {
  const target = `${file.path}.rejected`;
  await rename(file.path, target);
  return target;
}
