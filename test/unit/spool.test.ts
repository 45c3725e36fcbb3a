import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SPOOL_OPTIONS, Spool, type SpoolObserver, type SpoolOptions, type SpoolTarget } from '../../collector/spool/spool.ts';
import type { EncodedRows } from '../../collector/writer/batch-writer.ts';
import { QueueFullError, ShuttingDownError, StorageUnavailableError } from '../../collector/writer/errors.ts';

// The spool through its public surface (open, write, close) and the files it leaves: what a
// collector restarted on the same directory finds. Record layout details are in spool-records.test.ts.

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
  const observer: SpoolObserver = { bytes() {}, corrupt: () => void corrupt++, setAside() {}, log: (l) => void lines.push(l) };
  return { observer, lines, corrupt: () => corrupt };
}

const until = async (check: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Ten one-row requests, r00..r09, acknowledged while ClickHouse is down: one segment on disk. */
async function tenAcknowledged(options: SpoolOptions): Promise<string> {
  const down = new FakeTarget();
  down.failing = true;
  const spool = await Spool.open({ ...options, segmentMaxAgeMs: 60_000 }, down, recorder().observer);
  for (let i = 0; i < 10; i++) await spool.write([rows(`r${String(i).padStart(2, '0')}-${'x'.repeat(40)}\n`)]);
  await spool.close(0);
  const names = readdirSync(options.dir).filter((f) => f.endsWith('.seg'));
  expect(names).toHaveLength(1);
  return join(options.dir, names[0]!);
}

const bodiesOf = (target: FakeTarget) => target.inserted.map((s) => s.split(':')[2]!.slice(0, 3)).sort();

describe('disk spool', () => {
  let dir: string;
  let options: SpoolOptions;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-spool-'));
    options = { ...DEFAULT_SPOOL_OPTIONS, dir, segmentMaxAgeMs: 20, backoff: { initialDelayMs: 5, maxDelayMs: 20 } };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const segments = () => readdirSync(dir).filter((f) => f.endsWith('.seg'));
  const damagedFiles = () => (existsSync(join(dir, 'damaged')) ? readdirSync(join(dir, 'damaged')) : []);

  it('acknowledges concurrent writes once on disk, inserts them after a restart and deletes the segment', async () => {
    const down = new FakeTarget();
    down.failing = true;
    const first = await Spool.open(options, down, recorder().observer);
    await Promise.all(Array.from({ length: 50 }, (_, i) => first.write([rows(`r${i}\n`)])));
    await first.close(0);
    expect(segments().length).toBeGreaterThan(0);
    const up = new FakeTarget();
    const second = await Spool.open(options, up, recorder().observer);
    await until(() => up.inserted.length === 50 && segments().length === 0);
    expect(up.inserted.map((s) => s.split(':')[2]).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}\n`).sort());
    expect(second.bytesOnDisk).toBe(0);
    await second.close(1_000);
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

  it('one flipped byte costs only its record: the records after it are sent, nothing is truncated, the damaged bytes are kept', async () => {
    const path = await tenAcknowledged(options);
    const bytes = readFileSync(path);
    const size = bytes.length;
    bytes[bytes.indexOf('r03-') + 10] ^= 0x01;
    writeFileSync(path, bytes);

    const up = new FakeTarget();
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    // Held until the file was checked: it must still be whole while its records are being sent.
    const gated: SpoolTarget = { submitEncoded: (r) => released.then(() => up.submitEncoded(r)), flushAll() {} };
    const log = recorder();
    const spool = await Spool.open(options, gated, log.observer);
    await until(() => log.corrupt() === 1);
    expect(statSync(path).size).toBe(size);
    release();
    await until(() => segments().length === 0);
    expect(bodiesOf(up)).toEqual(['r00', 'r01', 'r02', 'r04', 'r05', 'r06', 'r07', 'r08', 'r09']);
    expect(log.lines.join('\n')).toMatch(/checksum mismatch at byte \d+: skipped \d+ damaged byte\(s\), kept in .*damaged.*; the segment's 9 intact record\(s\) are sent/);
    // The damaged record's bytes, for inspection.
    const [kept] = damagedFiles();
    expect(readFileSync(join(dir, 'damaged', kept!)).includes(bytes.subarray(bytes.indexOf('r03-'), bytes.indexOf('r03-') + 40))).toBe(true);
    await spool.close(1_000);
  });

  it('a damaged file header does not set the file aside: every record in it is sent', async () => {
    const path = await tenAcknowledged(options);
    const bytes = readFileSync(path);
    bytes[2] ^= 0xff;
    writeFileSync(path, bytes);
    const up = new FakeTarget();
    const log = recorder();
    const spool = await Spool.open(options, up, log.observer);
    await until(() => segments().length === 0 && up.inserted.length === 10);
    expect(bodiesOf(up)).toEqual(['r00', 'r01', 'r02', 'r03', 'r04', 'r05', 'r06', 'r07', 'r08', 'r09']);
    expect(log.corrupt()).toBe(1);
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt') || f.includes('.rejected'))).toEqual([]);
    await spool.close(1_000);
  });

  it('a torn tail (a crash mid-append) costs only the torn record, counted and kept', async () => {
    const path = await tenAcknowledged(options);
    const whole = readFileSync(path);
    // Half of an eleventh record, as a crash in the middle of an append leaves it.
    appendFileSync(path, whole.subarray(whole.length - 30));
    const up = new FakeTarget();
    const log = recorder();
    const spool = await Spool.open(options, up, log.observer);
    await until(() => up.inserted.length === 10 && segments().length === 0);
    expect(log.corrupt()).toBe(1);
    expect(readFileSync(join(dir, 'damaged', damagedFiles()[0]!))).toEqual(whole.subarray(whole.length - 30));
    await spool.close(1_000);
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

  it('deletes a segment that holds only part of its magic (created, then killed) without reporting it', async () => {
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
