// SDK-sized clients (issue 16): N clients each sending 512-span OTLP/HTTP protobuf requests (the
// BatchSpanProcessor's default batch) and waiting for each answer, against the collector in memory
// mode and in spool mode, and against the ceiling measured in the same run: the same rows inserted
// straight into `spans` as two concurrent Native inserts (ClickHouse's own encoding, views included).
// The load generator is a process of its own; its CPU is counted apart.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { Clickhouse } from '../../storage/client.ts';
import { identifier } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { transcodeTracesProto } from '../../collector/decode/traces-transcode.ts';
import { DEFAULT_DECODE_LIMITS } from '../../collector/rows/types.ts';
import { SPAN_COLUMNS } from '../../collector/rows/spans-row-binary.ts';
import { postQuery } from '../clickhouse-http.ts';
import { stampTraceIds, tracePayloads } from './payloads.ts';
import { cpuSeconds, memory, rssSampler, ROOT, type ServiceProcess } from './proc.ts';

export interface SdkCase {
  clients: number;
  spansPerRequest: number;
}

export interface SdkContext {
  ch: Clickhouse;
  server: { url: string; pid: number };
  database: string;
  spans: number;
  /** Spans serialized once and cycled by the load generator (ids stamped per send). */
  poolSpans: number;
  startCollector(extra: string[]): Promise<ServiceProcess & { port: number }>;
  insertStats(port: number, table: string): Promise<{ inserts: number; meanRowsPerInsert: number; meanInsertMs: number }>;
  truncateSpans(): Promise<void>;
  countSpans(): Promise<number>;
  waitForRows(counter: () => Promise<number>, expected: number, stallMs?: number): Promise<{ rows: number; at: number }>;
  log(line: string): void;
}

const round = (x: number, digits = 0) => Number(x.toFixed(digits));
const COLUMNS = SPAN_COLUMNS.map(identifier).join(', ');

/** Parses "32x512,128x512". */
export function parseCases(text: string): SdkCase[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((c) => {
      const m = /^(\d+)x(\d+)$/.exec(c.trim());
      if (!m) throw new Error(`--sdk-cases: "${c}" is not CLIENTSxSPANS (e.g. 32x512)`);
      return { clients: Number(m[1]), spansPerRequest: Number(m[2]) };
    });
}

