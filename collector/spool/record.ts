import { crc32 } from 'node:zlib';
import type { EncodedRows } from '../writer/batch-writer.ts';
import type { InsertTarget } from '../writer/table-spec.ts';

// One spool record = one EncodedRows (a table's encoded rows from one request):
//
//   4 bytes  RECORD_MARKER (sync marker: a reader that lost its place scans for it)
//   u32 LE   payload length
//   u32 LE   CRC32 of the payload
//   u32 LE   CRC32 of the 12 bytes above (so a damaged length is never trusted)
//   payload = u32 LE metadata length, metadata JSON {"t": table, "c": columns, "f": format, "r": rows,
//             and for a set-aside record "e": why, "a": when}, then the body in that insert format
//
// A record is valid only when both checksums match and its whole payload is present. A damaged
// record costs only its own bytes: with an intact header the next record starts right after it;
// otherwise the reader scans for the next marker whose header and payload both check out.
//
// Format 1 (files starting `BRSPOOL1`, written before the marker existed) had no marker and no
// header checksum: its reader keeps every record before the first damaged one.

export const RECORD_MARKER = Buffer.from([0x89, 0x42, 0x52, 0x72]); // "\x89BRr"
export const RECORD_HEADER_BYTES = 16;
/** Refuses absurd lengths before allocating anything (a header checksum can collide, in theory). */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

/** Metadata a record may carry besides its rows. */
export interface RecordNote {
  /** Why ClickHouse refused it (set-aside records). */
  error?: string;
  /** When it was set aside (ISO 8601). */
  at?: string;
}

export interface SpoolRecord {
  rows: EncodedRows;
  note: RecordNote;
}

export function encodeRecord(rows: EncodedRows, note: RecordNote = {}): Buffer {
  const meta: Record<string, unknown> = { t: rows.spec.table, c: rows.spec.columns, f: rows.spec.format, r: rows.rows };
  if (note.error !== undefined) meta.e = note.error;
  if (note.at !== undefined) meta.a = note.at;
  const metadata = Buffer.from(JSON.stringify(meta), 'utf8');
  const payloadLength = 4 + metadata.length + rows.body.length;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadLength);
  RECORD_MARKER.copy(out, 0);
  out.writeUInt32LE(payloadLength, 4);
  out.writeUInt32LE(metadata.length, RECORD_HEADER_BYTES);
  metadata.copy(out, RECORD_HEADER_BYTES + 4);
  rows.body.copy(out, RECORD_HEADER_BYTES + 4 + metadata.length);
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER_BYTES)), 8);
  out.writeUInt32LE(crc32(out.subarray(0, 12)), 12);
  return out;
}

/** Insert formats the writer takes; a record in any other is refused like a damaged one. */
const FORMATS: ReadonlySet<string> = new Set<InsertTarget['format']>(['RowBinary']);

/** Reads the metadata and body of a payload whose checksum matched; a problem string otherwise. */
export function decodePayload(payload: Buffer): SpoolRecord | string {
  if (payload.length < 4) return 'payload too short';
  const metaLength = payload.readUInt32LE(0);
  if (metaLength > payload.length - 4) return 'metadata longer than the record';
  let meta: { t?: unknown; c?: unknown; f?: unknown; r?: unknown; e?: unknown; a?: unknown };
  try {
    meta = JSON.parse(payload.subarray(4, 4 + metaLength).toString('utf8')) as typeof meta;
  } catch {
    return 'unreadable record metadata';
  }
  const { t, c, f, r, e, a } = meta;
  if (typeof t !== 'string' || !Array.isArray(c) || !c.every((x) => typeof x === 'string') || !FORMATS.has(f as string) || typeof r !== 'number') {
    return 'invalid record metadata';
  }
  const note: RecordNote = {};
  if (typeof e === 'string') note.error = e;
  if (typeof a === 'string') note.at = a;
  const spec = { table: t, columns: c as string[], format: f as InsertTarget['format'] };
  return { rows: { spec, body: payload.subarray(4 + metaLength), rows: r }, note };
}

export type RecordAt =
  | { ok: true; record: SpoolRecord; end: number }
  /** `end` is set when the header is intact: the damage ends there and the next record may start. */
  | { ok: false; problem: string; end?: number };

/** Reads the record starting at `pos`. */
export function readRecordAt(buf: Buffer, pos: number): RecordAt {
  if (buf.length - pos < RECORD_HEADER_BYTES) return { ok: false, problem: 'truncated record header' };
  if (buf.compare(RECORD_MARKER, 0, 4, pos, pos + 4) !== 0) return { ok: false, problem: 'no record marker' };
  if (crc32(buf.subarray(pos, pos + 12)) !== buf.readUInt32LE(pos + 12)) return { ok: false, problem: 'damaged record header' };
  const length = buf.readUInt32LE(pos + 4);
  if (length > MAX_RECORD_BYTES) return { ok: false, problem: `invalid record length ${length}` };
  const end = pos + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return { ok: false, problem: 'truncated record' };
  const payload = buf.subarray(pos + RECORD_HEADER_BYTES, end);
  if (crc32(payload) !== buf.readUInt32LE(pos + 8)) return { ok: false, problem: 'checksum mismatch', end };
  const record = decodePayload(payload);
  return typeof record === 'string' ? { ok: false, problem: record, end } : { ok: true, record, end };
}

/** Format 1 records: u32 length | u32 CRC32 of the payload | payload (as above). */
export function readLegacyRecordAt(buf: Buffer, pos: number): RecordAt {
  if (buf.length - pos < 8) return { ok: false, problem: 'truncated record header' };
  const length = buf.readUInt32LE(pos);
  if (length < 4 || length > MAX_RECORD_BYTES) return { ok: false, problem: `invalid record length ${length}` };
  const end = pos + 8 + length;
  if (end > buf.length) return { ok: false, problem: 'truncated record' };
  const payload = buf.subarray(pos + 8, end);
  if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return { ok: false, problem: 'checksum mismatch' };
  const record = decodePayload(payload);
  return typeof record === 'string' ? { ok: false, problem: record } : { ok: true, record, end };
}
