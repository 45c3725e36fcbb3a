// Ingest benchmark (`npm run bench:ingest`, issue 7): a private ClickHouse, the collector as a child
// process, realistic OTLP/HTTP protobuf load from the official serializer, and in the same run the
// ceiling (RowBinary straight into ClickHouse), the baseline pipeline (protobufjs + JSONEachRow),
// decoder-alone comparisons, the JSON path, metrics, logs and a backpressure phase.
//
//   npm run bench:ingest -- [--spans 400000] [--clients 8] [--rounds 2] [--only ceiling,e2e,...] [--prof]
//
// Phases: decode, ceiling, e2e, baseline, sdk, json, metrics, logs, backpressure. Prints a table and writes
// .bench/ingest.json. See docs/performance.md.
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClickhouse, ensureDatabase } from '../storage/client.ts';
import { freePort } from '../storage/local-clickhouse.ts';
import { startLocalClickhouse } from '../storage/local-server.ts';
import { migrate } from '../storage/migrate.ts';
import { TABLES } from '../storage/tables.ts';
import { decodeTracesProto } from '../collector/decode/traces-proto.ts';
import { DEFAULT_DECODE_LIMITS, type SpanRow } from '../collector/rows/types.ts';
import { SPANS_TABLE } from '../collector/signals/traces.ts';
import { encodeRows } from '../collector/writer/batch-writer.ts';
import { SPAN_COLUMNS } from '../collector/rows/spans-row-binary.ts';
import { logPayloads, metricPayloads, tracePayloads, type Payload } from './ingest/payloads.ts';
import { drive, percentile, type DriveResult } from './ingest/load.ts';
import { cpuSeconds, memory, rssSampler, startService, type ServiceProcess } from './ingest/proc.ts';
import { parseCases, sdkBench } from './ingest/sdk-clients.ts';
import { closeHttp } from './clickhouse-http.ts';

const { values: flags } = parseArgs({
  options: {
    spans: { type: 'string', default: '400000' },
    clients: { type: 'string', default: '8' },
    only: { type: 'string', default: '' },
    prof: { type: 'boolean', default: false },
    'keep-clickhouse': { type: 'boolean', default: false },
    /** Interleaved rounds of ceiling, end to end and baseline; each keeps its best. */
    rounds: { type: 'string', default: '2' },
    /** SDK-sized client cases (phase sdk): CLIENTSxSPANS_PER_REQUEST, in memory and spool mode. */
    'sdk-cases': { type: 'string', default: '32x512,128x512' },
    'sdk-spans': { type: 'string', default: '300000' },
    'sdk-modes': { type: 'string', default: 'memory,spool' },
    /** Extra collector flags for the end-to-end phases, e.g. "--max-concurrent-inserts 1". */
    'collector-args': { type: 'string', default: '' },
  },
});
const SPANS = Number(flags.spans);
const CLIENTS = Number(flags.clients);
const ROUNDS = Math.max(1, Number(flags.rounds));
const COLLECTOR_ARGS = flags['collector-args'] ? flags['collector-args'].split(/\s+/) : [];
const ONLY = new Set(flags.only ? flags.only.split(',') : []);
const run = (phase: string) => ONLY.size === 0 || ONLY.has(phase);
const MiB = 1024 * 1024;
const DB = 'bench';
const OPTS = { tenant: '', limits: DEFAULT_DECODE_LIMITS };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 0) => Number(x.toFixed(digits));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

// ---------------------------------------------------------------------------------------------
// Machine