export function sdkBench(ctx: SdkContext) {
  const target = { url: ctx.server.url, database: ctx.database };
  const halves = new Map<number, Buffer[]>();

  /**
   * The ceiling: `ctx.spans` rows of `spansPerRequest`-span payloads (ids stamped as the load
   * generator stamps them) staged once in a copy of `spans`, read back as Native in two halves, and
   * POSTed into `spans` at the same time. rows/s from the first byte sent to both answered.
   */
  const ceiling = async (spansPerRequest: number) => {
    let bodies = halves.get(spansPerRequest);
    if (!bodies) {
      await ctx.ch.command('DROP TABLE IF EXISTS spans_stage');
      await ctx.ch.command(`CREATE TABLE spans_stage AS ${TABLES.spans}`);
      const payloads = tracePayloads({ spans: ctx.poolSpans, minSpans: spansPerRequest, maxSpans: spansPerRequest });
      let staged = 0;
      let seq = 0;
      while (staged < ctx.spans) {
        const chunk: Buffer[] = [];
        for (let n = 0; n < 100 && staged < ctx.spans; n++) {
          const p = payloads[seq++ % payloads.length]!;
          const t = transcodeTracesProto(stampTraceIds(p, 0x40000000 + seq), { tenant: '', limits: DEFAULT_DECODE_LIMITS });
          chunk.push(Buffer.from(t.body));
          staged += t.rows;
        }
        await ctx.ch.insertRaw('spans_stage', SPAN_COLUMNS, 'RowBinary', Readable.from(chunk));
      }
      bodies = [];
      for (const half of [0, 1]) bodies.push(await postQuery(target, `SELECT ${COLUMNS} FROM spans_stage WHERE cityHash64(span_id) % 2 = ${half} FORMAT Native`));
      await ctx.ch.command('DROP TABLE spans_stage');
      halves.set(spansPerRequest, bodies);
      ctx.log(`ceiling rows staged: ${staged} spans, Native ${round(bodies.reduce((a, b) => a + b.length, 0) / staged)} bytes/span`);
    }
    await ctx.truncateSpans();
    const ch0 = cpuSeconds(ctx.server.pid);
    const start = performance.now();
    await Promise.all(bodies.map((body) => postQuery(target, `INSERT INTO ${TABLES.spans} (${COLUMNS}) FORMAT Native`, body)));
    const seconds = (performance.now() - start) / 1000;
    const rows = await ctx.countSpans();
    const result = { rows, seconds: round(seconds, 2), perSecond: Math.round(rows / seconds), clickhouseCpuSecondsPer100k: round(((cpuSeconds(ctx.server.pid) - ch0) / rows) * 100_000, 2), load1: round(loadavg()[0]!, 2) };
    ctx.log(`ceiling (2 concurrent Native inserts of ${rows / 2} rows): ${JSON.stringify(result)}`);
    return result;
  };

  /** One end-to-end run: a fresh collector (memory or spool mode), the load generator as a process. */
  const endToEnd = async (c: SdkCase, mode: 'memory' | 'spool', extraArgs: string[] = []) => {
    await ctx.truncateSpans();
    const spoolDir = mode === 'spool' ? mkdtempSync(join(tmpdir(), 'burnrate-bench-spool-')) : '';
    const svc = await ctx.startCollector([...(spoolDir ? ['--spool-dir', spoolDir] : []), ...extraArgs]);
    const loader = spawn(process.execPath, ['bin/run-ts.js', 'bench/ingest/load-process.ts', `http://127.0.0.1:${svc.port}/v1/traces`, String(c.clients), String(ctx.spans), String(c.spansPerRequest), String(ctx.poolSpans)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: loader.stdout! })[Symbol.asyncIterator]();
      const ready = (await lines.next()).value as string | undefined;
      if (!ready?.startsWith('ready')) throw new Error(`load generator: ${ready}`);
      const cpu0 = cpuSeconds(svc.pid);
      const ch0 = cpuSeconds(ctx.server.pid);
      const sampler = rssSampler(svc.pid);
      const start = performance.now();
      loader.stdin!.write('go\n');
      const load = JSON.parse((await lines.next()).value as string) as { acked: number; requests: number; statuses: Record<string, number>; latencyP50Ms: number; latencyP99Ms: number; cpuSeconds: number };
      // A spool's large inserts can take many seconds on a busy machine: wait long before giving up,
      // and never report a run in which acknowledged spans did not arrive.
      const visible = await ctx.waitForRows(ctx.countSpans, load.acked, 120_000);
      if (visible.rows < load.acked) throw new Error(`${mode} mode: ${load.acked} spans acknowledged, ${visible.rows} stored after 2 minutes without progress`);
      const seconds = (visible.at - start) / 1000;
      const cpu = cpuSeconds(svc.pid) - cpu0;
      const chCpu = cpuSeconds(ctx.server.pid) - ch0;
      sampler.stop();
      const inserts = await ctx.insertStats(svc.port, TABLES.spans);
      const per100k = (s: number) => round((s / Math.max(1, visible.rows)) * 100_000, 2);
      const result = {
        mode,
        clients: c.clients,
        spansPerRequest: c.spansPerRequest,
        acked: load.acked,
        stored: visible.rows,
        seconds: round(seconds, 2),
        perSecond: Math.round(visible.rows / seconds),
        statuses: load.statuses,
        latencyP50Ms: round(load.latencyP50Ms, 1),
        latencyP99Ms: round(load.latencyP99Ms, 1),
        collectorCpuPer100k: per100k(cpu),
        clickhouseCpuPer100k: per100k(chCpu),
        loadGeneratorCpuPer100k: per100k(load.cpuSeconds),
        /** Share of the machine's cores busy with the three processes during the run. */
        coresBusy: round((cpu + chCpu + load.cpuSeconds) / seconds, 2),
        peakRssMiB: round(memory(svc.pid).peak / 2 ** 20, 1),
        inserts,
        load1: round(loadavg()[0]!, 2),
      };
      ctx.log(`${c.clients} clients x ${c.spansPerRequest}, ${mode}: ${JSON.stringify(result)}`);
      return result;
    } finally {
      loader.kill();
      await svc.stop();
      if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
    }
  };

  return { ceiling, endToEnd };
}
