// What the spool's group commit costs on this disk: appends of several sizes, each followed by
// fdatasync, as the spool's committer does (one writev + datasync per commit).
//
//   node bin/run-ts.js bench/ingest/fsync-probe.ts [DIR]      (default: the OS temp dir)
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = join(process.argv[2] ?? tmpdir(), `burnrate-fsync-probe-${process.pid}`);
const handle = await open(file, 'w');
try {
  for (const size of [64 * 1024, 1024 * 1024, 4 * 1024 * 1024, 12 * 1024 * 1024]) {
    const buf = Buffer.alloc(size, 1);
    const ms: number[] = [];
    for (let i = 0; i < 8; i++) {
      const start = performance.now();
      await handle.write(buf);
      await handle.datasync();
      ms.push(performance.now() - start);
    }
    ms.sort((a, b) => a - b);
    const median = (ms[3]! + ms[4]!) / 2;
    console.log(`${size / 1024} KiB append + fdatasync: median ${median.toFixed(1)} ms (min ${ms[0]!.toFixed(1)}, max ${ms[7]!.toFixed(1)}) = ${(size / 2 ** 20 / (median / 1000)).toFixed(0)} MiB/s`);
  }
} finally {
  await handle.close();
  await rm(file, { force: true });
}
