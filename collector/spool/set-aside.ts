import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EncodedRows } from '../writer/batch-writer.ts';
import { encodeRecord, type RecordNote } from './record.ts';
import { FILE_MAGIC, scanSegment } from './scan.ts';
import { syncDirectory } from './segments.ts';

// Records ClickHouse refused for their own content are kept, one per file, in `rejected/` under the
// spool directory: `<YYYYMMDD-HHMMSS>-<segment>-<record>.rec`, a spool file holding that one record
// with the refusal's reason and time in its metadata. Nothing reads them back on its own;
// `burnrate spool list|show|resend` does, on an operator's request.

export const REJECTED_DIR = 'rejected';
const NAME = /\.rec$/;

export interface SetAsideRecord {
  id: string;
  path: string;
  bytes: number;
  /** Undefined when the file cannot be read (its problem is in `problem`). */
  rows?: EncodedRows;
  note: RecordNote;
  problem: string;
}

function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Writes the record durably (fsync of file and directory) and returns its id. */
export async function setAside(spoolDir: string, rows: EncodedRows, error: string, at: Date, origin: string): Promise<string> {
  const dir = join(spoolDir, REJECTED_DIR);
  await mkdir(dir, { recursive: true });
  const content = Buffer.concat([FILE_MAGIC, encodeRecord(rows, { error, at: at.toISOString() })]);
  for (let n = 1; ; n++) {
    const id = `${stamp(at)}-${origin}${n > 1 ? `-${n}` : ''}`;
    const path = join(dir, `${id}.rec`);
    const handle = await open(path, 'wx').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return undefined;
      throw err;
    });
    if (!handle) continue;
    try {
      await handle.writeFile(content);
      await handle.datasync();
    } catch (err) {
      await handle.close().catch(() => {});
      await unlink(path).catch(() => {});
      throw err;
    }
    await handle.close();
    await syncDirectory(dir);
    return id;
  }
}

/** How many records are set aside (without reading them). */
export async function countSetAside(spoolDir: string): Promise<number> {
  const names = await readdir(join(spoolDir, REJECTED_DIR)).catch(() => [] as string[]);
  return names.filter((n) => NAME.test(n)).length;
}

/** Every set-aside record, oldest first. */
export async function listSetAside(spoolDir: string): Promise<SetAsideRecord[]> {
  const dir = join(spoolDir, REJECTED_DIR);
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const out: SetAsideRecord[] = [];
  for (const name of names.filter((n) => NAME.test(n)).sort()) {
    const path = join(dir, name);
    const buf = await readFile(path);
    const { records, damaged } = scanSegment(buf);
    const record = records[0];
    const problem = records.length !== 1 || damaged.length > 0 ? damaged.map((d) => `${d.problem} at byte ${d.offset}`).join('; ') || 'no record' : '';
    out.push({ id: name.replace(NAME, ''), path, bytes: buf.length, rows: record?.rows, note: record?.note ?? {}, problem });
  }
  return out;
}

export async function removeSetAside(record: SetAsideRecord): Promise<void> {
  await unlink(record.path);
}
