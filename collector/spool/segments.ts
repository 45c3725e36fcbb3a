import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FILE_MAGIC, scanSegment, type DamagedRegion } from './scan.ts';
import type { SpoolRecord } from './record.ts';

// Segment files: `<16-digit sequence>.seg` in the spool directory, each starting with FILE_MAGIC and
// followed by records (record.ts). Sequence order is write order. Damaged bytes found while reading
// one are copied to `damaged/<segment>@<offset>.bin` for inspection; the segment itself is never
// truncated or renamed, and is deleted once its intact records are inserted.

const SEGMENT_NAME = /^(\d{16})\.seg$/;
export const DAMAGED_DIR = 'damaged';

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

/**
 * Creates a segment and makes its directory entry durable, so an fsynced record cannot lose its
 * file. On any failure (a full disk fails the magic's write) the file is removed and the handle
 * closed: a refused write leaves nothing behind.
 */
export async function createSegment(dir: string, seq: number): Promise<{ file: SegmentFile; handle: FileHandle }> {
  const path = segmentPath(dir, seq);
  const handle = await open(path, 'wx');
  try {
    await handle.write(FILE_MAGIC);
    await handle.datasync();
    await syncDirectory(dir);
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw err;
  }
  return { file: { seq, path, bytes: FILE_MAGIC.length }, handle };
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
  records: SpoolRecord[];
  damaged: DamagedRegion[];
  /** Where each damaged region's bytes were copied ('' when the copy failed). */
  copies: string[];
}

/** Reads a segment's intact records; damaged regions are copied out for inspection (best effort). */
export async function loadSegment(file: SegmentFile): Promise<LoadedSegment> {
  const buf = await readFile(file.path);
  const { records, damaged } = scanSegment(buf);
  const copies: string[] = [];
  for (const region of damaged) {
    copies.push(await copyDamaged(file.path, buf.subarray(region.offset, region.offset + region.length), region.offset).catch(() => ''));
  }
  return { records, damaged, copies };
}

/** `damaged/<segment>@<offset>.bin` next to the segment; the same name again on a second read. */
async function copyDamaged(segmentFile: string, bytes: Buffer, offset: number): Promise<string> {
  const dir = join(segmentFile, '..', DAMAGED_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${basename(segmentFile)}@${offset}.bin`);
  await writeFile(path, bytes);
  return path;
}

/**
 * Keeps a whole segment for inspection in `damaged/` (a rename: no space needed). Used when a copy
 * of its damaged bytes could not be written; its intact records were inserted and are not replayed.
 */
export async function moveToDamaged(file: SegmentFile): Promise<string> {
  const dir = join(file.path, '..', DAMAGED_DIR);
  await mkdir(dir, { recursive: true });
  const target = join(dir, basename(file.path));
  await rename(file.path, target);
  return target;
}

export async function deleteSegment(file: SegmentFile): Promise<void> {
  await unlink(file.path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
