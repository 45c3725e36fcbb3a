import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SPOOL_OPTIONS, Spool, type SpoolObserver, type SpoolOptions, type SpoolTarget } from '../../collector/spool/spool.ts';
import { encodeRecord, parseRecords } from '../../collector/spool/record.ts';
import type { EncodedRows } from '../../collector/writer/batch-writer.ts';
import { QueueFullError, ShuttingDownError, StorageUnavailableError } from '../../collector/writer/errors.ts';

const spec = { table: 'spans', columns: ['a', 'b'], format: 'RowBinary' as const };
const rows = (text: string): EncodedRows => ({ spec, body: Buffer.from(text), rows: text.split('\n').length - 1 });

/** A writer stand-in: records what it inserted; `failing` makes every insert fail as if ClickHouse were down. */
class FakeTarget implements SpoolTarget {
  inserted: string[] = [];
  failing = false;
  attempts = 0;
  submitEncoded(r: EncodedRows): Promise<void> {
    this.attempts++;
    if (this.failing) return Promise.reject(new StorageUnavailableError('down', 1));
    this.inserted.push(`${r.spec.table}:${r.spec.columns.join(',')}:${r.body.toString()}`);
    return Promise.resolve();
  }
  flushAll(): void {}
}

function recorder() {
  const lines: string[] = [];
  let corrupt = 0;
  const observer: SpoolObserver = { bytes() {}, corrupt: () => void corrupt++, log: (l) => void lines.push(l) };
  return { observer, lines, corrupt: () => corrupt };
}

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('disk spool', () => {
  let dir: string;
  let options: SpoolOptions;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-spool-'));
    options = { ...DEFAULT_SPOOL_OPTIONS, dir, segmentMaxAgeMs: 20, backoff: { initialDelayMs: 5, maxDelayMs: 20 } };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const segments = () => readdirSync(dir).filter((f) => f.endsWith('.seg'));

  it('round-trips a record and reports a checksum mismatch as a bad tail', () => {
    const record = encodeRecord(rows('x\t1\n'));
    const parsed = parseRecords(record, 0);
    expect(parsed.tailProblem).toBe('');
    expect(parsed.records[0]!.body.toString()).toBe('x\t1\n');
    expect(parsed.records[0]!.spec.columns).toEqual(['a', 'b']);
    record[record.length - 1] ^= 1;
    expect(parseRecords(record, 0)).toMatchObject({ records: [], goodBytes: 0, tailProblem: 'checksum mismatch at byte 0' });
  });

  it('acknowledges concurrent writes once on disk, inserts them and deletes the segment', async () => {
    const target = new FakeTarget();
    target.failing = true;
    const spool = await Spool.open(options, target, recorder().observer);
    await Promise.all(Array.from({ length: 50 }, (_, i) => spool.write([rows(`r${i}\n`)])));
    // Acknowledged while ClickHouse is "down": every record is in a segment file.
    const onDisk = segments().flatMap((f) => parseRecords(readFileSync(join(dir, f)), 8).records.map((r) => r.body.toString()));
    expect(onDisk.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}\n`).sort());
    target.failing = false;
    await until(() => target.inserted.length === 50 && segments().length === 0);
    expect(spool.bytesOnDisk).toBe(0);
    await spool.close(1_000);
  });

  it('keeps retrying while the target fails, then delivers every record exactly once', async () => {
    const target = new FakeTarget();
    target.failing = true;
    const spool = await Spool.open(options, target, recorder().observer);
    await spool.write([rows('a\n'), rows('b\n')]);
    await until(() => target.attempts >= 6);
    expect(segments()).toHaveLength(1);
    target.failing = false;
    await until(() => segments().length === 0);
    expect(target.inserted.sort()).toEqual(['spans:a,b:a\n', 'spans:a,b:b\n']);
    await spool.close(1_000);
  });

  it('leaves undelivered segments on disk at close and replays them at the next open', async () => {
    const down = new FakeTarget();
    down.failing = true;
    const first = await Spool.open(options, down, recorder().observer);
    await first.write([rows('kept\n')]);
    const { remainingBytes } = await first.close(50);
    expect(remainingBytes).toBeGreaterThan(0);
    await expect(first.write([rows('late\n')])).rejects.toBeInstanceOf(ShuttingDownError);
    expect(segments()).toHaveLength(1);

    const up = new FakeTarget();
    const log = recorder();
    const second = await Spool.open(options, up, log.observer);
    await until(() => up.inserted.length === 1 && segments().length === 0);
    expect(up.inserted).toEqual(['spans:a,b:kept\n']);
    expect(log.lines.join('\n')).toMatch(/replaying 1 segment/);
    await second.close(1_000);
  });

  it('keeps the good records of a segment with a torn tail, counts it and cuts the tail off', async () => {
    const down = new FakeTarget();
    down.failing = true;
    const first = await Spool.open(options, down, recorder().observer);
    await first.write([rows('one\n')]);
    await first.write([rows('two\n')]);
    await first.close(0);
    const [name] = segments();
    const path = join(dir, name!);
    const good = statSync(path).size;
    // A crash mid-append: half of a third record.
    const torn = encodeRecord(rows('three\n'));
    appendFileSync(path, torn.subarray(0, torn.length - 3));

    const up = new FakeTarget();
    const log = recorder();
    const second = await Spool.open(options, up, log.observer);
    await until(() => up.inserted.length === 2 && segments().length === 0);
    expect(up.inserted).toEqual(['spans:a,b:one\n', 'spans:a,b:two\n']);
    expect(log.corrupt()).toBe(1);
    expect(log.lines.join('\n')).toMatch(new RegExp(`${name}: truncated record at byte ${good}; kept 2 record\\(s\\), cut ${torn.length - 3} byte`));
    await second.close(1_000);
  });

  it('stops at a corrupt record in the middle and truncates the file to the good prefix', async () => {
    const down = new FakeTarget();
    down.failing = true;
    const first = await Spool.open(options, down, recorder().observer);
    await first.write([rows('one\n'), rows('two\n'), rows('three\n')]);
    await first.close(0);
    const path = join(dir, segments()[0]!);
    const bytes = readFileSync(path);
    const second = bytes.length - encodeRecord(rows('three\n')).length - 2;
    bytes[second] ^= 0xff; // inside record two's body
    writeFileSync(path, bytes);

    let held = true;
    const slow: SpoolTarget = { submitEncoded: (r) => (held ? new Promise(() => {}) : Promise.resolve(void r)), flushAll() {} };
    const log = recorder();
    const reopened = await Spool.open(options, slow, log.observer);
    await until(() => log.corrupt() === 1);
    expect(statSync(path).size).toBe(8 + encodeRecord(rows('one\n')).length);
    held = false;
    void reopened.close(0);
  });

  it('refuses writes over its byte bound with QueueFullError', async () => {
    const target = new FakeTarget();
    target.failing = true;
    const spool = await Spool.open({ ...options, maxBytes: 200 }, target, recorder().observer);
    await spool.write([rows('x'.repeat(50) + '\n')]);
    const error = await spool.write([rows('y'.repeat(150) + '\n')]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).retryAfterSeconds).toBe(options.retryAfterSeconds);
    await spool.close(0);
  });

  it('deletes a segment that holds only the magic (created, then killed) without reporting it', async () => {
    writeFileSync(join(dir, '0000000000000007.seg'), 'BRSP');
    const target = new FakeTarget();
    const log = recorder();
    const spool = await Spool.open(options, target, log.observer);
    await until(() => segments().length === 0);
    expect(log.corrupt()).toBe(0);
    await spool.write([rows('next\n')]);
    await until(() => target.inserted.length === 1);
    await spool.close(1_000);
  });
});
