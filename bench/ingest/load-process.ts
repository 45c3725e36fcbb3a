// The load generator as a process of its own, so its CPU is counted apart from the benchmark's:
// builds its payloads (official serializer), prints "ready", waits for "go" on stdin, drives the
// load, prints one JSON line with the result and its own CPU seconds, and exits.
//
//   node bin/run-ts.js bench/ingest/load-process.ts URL CLIENTS ITEMS SPANS_PER_REQUEST POOL_SPANS
import { createInterface } from 'node:readline';
import { drive, percentile } from './load.ts';
import { tracePayloads } from './payloads.ts';

const [url, clients, items, perRequest, pool] = process.argv.slice(2);
const spansPerRequest = Number(perRequest);
const payloads = tracePayloads({ spans: Number(pool), minSpans: spansPerRequest, maxSpans: spansPerRequest });
const bytes = payloads.reduce((a, p) => a + p.body.length, 0);
const items0 = payloads.reduce((a, p) => a + p.items, 0);
process.stdout.write(`ready ${Math.round(bytes / items0)}\n`);

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const load = await drive(payloads, { url: url!, contentType: 'application/x-protobuf', concurrency: Number(clients), items: Number(items), stamp: true });
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({
      acked: load.acked,
      requests: load.requests,
      statuses: load.statuses,
      lastAckMs: load.lastAckAt - started,
      latencyP50Ms: percentile(load.latenciesMs, 50),
      latencyP99Ms: percentile(load.latenciesMs, 99),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    })}\n`,
  );
  break;
}
lines.close();
process.exit(0);