function machine() {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  let nproc = cpus().length;
  try {
    nproc = Number(execSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep os.cpus()
  }
  return { nproc, cpuModel: model, memoryGiB: round(totalmem() / 1024 ** 3, 1), node: process.version, loadAtStart: loadavg().map((x) => round(x, 2)) };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const info = machine();
  log(`machine: ${info.nproc} cores (${info.cpuModel}), ${info.memoryGiB} GiB, node ${info.node}, load ${info.loadAtStart.join(' ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-bench-ingest-'));
  const server = await startLocalClickhouse({ dir });
  const chConfig = { url: server.url, username: 'default', password: '', database: DB };
  await ensureDatabase(chConfig);
  const ch = connectClickhouse(chConfig, { requestTimeoutMs: 300_000 });
  await migrate(ch);
  const clickhouseVersion = await ch.serverVersion();
  log(`ClickHouse ${clickhouseVersion} on ${server.url} (data in ${dir})`);

  const results: Record<string, unknown> = {};
  const collectorEnv = { CLICKHOUSE_URL: server.url, CLICKHOUSE_DATABASE: DB, CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: '' };
  const count = async (table: string) => Number((await ch.query<{ n: string }>(`SELECT count() AS n FROM ${table}`))[0]!.n);
  const truncate = async (...tables: string[]) => {
    for (const t of tables) await ch.command(`TRUNCATE TABLE IF EXISTS ${t}`);
  };
  const SPAN_TABLES = [TABLES.spans, TABLES.traceIndex, TABLES.spanRed1m];
  const METRIC_TABLES = [TABLES.metricsGauge, TABLES.metricsSum, TABLES.metricsHistogram, TABLES.metricsExpHistogram, TABLES.metricsSummary, TABLES.httpServerRequests1m];
  const LOG_TABLES = [TABLES.logs, TABLES.logsTraceIndex];
  const countMetrics = async () => (await Promise.all(METRIC_TABLES.slice(0, 5).map(count))).reduce((a, b) => a + b, 0);

  /** Waits until `counter()` reaches `expected` (or stops growing for `stallMs`); returns when it did. */
  const waitForRows = async (counter: () => Promise<number>, expected: number, stallMs = 10_000) => {
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      const n = await counter();
      const now = performance.now();
      if (n >= expected) return { rows: n, at: now };
      if (n !== last) {
        last = n;
        lastChange = now;
      } else if (now - lastChange > stallMs) return { rows: n, at: now };
      await sleep(20);
    }
  };

  const startCollector = async (extra: string[] = [], prof = flags.prof): Promise<ServiceProcess & { port: number }> => {
    const port = await freePort();
    const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir=.bench/prof'] : [];
    const svc = await startService([...nodeArgs, 'bin/burnrate.js', 'collector', '--host', '127.0.0.1', '--http-port', String(port), '--no-grpc', ...COLLECTOR_ARGS, ...extra], collectorEnv, 'OTLP/HTTP on');
    return Object.assign(svc, { port });
  };

  /** Inserts the collector made into `table`, from its own /metrics: count, mean rows, mean duration. */
  const insertStats = async (port: number, table: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{table="${table}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const inserts = value('burnrate_collector_insert_rows_count');
    return {
      inserts,
      meanRowsPerInsert: Math.round(value('burnrate_collector_insert_rows_sum') / inserts),
      meanInsertMs: round((value('burnrate_collector_insert_duration_seconds_sum') / inserts) * 1000, 1),
    };
  };

  /** One end-to-end run against a collector: drives the load, waits for the rows, reads /proc. */
  const endToEnd = async (
    name: string,
    svc: ServiceProcess & { port: number },
    path: string,
    payloads: Payload[],
    items: number,
    contentType: 'application/x-protobuf' | 'application/json',
    counter: () => Promise<number>,
    stamp: boolean,
  ) => {
    const cpu0 = cpuSeconds(svc.pid);
    const chCpu0 = cpuSeconds(server.pid);
    const sampler = rssSampler(svc.pid);
    const before = await counter();
    const load: DriveResult = await drive(payloads, { url: `http://127.0.0.1:${svc.port}${path}`, contentType, concurrency: CLIENTS, items, stamp });
    const visible = await waitForRows(async () => (await counter()) - before, load.acked);
    const cpu = cpuSeconds(svc.pid) - cpu0;
    const chCpu = cpuSeconds(server.pid) - chCpu0;
    const mem = memory(svc.pid);
    sampler.stop();
    const seconds = (visible.at - load.startedAt) / 1000;
    const r = {
      items: load.acked,
      stored: visible.rows,
      seconds: round(seconds, 2),
      perSecond: Math.round(visible.rows / seconds),
      requests: load.requests,
      statuses: load.statuses,
      latencyP50Ms: round(percentile(load.latenciesMs, 50), 1),
      latencyP99Ms: round(percentile(load.latenciesMs, 99), 1),
      cpuSeconds: round(cpu, 2),
      cpuSecondsPer100k: round((cpu / Math.max(1, visible.rows)) * 100_000, 2),
      clickhouseCpuSecondsPer100k: round((chCpu / Math.max(1, visible.rows)) * 100_000, 2),
      peakRssMiB: round(mem.peak / MiB, 1),
      load1: round(loadavg()[0]!, 2),
    };
    log(`${name}: ${r.stored}/${r.items} stored in ${r.seconds}s = ${r.perSecond}/s, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, ${r.cpuSecondsPer100k} CPU s/100k, peak RSS ${r.peakRssMiB} MiB, statuses ${JSON.stringify(load.statuses)}`);
    return r;
  };

  try {
    // ---- payloads (serialized before any clock starts)
    let t0 = performance.now();
    const POOL = Math.min(SPANS, 100_000);
    const traces = tracePayloads({ spans: POOL });
    const poolBytes = traces.reduce((a, p) => a + p.body.length, 0);
    log(`payloads: ${traces.length} trace requests, ${POOL} spans, ${round(poolBytes / POOL)} bytes/span, ${round(performance.now() - t0)} ms to serialize`);
    results.payloads = { spansPerPool: POOL, requests: traces.length, bytesPerSpan: round(poolBytes / POOL), spansPerRequest: '512..2048', clients: CLIENTS };

    // ---- decoders alone (same payloads, as Buffers; best of several passes; a process of its own)
    if (run('decode')) {
      const out = execFileSync(process.execPath, ['bin/run-ts.js', 'bench/ingest/decode-alone.ts', String(POOL)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      results.decode = JSON.parse(out.trim().split('\n').pop()!);
      log(`decode alone (items/s): ${JSON.stringify(results.decode)}`);
    }

    // ---- ceiling: the same rows, RowBinary from the collector's own encoder, straight over HTTP
    const measureCeiling = async () => {
      await truncate(...SPAN_TABLES);
      const rows: SpanRow[] = [];
      for (const p of traces) for (const r of decodeTracesProto(p.body, OPTS).rows) rows.push(r);
      const bodies: { body: Buffer; rows: number }[] = [];
      for (let i = 0; i < rows.length; i += 50_000) {
        const e = encodeRows(SPANS_TABLE, rows.slice(i, i + 50_000));
        bodies.push({ body: e.body, rows: e.rows });
      }
      const query = `INSERT INTO ${TABLES.spans} (${SPAN_COLUMNS.join(', ')}) FORMAT RowBinary`;
      const agent = new Agent({ keepAlive: true, maxSockets: 2 });
      const insert = (body: Buffer) =>
        new Promise<void>((resolve, reject) => {
          const req = request(`${server.url}/?database=${DB}&query=${encodeURIComponent(query)}`, { method: 'POST', agent, headers: { 'Content-Length': body.length } }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (d: string) => (text += d));
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ceiling insert: ${res.statusCode} ${text}`))));
          });
          req.on('error', reject);
          req.end(body);
        });
      const chCpu0 = cpuSeconds(server.pid);
      const start = performance.now();
      let sent = 0;
      let next = 0;
      const worker = async () => {
        while (sent < SPANS) {
          const b = bodies[next++ % bodies.length]!;
          sent += b.rows;
          await insert(b.body);
        }
      };
      await Promise.all([worker(), worker()]);
      const visible = await waitForRows(() => count(TABLES.spans), sent);
      const seconds = (visible.at - start) / 1000;
      const ceiling = {
        rows: visible.rows,
        seconds: round(seconds, 2),
        perSecond: Math.round(visible.rows / seconds),
        insertRows: 50_000,
        concurrentInserts: 2,
        clickhouseCpuSecondsPer100k: round(((cpuSeconds(server.pid) - chCpu0) / visible.rows) * 100_000, 2),
        load1: round(loadavg()[0]!, 2),
      };
      log(`ceiling: ${JSON.stringify(ceiling)}`);

      // The same, one insert at a time of the batch size that CLIENTS closed-loop clients allow
      // (every client waits for its answer, and answers come after the insert): ~CLIENTS x 1,280 rows.
      await truncate(...SPAN_TABLES);
      const small = Math.round((CLIENTS * 1280) / 1000) * 1000;
      const smallBodies: Buffer[] = [];
      for (let i = 0; i + small <= rows.length; i += small) smallBodies.push(encodeRows(SPANS_TABLE, rows.slice(i, i + small)).body);
      const smallRows = Math.min(SPANS, 200_000);
      const chCpu1 = cpuSeconds(server.pid);
      const start1 = performance.now();
      let sent1 = 0;
      for (let i = 0; sent1 < smallRows; i++) {
        await insert(smallBodies[i % smallBodies.length]!);
        sent1 += small;
      }
      const seconds1 = (performance.now() - start1) / 1000;
      const ceilingClosedLoop = {
        rows: sent1,
        insertRows: small,
        concurrentInserts: 1,
        seconds: round(seconds1, 2),
        perSecond: Math.round(sent1 / seconds1),
        msPerInsert: round((seconds1 * 1000 * small) / sent1, 1),
        clickhouseCpuSecondsPer100k: round(((cpuSeconds(server.pid) - chCpu1) / sent1) * 100_000, 2),
      };
      log(`ceiling with ${small}-row inserts, one at a time: ${JSON.stringify(ceilingClosedLoop)}`);
      agent.destroy();
      return { ceiling, ceilingClosedLoop };
    };

    // ---- burnrate end to end (protobuf traces)
    const measureEndToEnd = async () => {
      await truncate(...SPAN_TABLES);
      const svc = await startCollector();
      try {
        const e2e = await endToEnd('burnrate traces (protobuf)', svc, '/v1/traces', traces, SPANS, 'application/x-protobuf', () => count(TABLES.spans), true);
        const inserts = await insertStats(svc.port, TABLES.spans);
        log(`burnrate traces (protobuf) inserts: ${JSON.stringify(inserts)}`);
        return { ...e2e, inserts };
      } finally {
        await svc.stop();
      }
    };

    // ---- baseline pipeline end to end
    const measureBaseline = async () => {
      await truncate(...SPAN_TABLES);
      const port = await freePort();
      const svc = Object.assign(await startService(['bin/run-ts.js', 'bench/ingest/baseline-collector.ts', String(port), server.url, DB], {}, 'listening'), { port });
      try {
        return await endToEnd('baseline traces (protobufjs + JSONEachRow)', svc, '/v1/traces', traces, Math.min(SPANS, 200_000), 'application/x-protobuf', () => count(TABLES.spans), true);
      } finally {
        await svc.stop();
      }
    };

    // The machine's speed drifts by up to 2x over minutes (shared host), so the ceiling, burnrate and
    // the baseline are measured in interleaved rounds and each keeps its best round: same chances.
    const rounds: { ceiling?: Awaited<ReturnType<typeof measureCeiling>>; e2e?: Awaited<ReturnType<typeof measureEndToEnd>>; baseline?: Awaited<ReturnType<typeof measureBaseline>> }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      log(`round ${i + 1} of ${ROUNDS}: ceiling, burnrate, baseline`);
      rounds.push({
        ceiling: run('ceiling') ? await measureCeiling() : undefined,
        e2e: run('e2e') ? await measureEndToEnd() : undefined,
        baseline: run('baseline') ? await measureBaseline() : undefined,
      });
    }
    const best = <T,>(values: (T | undefined)[], rate: (v: T) => number): T | undefined =>
      values.reduce<T | undefined>((a, v) => (v === undefined ? a : a === undefined || rate(v) > rate(a) ? v : a), undefined);
    const bestCeiling = best(rounds.map((r) => r.ceiling), (c) => c.ceiling.perSecond);
    if (bestCeiling) {
      results.ceiling = bestCeiling.ceiling;
      results.ceilingClosedLoop = best(rounds.map((r) => r.ceiling?.ceilingClosedLoop), (c) => c.perSecond);
      results.ceilingRounds = rounds.map((r) => r.ceiling?.ceiling.perSecond);
    }
    const bestE2e = best(rounds.map((r) => r.e2e), (e) => e.perSecond);
    if (bestE2e) {
      const { inserts, ...e2e } = bestE2e;
      results.e2e = e2e;
      results.e2eInserts = inserts;
      results.e2eRounds = rounds.map((r) => r.e2e?.perSecond);
    }
    const bestBaseline = best(rounds.map((r) => r.baseline), (b) => b.perSecond);
    if (bestBaseline) {
      results.baseline = bestBaseline;
      results.baselineRounds = rounds.map((r) => r.baseline?.perSecond);
    }

    // ---- SDK-sized clients (512-span requests), memory and spool mode, against the Native ceiling.
    if (run('sdk')) {
      const cases = parseCases(flags['sdk-cases']);
      const sdk = sdkBench({
        ch,
        server,
        database: DB,
        spans: Number(flags['sdk-spans']),
        poolSpans: POOL,
        startCollector: (extra) => startCollector(extra),
        insertStats,
        truncateSpans: () => truncate(...SPAN_TABLES),
        countSpans: () => count(TABLES.spans),
        waitForRows,
        log,
      });
      type Ceiling = Awaited<ReturnType<typeof sdk.ceiling>>;
      type Run = Awaited<ReturnType<typeof sdk.endToEnd>>;
      const ceilings: Ceiling[] = [];
      const runs: Run[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        log(`sdk round ${i + 1} of ${ROUNDS}: ceiling, then ${cases.map((c) => `${c.clients}x${c.spansPerRequest}`).join(', ')} in memory and spool mode`);
        ceilings.push(await sdk.ceiling(512));
        for (const c of cases) {
          // Alternate which mode goes first, so neither always runs right after the ceiling.
          const chosen = flags['sdk-modes'].split(',') as ('memory' | 'spool')[];
          const modes = i % 2 === 0 ? chosen : [...chosen].reverse();
          for (const mode of modes) runs.push(await sdk.endToEnd(c, mode));
        }
      }
      const bestRun = (c: { clients: number; spansPerRequest: number }, mode: string) =>
        runs.filter((r) => r.clients === c.clients && r.spansPerRequest === c.spansPerRequest && r.mode === mode).reduce<Run | undefined>((a, r) => (a === undefined || r.perSecond > a.perSecond ? r : a), undefined);
      results.sdk = {
        spans: Number(flags['sdk-spans']),
        ceiling: ceilings.reduce((a, c) => (c.perSecond > a.perSecond ? c : a)),
        ceilingRounds: ceilings.map((c) => c.perSecond),
        cases: cases.map((c) => ({ ...c, memory: bestRun(c, 'memory'), spool: bestRun(c, 'spool'), rounds: runs.filter((r) => r.clients === c.clients && r.spansPerRequest === c.spansPerRequest).map((r) => `${r.mode} ${r.perSecond}`) })),
      };
    }

    // ---- JSON path end to end
    if (run('json')) {
      await truncate(...SPAN_TABLES);
      const jsonPayloads = tracePayloads({ spans: Math.min(POOL, 50_000), json: true });
      const svc = await startCollector();
      try {
        results.json = await endToEnd('burnrate traces (JSON)', svc, '/v1/traces', jsonPayloads, Math.min(SPANS, 200_000), 'application/json', () => count(TABLES.spans), false);
      } finally {
        await svc.stop();
      }
    }

    // ---- metrics and logs end to end
    if (run('metrics')) {
      await truncate(...METRIC_TABLES);
      const payloads = metricPayloads({ points: 100_000 });
      const svc = await startCollector();
      try {
        results.metrics = await endToEnd('burnrate metrics (protobuf)', svc, '/v1/metrics', payloads, Math.min(SPANS, 200_000), 'application/x-protobuf', countMetrics, false);
      } finally {
        await svc.stop();
      }
    }
    if (run('logs')) {
      await truncate(...LOG_TABLES);
      const payloads = logPayloads({ records: 100_000 });
      const svc = await startCollector();
      try {
        results.logs = await endToEnd('burnrate logs (protobuf)', svc, '/v1/logs', payloads, Math.min(SPANS, 200_000), 'application/x-protobuf', () => count(TABLES.logs), false);
      } finally {
        await svc.stop();
      }
    }

    // ---- backpressure: small queue bound, ClickHouse stopped (SIGSTOP) for 10 s under load.
    // Exporters time out and send again while their first request still waits for its insert, so
    // the collector sees more requests than there are clients: 32 clients with a 2 s timeout here.
    if (run('backpressure')) {
      await truncate(...SPAN_TABLES);
      const QUEUE = 32 * MiB;
      const PAUSE_MS = 10_000;
      const svc = await startCollector(['--max-queue-bytes', String(QUEUE)], false);
      try {
        const idleRss = memory(svc.pid).rss;
        const sampler = rssSampler(svc.pid, 50);
        let peakBeforePause = 0;
        let pauseDone: Promise<void> | undefined;
        const items = Math.min(SPANS, 250_000);
        const load = await drive(traces, {
          url: `http://127.0.0.1:${svc.port}/v1/traces`,
          contentType: 'application/x-protobuf',
          concurrency: 32,
          timeoutMs: 2_000,
          items,
          stamp: true,
          maxRetryAfterMs: 500,
          onAck: (acked) => {
            // Pause once the pipeline has run at full speed for a while (50,000 spans acknowledged, or
            // half of a smaller run): the bound below starts from the memory it used by then.
            if (pauseDone === undefined && acked >= Math.min(50_000, items / 2)) {
              peakBeforePause = Math.max(sampler.max, memory(svc.pid).peak);
              server.pause();
              log(`backpressure: ClickHouse paused (SIGSTOP) for ${PAUSE_MS / 1000} s; collector peak RSS so far ${round(peakBeforePause / MiB, 1)} MiB`);
              pauseDone = sleep(PAUSE_MS).then(() => {
                server.resume();
                log('backpressure: ClickHouse resumed (SIGCONT)');
              });
            }
          },
        });
        await pauseDone;
        const expected = [...load.ackedStamps.values()].reduce((a, b) => a + b, 0);
        const visible = await waitForRows(() => count(TABLES.spans), expected);
        const stored = new Map<number, number>();
        for (const row of await ch.query<{ s: string; n: string }>(`SELECT substring(trace_id, 1, 8) AS s, count() AS n FROM ${TABLES.spans} GROUP BY s`)) {
          stored.set(parseInt(row.s, 16), Number(row.n));
        }
        let missing = 0;
        for (const [stamp, n] of load.ackedStamps) if ((stored.get(stamp) ?? 0) < n) missing += n - (stored.get(stamp) ?? 0);
        const peak = Math.max(sampler.stop(), memory(svc.pid).peak);
        // Bound: what the collector used at full speed before the outage, plus the configured queue,
        // plus the request bodies the clients can have in flight at once (32 × the largest payload).
        const inFlightBodies = 32 * Math.max(...traces.map((p) => p.body.length));
        const limit = peakBeforePause + QUEUE + inFlightBodies;
        const throttled = (load.statuses['503'] ?? 0) + (load.statuses['429'] ?? 0);
        results.backpressure = {
          clients: 32,
          clientTimeoutMs: 2_000,
          maxQueueMiB: QUEUE / MiB,
          pauseSeconds: PAUSE_MS / 1000,
          acked: load.acked,
          storedRows: visible.rows,
          ackedMissing: missing,
          statuses: load.statuses,
          throttledAnswers: throttled,
          throttledWithRetryAfter: load.retryAfterAnswers,
          idleRssMiB: round(idleRss / MiB, 1),
          peakRssBeforePauseMiB: round(peakBeforePause / MiB, 1),
          inFlightBodiesMiB: round(inFlightBodies / MiB, 1),
          peakRssMiB: round(peak / MiB, 1),
          rssLimitMiB: round(limit / MiB, 1),
          ok: throttled > 0 && load.retryAfterAnswers === throttled && peak <= limit && missing === 0,
        };
        log(`backpressure: ${JSON.stringify(results.backpressure)}`);
      } finally {
        server.resume();
        await svc.stop();
      }
    }
  } finally {
    closeHttp();
    await ch.close();
    if (flags['keep-clickhouse']) log(`ClickHouse left running in ${dir}`);
    else {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // ---- verdicts
  const r = results as Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const table: Record<string, unknown>[] = [];
  const row = (target: string, measured: string, goal: string, pass: boolean | undefined) => table.push({ target, measured, goal, result: pass === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL' });
  const roundsNote = (rates: unknown) => (Array.isArray(rates) && rates.length > 1 ? ` (best of rounds: ${rates.join(' / ')})` : '');
  if (r.ceiling) table.push({ target: 'ceiling (RowBinary straight into ClickHouse, 2 x 50k-row inserts)', measured: `${r.ceiling.perSecond} rows/s, ${r.ceiling.clickhouseCpuSecondsPer100k} ClickHouse CPU s/100k${roundsNote(r.ceilingRounds)}`, goal: '', result: '' });
  if (r.ceilingClosedLoop) table.push({ target: `ceiling at ${r.ceilingClosedLoop.insertRows}-row inserts, 1 at a time`, measured: `${r.ceilingClosedLoop.perSecond} rows/s, ${r.ceilingClosedLoop.msPerInsert} ms/insert, ${r.ceilingClosedLoop.clickhouseCpuSecondsPer100k} ClickHouse CPU s/100k`, goal: '(info)', result: '' });
  if (r.e2e) {
    const inserts = r.e2eInserts ? `; ${r.e2eInserts.inserts} inserts of ${r.e2eInserts.meanRowsPerInsert} rows, ${r.e2eInserts.meanInsertMs} ms each` : '';
    table.push({ target: 'burnrate traces end to end', measured: `${r.e2e.perSecond} spans/s, p50 ${r.e2e.latencyP50Ms} ms, p99 ${r.e2e.latencyP99Ms} ms, ${r.e2e.cpuSecondsPer100k} CPU s/100k, peak ${r.e2e.peakRssMiB} MiB, ClickHouse ${r.e2e.clickhouseCpuSecondsPer100k} CPU s/100k${inserts}${roundsNote(r.e2eRounds)}`, goal: '', result: '' });
  }
  if (r.baseline) table.push({ target: 'baseline pipeline end to end', measured: `${r.baseline.perSecond} spans/s, p50 ${r.baseline.latencyP50Ms} ms, p99 ${r.baseline.latencyP99Ms} ms, ${r.baseline.cpuSecondsPer100k} CPU s/100k, peak ${r.baseline.peakRssMiB} MiB${roundsNote(r.baselineRounds)}`, goal: '', result: '' });
  if (r.e2e && r.ceiling) row('end to end vs ceiling', `${round((100 * r.e2e.perSecond) / r.ceiling.perSecond)}%`, '>= 50%', r.e2e.perSecond >= 0.5 * r.ceiling.perSecond);
  if (r.e2e && r.ceiling && r.ceilingClosedLoop) {
    // What clients that wait for acknowledgement-after-insert allow at best (see docs/performance.md).
    const bound = r.ceilingClosedLoop.perSecond;
    table.push({ target: `(info) the bound for ${CLIENTS} waiting clients: ClickHouse alone at ${r.ceilingClosedLoop.insertRows}-row inserts`, measured: `${round((100 * bound) / r.ceiling.perSecond)}% of the ceiling; burnrate reaches ${round((100 * r.e2e.perSecond) / bound)}% of it`, goal: '', result: '' });
  }
  if (r.decode) {
    const d = r.decode.tracesProto;
    row('protobuf decoder vs baseline decoder', `${d.ratio}x (ours, bytes to RowBinary insert body: ${d.ours} spans/s; protobufjs, bytes to message objects: ${d.baseline} spans/s)`, '>= 3x', d.ratio >= 3);
    table.push({ target: 'bytes to insert body (info)', measured: `${d.toInsertBodyRatio}x (ours ${d.ours} vs protobufjs + row mapping + JSONEachRow ${d.baselineToJsonEachRowBody} spans/s; protobufjs + row mapping ${d.baselineWithRowMapping}/s; our decoder to row objects ${d.decoderToRowObjects}/s, + RowBinary ${d.decoderPlusRowBinaryEncode}/s)`, goal: '', result: '' });
  }
  if (r.e2e && r.baseline) row('end to end vs baseline pipeline', `${round(r.e2e.perSecond / r.baseline.perSecond, 2)}x`, '>= 3x', r.e2e.perSecond >= 3 * r.baseline.perSecond);
  if (r.e2e) row('collector peak RSS at full speed', `${r.e2e.peakRssMiB} MiB`, '< 300 MB', r.e2e.peakRssMiB * MiB < 300e6);
  if (r.backpressure) {
    const b = r.backpressure;
    row('backpressure (32 MiB queue, ClickHouse stopped 10 s)', `${b.throttledAnswers} x 503/429 (${b.throttledWithRetryAfter} with Retry-After); peak RSS ${b.peakRssMiB} MiB <= ${b.rssLimitMiB} MiB (${b.peakRssBeforePauseMiB} before the outage + 32 queue + ${b.inFlightBodiesMiB} request bodies in flight); ${b.acked} acked, ${b.ackedMissing} missing`, '503/429 + Retry-After, RSS <= before + queue, every ack stored', b.ok);
  }
  if (r.sdk) {
    const c0 = r.sdk.ceiling;
    table.push({ target: `ceiling for SDK-sized clients: ${r.sdk.spans} spans of 512-span requests, 2 concurrent Native inserts`, measured: `${c0.perSecond} rows/s, ${c0.clickhouseCpuSecondsPer100k} ClickHouse CPU s/100k${roundsNote(r.sdk.ceilingRounds)}`, goal: '', result: '' });
    for (const c of r.sdk.cases) {
      const describe = (m: Record<string, any>) => // eslint-disable-line @typescript-eslint/no-explicit-any
        `${m.perSecond} spans/s = ${round((100 * m.perSecond) / c0.perSecond)}% of the ceiling; p50 ${m.latencyP50Ms} ms, p99 ${m.latencyP99Ms} ms; CPU s/100k: collector ${m.collectorCpuPer100k}, ClickHouse ${m.clickhouseCpuPer100k}, load generator ${m.loadGeneratorCpuPer100k}; ${m.coresBusy} cores busy; ${m.inserts.inserts} inserts of ${m.inserts.meanRowsPerInsert} rows, ${m.inserts.meanInsertMs} ms each`;
      if (c.memory) row(`${c.clients} clients x ${c.spansPerRequest} spans, memory mode vs ceiling`, describe(c.memory), '>= 50%', c.memory.perSecond >= 0.5 * c0.perSecond);
      if (c.spool) row(`${c.clients} clients x ${c.spansPerRequest} spans, spool mode vs ceiling`, describe(c.spool), '>= 50%', c.spool.perSecond >= 0.5 * c0.perSecond);
      if (c.memory && c.spool) row(`${c.clients} clients x ${c.spansPerRequest} spans, spool vs memory mode`, `${round(c.spool.perSecond / c.memory.perSecond, 2)}x (rounds: ${c.rounds.join(' / ')})`, '>= 1x', c.spool.perSecond >= c.memory.perSecond);
    }
  }
  if (r.json) table.push({ target: 'JSON traces end to end', measured: `${r.json.perSecond} spans/s (decoder alone ${r.decode?.tracesJson.ours ?? '?'} spans/s)`, goal: '', result: '' });
  if (r.metrics) table.push({ target: 'metrics end to end', measured: `${r.metrics.perSecond} points/s (decoder ${r.decode?.metricsProto.ours ?? '?'}/s vs baseline ${r.decode?.metricsProto.baseline ?? '?'}/s)`, goal: '', result: '' });
  if (r.logs) table.push({ target: 'logs end to end', measured: `${r.logs.perSecond} records/s (decoder ${r.decode?.logsProto.ours ?? '?'}/s vs baseline ${r.decode?.logsProto.baseline ?? '?'}/s)`, goal: '', result: '' });
  const loadAtEnd = loadavg().map((x) => round(x, 2));
  console.table(table);
  console.log(`load average at start ${info.loadAtStart.join(' ')}, at end ${loadAtEnd.join(' ')} (${info.nproc} cores; other processes share them)`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync(
    '.bench/ingest.json',
    JSON.stringify({ at: new Date().toISOString(), machine: { ...info, loadAtEnd }, clickhouse: clickhouseVersion, spans: SPANS, clients: CLIENTS, results, verdicts: table }, null, 2),
  );
  log('wrote .bench/ingest.json');
}

await main();
