import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SPOOL_OPTIONS, Spool, type SpoolObserver, type SpoolTarget } from '../../collector/spool/spool.ts';
import type { EncodedRows } from '../../collector/writer/batch-writer.ts';
import { StorageUnavailableError } from '../../collector/writer/errors.ts';

// Issue 13, finding 8: a full spool disk left one empty segment file per refused request and leaked
// their file handles. A real full file system: a 1 MiB tmpfs, which needs root to mount.

function mountTmpfs(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const mountPoint = mkdtempSync(join(tmpdir(), 'burnrate-full-disk-'));
const mounted = process.getuid?.() === 0 && mountTmpfs(mountPoint);
if (!mounted) {
  rmSync(mountPoint, { recursive: true, force: true });
  console.warn('spool-full-disk.test.ts: SKIPPED — mounting a small tmpfs needs root (run the suite as root, as .ci/run does)');
}

const openHandles = () => readdirSync('/proc/self/fd').length;
const spec = { table: 'spans', columns: ['a'], format: 'RowBinary' as const };
const big = (tag: string): EncodedRows => ({ spec, body: Buffer.concat([Buffer.from(tag), Buffer.alloc(64 * 1024, 0x61)]), rows: 1 });

describe.skipIf(!mounted)('spool on a full disk', () => {
  const dir = join(mountPoint, 'spool');
  const filler = join(mountPoint, 'filler');
  let inserted: string[] = [];
  let up = false;
  const target: SpoolTarget = {
    submitEncoded: (r) => (up ? Promise.resolve(void inserted.push(r.body.subarray(0, 4).toString())) : Promise.reject(new StorageUnavailableError('down', 1))),
    flushAll() {},
  };
  const lines: string[] = [];
  const observer: SpoolObserver = { bytes() {}, corrupt() {}, setAside() {}, log: (l) => void lines.push(l) };

  beforeAll(() => mkdirSync(dir));
  afterAll(() => {
    // Lazily when busy (a handle the code under test leaked): never leave the mount behind.
    if (mounted) execFileSync('sh', ['-c', 'umount "$1" || umount -l "$1"', 'umount', mountPoint], { stdio: 'ignore' });
    rmSync(mountPoint, { recursive: true, force: true });
  });

  function fillDisk(): void {
    const chunk = Buffer.alloc(4096, 0x7a);
    for (;;) {
      try {
        appendFileSync(filler, chunk);
      } catch {
        return;
      }
    }
  }

  it('a refused append leaves no partial record: the segment goes on with the next write once there is room', async () => {
    const spool = await Spool.open({ ...DEFAULT_SPOOL_OPTIONS, dir, segmentMaxAgeMs: 60_000 }, target, observer);
    await spool.write([big('ok-1')]);
    const [segment] = readdirSync(dir);
    const path = join(dir, segment!);
    const acknowledgedSize = statSync(path).size;
    fillDisk();
    const handles = openHandles();
    const outcomes = [];
    for (let i = 0; i < 20; i++) outcomes.push(await spool.write([big(`no-${i}`)]).then(() => 'acknowledged', (e: unknown) => e));
    expect(outcomes.every((o) => o instanceof StorageUnavailableError)).toBe(true);
    expect(lines.some((l) => /spool write failed: .*(ENOSPC|short write)/.test(l))).toBe(true);
    expect(readdirSync(dir)).toEqual([segment]);
    expect(statSync(path).size).toBe(acknowledgedSize);
    expect(openHandles() - handles).toBeLessThanOrEqual(0);

    unlinkSync(filler);
    await spool.write([big('ok-2')]);
    expect(readdirSync(dir)).toEqual([segment]);
    up = true;
    await spool.close(5_000);
    expect(inserted.sort()).toEqual(['ok-1', 'ok-2']);
    expect(lines.filter((l) => /damaged/.test(l))).toEqual([]);
    up = false;
    inserted = [];
  });

  it('a refused segment creation leaves no file and no open handle behind', async () => {
    const spool = await Spool.open({ ...DEFAULT_SPOOL_OPTIONS, dir, segmentMaxAgeMs: 60_000 }, target, observer);
    fillDisk();
    const handles = openHandles();
    const outcomes = [];
    for (let i = 0; i < 40; i++) outcomes.push(await spool.write([big(`no-${i}`)]).then(() => 'acknowledged', (e: unknown) => e));
    expect(outcomes.every((o) => o instanceof StorageUnavailableError)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(openHandles() - handles).toBeLessThanOrEqual(0);

    unlinkSync(filler);
    await spool.write([big('ok-3')]);
    up = true;
    await spool.close(5_000);
    expect(inserted).toEqual(['ok-3']);
  });
});
