import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecord, readRecordAt, RECORD_MARKER } from '../../collector/spool/record.ts';
import { FILE_MAGIC, LEGACY_FILE_MAGIC, scanSegment } from '../../collector/spool/scan.ts';
import { listSetAside } from '../../collector/spool/set-aside.ts';
import { DEFAULT_SPOOL_OPTIONS, Spool, type SpoolObserver, type SpoolTarget } from '../../collector/spool/spool.ts';
import type { EncodedRows } from '../../collector/writer/batch-writer.ts';
import { RowsRefusedError, StorageUnavailableError } from '../../collector/writer/errors.ts';

const spec = { table: 'spans', columns: ['a', 'b'], format: 'RowBinary' as const };
const rows = (text: string | Buffer): EncodedRows => ({ spec, body: Buffer.from(text), rows: 1 });
const bodies = (records: { rows: EncodedRows }[]) => records.map((r) => r.rows.body.toString('latin1'));
const file = (...records: Buffer[]) => Buffer.concat([FILE_MAGIC, ...records]);

/** Format 1, as the collector wrote it before record markers: u32 length | u32 CRC32 | payload. */
function legacyRecord(body: string): Buffer {
  const meta = Buffer.from(JSON.stringify({ t: spec.table, c: spec.columns, f: spec.format, r: 1 }));
  const payload = Buffer.concat([Buffer.alloc(4), meta, Buffer.from(body)]);
  payload.writeUInt32LE(meta.length, 0);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

describe('spool records', () => {
  it('round-trip with their table, columns, rows and note', () => {
    const record = encodeRecord(rows('x\t1\n'), { error: 'Code 190: sizes', at: '2026-01-01T00:00:00.000Z' });
    const at = readRecordAt(record, 0);
    expect(at).toMatchObject({ ok: true, end: record.length, record: { note: { error: 'Code 190: sizes', at: '2026-01-01T00:00:00.000Z' } } });
    expect(at.ok && at.record.rows).toEqual({ spec: { ...spec }, body: Buffer.from('x\t1\n'), rows: 1 });
  });

  it('a damaged length field costs only its record: the reader resynchronises on the next valid one', () => {
    const [a, b, c] = ['aaaa', 'bbbb', 'cccc'].map((t) => encodeRecord(rows(t)));
    const buf = file(a!, b!, c!);
    buf[FILE_MAGIC.length + a!.length + 5] ^= 0x40; // b's length
    const scanned = scanSegment(buf);
    expect(bodies(scanned.records)).toEqual(['aaaa', 'cccc']);
    expect(scanned.damaged).toEqual([{ offset: FILE_MAGIC.length + a!.length, length: b!.length, problem: 'damaged record header' }]);
  });

  it('is not fooled by a record marker inside a body', () => {
    const fake = Buffer.concat([RECORD_MARKER, Buffer.alloc(12, 0xaa), Buffer.from('fake')]);
    const [a, b] = [encodeRecord(rows(fake)), encodeRecord(rows('bbbb'))];
    const buf = file(a, b);
    buf[FILE_MAGIC.length + 13] ^= 0x01; // a's header checksum
    const scanned = scanSegment(buf);
    expect(bodies(scanned.records)).toEqual(['bbbb']);
    expect(scanned.damaged).toEqual([{ offset: FILE_MAGIC.length, length: a.length, problem: 'damaged record header' }]);
  });

  it('a bad payload checksum with an intact header skips exactly that record', () => {
    const [a, b, c] = ['aaaa', 'bbbb', 'cccc'].map((t) => encodeRecord(rows(t)));
    const buf = file(a!, b!, c!);
    buf[FILE_MAGIC.length + a!.length + b!.length - 1] ^= 0x01;
    const scanned = scanSegment(buf);
    expect(bodies(scanned.records)).toEqual(['aaaa', 'cccc']);
    expect(scanned.damaged).toEqual([{ offset: FILE_MAGIC.length + a!.length, length: b!.length, problem: 'checksum mismatch' }]);
  });

  it('reads format-1 files written before record markers, up to their first damaged record', () => {
    const good = Buffer.concat([LEGACY_FILE_MAGIC, legacyRecord('old1'), legacyRecord('old2')]);
    expect(bodies(scanSegment(good).records)).toEqual(['old1', 'old2']);
    const torn = good.subarray(0, good.length - 2);
    const scanned = scanSegment(torn);
    expect(bodies(scanned.records)).toEqual(['old1']);
    expect(scanned.damaged).toHaveLength(1);
  });
});

describe('spool send side', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'burnrate-spool-send-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const options = () => ({ ...DEFAULT_SPOOL_OPTIONS, dir, segmentMaxAgeMs: 20, backoff: { initialDelayMs: 5, maxDelayMs: 20 } });
  const segments = () => readdirSync(dir).filter((f) => f.endsWith('.seg'));
  const until = async (check: () => boolean, ms = 5_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const observer = (lines: string[], setAside: string[] = []): SpoolObserver => ({ bytes() {}, corrupt() {}, setAside: (t, n) => void setAside.push(`${t}:${n}`), log: (l) => void lines.push(l) });

  it('sets aside only the record ClickHouse refuses for its content, after three refusals, and inserts its neighbours', async () => {
    const inserted: string[] = [];
    let refusals = 0;
    const target: SpoolTarget = {
      submitEncoded(r) {
        if (r.body.toString() === 'poison') {
          refusals++;
          return Promise.reject(new RowsRefusedError('ClickHouse refused 1 row(s) for spans: Code 190 SIZES_OF_ARRAYS_DOESNT_MATCH: sizes', 1));
        }
        inserted.push(r.body.toString());
        return Promise.resolve();
      },
      flushAll() {},
    };
    const lines: string[] = [];
    const setAside: string[] = [];
    const spool = await Spool.open(options(), target, observer(lines, setAside));
    await spool.write([rows('before'), rows('poison'), rows('after')]);
    await until(() => segments().length === 0 && setAside.length === 1);
    expect(inserted.sort()).toEqual(['after', 'before']);
    expect(refusals).toBe(3);
    const kept = await listSetAside(dir);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.rows?.body.toString()).toBe('poison');
    expect(kept[0]!.note.error).toMatch(/Code 190 SIZES_OF_ARRAYS_DOESNT_MATCH/);
    expect(lines.join('\n')).toMatch(/refused 1 row\(s\) for spans .* 3 times for their content: .*; set aside as \S+ \(burnrate spool list/);
    await spool.close(1_000);
  });

  it('never sets anything aside for failures outside the rows, however long they last', async () => {
    let failing = true;
    let attempts = 0;
    const inserted: string[] = [];
    const target: SpoolTarget = {
      submitEncoded(r) {
        attempts++;
        if (failing) return Promise.reject(new StorageUnavailableError('Code 194 REQUIRED_PASSWORD: Password required for user default', 1, 'environmental'));
        inserted.push(r.body.toString());
        return Promise.resolve();
      },
      flushAll() {},
    };
    const spool = await Spool.open(options(), target, observer([]));
    await spool.write([rows('one'), rows('two')]);
    await until(() => attempts >= 40);
    expect(segments()).toHaveLength(1);
    expect(existsSync(join(dir, 'rejected'))).toBe(false);
    failing = false;
    await until(() => segments().length === 0);
    expect(inserted.sort()).toEqual(['one', 'two']);
    await spool.close(1_000);
  });

  it('keeps retrying a refused record when it cannot be set aside, and loses nothing', async () => {
    writeFileSync(join(dir, 'rejected'), 'a file where the directory should be');
    const target: SpoolTarget = { submitEncoded: () => Promise.reject(new RowsRefusedError('refused', 1)), flushAll() {} };
    const lines: string[] = [];
    const spool = await Spool.open(options(), target, observer(lines));
    await spool.write([rows('stuck')]);
    await until(() => lines.some((l) => /cannot set aside record 0/.test(l)));
    await spool.close(0);
    expect(segments()).toHaveLength(1);
  });
});
