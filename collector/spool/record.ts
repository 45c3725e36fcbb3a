import { crc32 } from 'node:zlib';
import type { EncodedRows } from '../writer/batch-writer.ts';
import type { InsertTarget } from '../writer/table-spec.ts';

// One spool record = one EncodedRows (a table's encoded rows from one request):
//
//   u32 LE  payload length
//   u32 LE  CRC32 of the payload
//   payload = u32 LE header length, header JSON {"t": table, "c": columns, "f": format, "r": rows},
//             then the body in that insert format
//
// A record is valid only when its whole payload is present and its checksum matches; a crash
// mid-append leaves a torn tail that fails one of those checks.

export const RECORD_HEADER_BYTES = 8;
/** Refuses absurd lengths from a corrupt length field before allocating anything. */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

export function encodeRecord(rows: EncodedRows): Buffer {
  const header = Buffer.from(JSON.stringify({ t: rows.spec.table, c: rows.spec.columns, f: rows.spec.format, r: rows.rows }), 'utf8');
  const payloadLength = 4 + header.length + rows.body.length;
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadLength);
  out.writeUInt32LE(payloadLength, 0);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  rows.body.copy(out, 12 + header.length);
  out.writeUInt32LE(crc32(out.subarray(RECORD_HEADER_BYTES)), 4);
  return out;
}

/** Insert formats the writer takes; a record in any other is refused like a corrupt one. */
const FORMATS: ReadonlySet<string> = new Set<InsertTarget['format']>(['RowBinary']);

export interface ParsedSegment {
  records: EncodedRows[];
  /** Bytes of valid records from the start of the buffer. */
  goodBytes: number;
  /** Why the bytes after goodBytes are not records ('' when the whole buffer is valid). */
  tailProblem: string;
}

/** Parses records until the end or the first invalid one (everything from there on is the bad tail). */
export function parseRecords(buf: Buffer, start: number): ParsedSegment {
  const records: EncodedRows[] = [];
  let pos = start;
  const bad = (problem: string): ParsedSegment => ({ records, goodBytes: pos, tailProblem: `${problem} at byte ${pos}` });
  while (pos < buf.length) {
    if (buf.length - pos < RECORD_HEADER_BYTES) return bad('truncated record header');
    const length = buf.readUInt32LE(pos);
    if (length < 4 || length > MAX_RECORD_BYTES) return bad(`invalid record length ${length}`);
    if (buf.length - pos - RECORD_HEADER_BYTES < length) return bad('truncated record');
    const payload = buf.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length);
    if (crc32(payload) !== buf.readUInt32LE(pos + 4)) return bad('checksum mismatch');
    const headerLength = payload.readUInt32LE(0);
    let header: { t?: unknown; c?: unknown; f?: unknown; r?: unknown };
    try {
      if (headerLength > length - 4) throw new Error('header longer than record');
      header = JSON.parse(payload.subarray(4, 4 + headerLength).toString('utf8')) as typeof header;
    } catch {
      return bad('unreadable record header');
    }
    const { t, c, f, r } = header;
    if (typeof t !== 'string' || !Array.isArray(c) || !c.every((x) => typeof x === 'string') || !FORMATS.has(f as string) || typeof r !== 'number') {
      return bad('invalid record header');
    }
    const spec = { table: t, columns: c as string[], format: f as InsertTarget['format'] };
    records.push({ spec, body: payload.subarray(4 + headerLength), rows: r });
    pos += RECORD_HEADER_BYTES + length;
  }
  return { records, goodBytes: pos, tailProblem: '' };
}
