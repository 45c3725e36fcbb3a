import { RECORD_MARKER, readLegacyRecordAt, readRecordAt, type SpoolRecord } from './record.ts';

// Reads a whole segment file: every intact record, and the damaged regions between them. Damage
// costs only the damaged bytes: after a bad record the reader continues with the next one whose
// marker, header checksum and payload checksum all check out.

export const FILE_MAGIC = Buffer.from('BRSPOOL2', 'latin1');
/** Files of format 1 (no record markers): read up to their first damaged record. */
export const LEGACY_FILE_MAGIC = Buffer.from('BRSPOOL1', 'latin1');

export interface DamagedRegion {
  offset: number;
  length: number;
  /** What was found at `offset`, e.g. `checksum mismatch` or `damaged file header`. */
  problem: string;
}

export interface ScannedSegment {
  records: SpoolRecord[];
  damaged: DamagedRegion[];
}

export function scanSegment(buf: Buffer): ScannedSegment {
  // Created, then the process died before the magic was on disk: nothing was acknowledged from it.
  if (buf.length < FILE_MAGIC.length && FILE_MAGIC.subarray(0, buf.length).equals(buf)) return { records: [], damaged: [] };
  if (buf.subarray(0, LEGACY_FILE_MAGIC.length).equals(LEGACY_FILE_MAGIC)) return scanLegacy(buf);
  const out: ScannedSegment = { records: [], damaged: [] };
  let pos = FILE_MAGIC.length;
  if (!buf.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
    // A damaged file header costs only itself: the records carry their own markers.
    pos = nextRecord(buf, 0);
    out.damaged.push({ offset: 0, length: pos, problem: 'damaged file header' });
  }
  while (pos < buf.length) {
    const at = readRecordAt(buf, pos);
    if (at.ok) {
      out.records.push(at.record);
      pos = at.end;
      continue;
    }
    // An intact header says where this record ends; otherwise scan for the next valid record.
    const next = at.end ?? nextRecord(buf, pos + 1);
    out.damaged.push({ offset: pos, length: next - pos, problem: at.problem });
    pos = next;
  }
  return out;
}

/** The offset of the next fully valid record at or after `from`, or the end of the buffer. */
function nextRecord(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(RECORD_MARKER, from); at >= 0; at = buf.indexOf(RECORD_MARKER, at + 1)) {
    if (readRecordAt(buf, at).ok) return at;
  }
  return buf.length;
}

function scanLegacy(buf: Buffer): ScannedSegment {
  const out: ScannedSegment = { records: [], damaged: [] };
  let pos = LEGACY_FILE_MAGIC.length;
  while (pos < buf.length) {
    const at = readLegacyRecordAt(buf, pos);
    if (!at.ok) {
      out.damaged.push({ offset: pos, length: buf.length - pos, problem: `${at.problem} (format 1: the rest of the file is kept unread)` });
      break;
    }
    out.records.push(at.record);
    pos = at.end;
  }
  return out;
}
