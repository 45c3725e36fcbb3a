// `npm run fuzz [-- --cases N --seed S --max-case-ms M]`: the decoder fuzzer (bench/fuzz-lib.ts).
// Exits 1 when a case throws anything but PayloadError, takes longer than the bound, or memory
// grows past --max-rss-mib.
import { parseArgs } from 'node:util';
import { fuzz, loadSeeds } from './fuzz-lib.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    'max-case-ms': { type: 'string', default: '1000' },
    'max-rss-mib': { type: 'string', default: '1024' },
  },
});
const cases = Number(values.cases);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const maxCaseMs = Number(values['max-case-ms']);
const maxRss = Number(values['max-rss-mib']) * 1024 * 1024;

const seeds = await loadSeeds();
console.log(`fuzz: ${cases} cases from seed ${seed}, ${seeds.length} seed payloads, case bound ${maxCaseMs} ms`);
const summary = fuzz(seeds, {
  cases,
  seed,
  maxCaseMs,
  onProgress: (done) => {
    if (done > 0 && done % 20480 === 0) process.stdout.write(`  ${done} cases...\n`);
  },
});

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
console.log(`fuzz: ${summary.cases} cases in ${summary.seconds.toFixed(1)} s (${Math.round(summary.cases / summary.seconds)}/s)`);
console.log(`  outcomes: accepted ${summary.accepted}, partial success ${summary.partial}, PayloadError ${summary.payloadErrors}`);
console.log(`  slowest case: ${summary.slowest.ms.toFixed(1)} ms (#${summary.slowest.index}, ${summary.slowest.seed}, ${summary.slowest.how})`);
console.log(`  peak RSS: ${mib(summary.peakRssBytes)} (bound ${mib(maxRss)})`);
console.log(`  cases per seed: ${Object.entries(summary.bySeed).map(([k, v]) => `${k} ${v}`).join('; ')}`);
if (summary.peakRssBytes > maxRss) summary.failures.push({ index: -1, seed: '', how: '', error: `peak RSS ${mib(summary.peakRssBytes)} over the bound` });
if (summary.failures.length > 0) {
  console.log(`fuzz: ${summary.failures.length} FAILURE(S) (rerun one with --seed ${seed} and its case index):`);
  for (const f of summary.failures) console.log(`  #${f.index} ${f.seed} [${f.how}]: ${f.error}`);
  process.exitCode = 1;
} else {
  console.log('fuzz: no failures');
}
