import type { Command } from '../main.ts';
import { parseFlags } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { DEFAULT_CONTROL, controlSchema, startDemo, type Control } from '../../demo/service.ts';

const CONTROL_OPTIONS = {
  'error-rate': { type: 'string' },
  'latency-ms': { type: 'string' },
  rps: { type: 'string' },
} as const;

const USAGE = `usage: burnrate demo [options]                 run the demo service and its load generator
       burnrate demo control [options]         change a running demo (error rate, latency, load)

demo:
  --port N               HTTP port (default 8080)
  --host ADDR            listen address (default 127.0.0.1; 0.0.0.0 in a container)
  --otlp-endpoint URL    OTLP/HTTP receiver: traces, metrics and logs go to URL/v1/traces, /v1/metrics, /v1/logs
                         (default OTEL_EXPORTER_OTLP_ENDPOINT or http://127.0.0.1:4318)
  --error-rate R         fraction of requests answered with HTTP 500, 0..1 (default ${DEFAULT_CONTROL.errorRate})
  --latency-ms N         milliseconds added to every request (default ${DEFAULT_CONTROL.latencyMs})
  --rps N                requests per second of the built-in load generator (default ${DEFAULT_CONTROL.rps})

control:
  --url URL              the running demo (default http://127.0.0.1:8080)
  --error-rate R, --latency-ms N, --rps N   as above; omitted ones keep their value

The same over HTTP: curl -X POST localhost:8080/control -d '{"errorRate":0.3,"latencyMs":400}'`;

/** Control flags given on the command line, checked together so every problem is reported. */
function controlFromFlags(values: Record<string, unknown>): Partial<Control> {
  const patch: Record<string, number> = {};
  const problems: string[] = [];
  for (const [flag, key] of [['error-rate', 'errorRate'], ['latency-ms', 'latencyMs'], ['rps', 'rps']] as const) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) problems.push(`--${flag}: must be a number, got "${raw}"`);
    else patch[key] = n;
  }
  const checked = controlSchema.partial().safeParse(patch);
  if (!checked.success) {
    const flagOf: Record<string, string> = { errorRate: 'error-rate', latencyMs: 'latency-ms', rps: 'rps' };
    for (const issue of checked.error.issues) problems.push(`--${flagOf[String(issue.path[0])]}: ${issue.message}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return checked.data!;
}

async function control(args: string[]): Promise<number> {
  const { values } = parseFlags(args, { ...CONTROL_OPTIONS, url: { type: 'string' } });
  const patch = controlFromFlags(values);
  const url = `${(values.url ?? 'http://127.0.0.1:8080').replace(/\/$/, '')}/control`;
  const res = await fetch(url, {
    method: Object.keys(patch).length ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json' },
    ...(Object.keys(patch).length ? { body: JSON.stringify(patch) } : {}),
  }).catch((err: unknown) => {
    throw new Error(`cannot reach the demo at ${url}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`demo answered ${res.status}: ${body.trim()}`);
  console.log(`demo at ${url}: ${body.trim()}`);
  return 0;
}

async function run(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...CONTROL_OPTIONS,
    port: { type: 'string' },
    host: { type: 'string' },
    'otlp-endpoint': { type: 'string' },
  });
  const port = Number(values.port ?? 8080);
  const problems: string[] = [];
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`--port: must be a port number, got "${values.port}"`);
  const otlpEndpoint = values['otlp-endpoint'] ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
  if (!/^https?:\/\/[^\s]+$/.test(otlpEndpoint)) problems.push(`--otlp-endpoint: must be an http(s) URL, got "${otlpEndpoint}"`);
  let patch: Partial<Control> = {};
  try {
    patch = controlFromFlags(values);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length) throw new ConfigError(problems);

  const demo = await startDemo({ port, host: values.host, otlpEndpoint, control: patch });
  const c = demo.control();
  const local = demo.url.replace('127.0.0.1', 'localhost');
  console.log(
    [
      `demo: service "demo" on ${demo.url} (routes /checkout, /products), traces to ${otlpEndpoint}/v1/traces`,
      `demo: load generator ${c.rps} req/s, errorRate=${c.errorRate}, latencyMs=${c.latencyMs}`,
      `demo: make it fail:  curl -X POST ${local}/control -d '{"errorRate":0.3}'`,
      `demo:           or:  node bin/burnrate.js demo control --url ${local} --error-rate 0.3 --latency-ms 400`,
      `demo: back to normal: curl -X POST ${local}/control -d '{"errorRate":0,"latencyMs":0}'`,
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await demo.stop();
  console.log('demo: stopped');
  // The exporter may still hold retry timers for a receiver that is gone; they must not keep us alive.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}

export const command: Command = {
  summary: 'a demo service with a load generator, sending traces to burnrate; its failures are adjustable',
  usage: USAGE,
  run: (args) => (args[0] === 'control' ? control(args.slice(1)) : run(args)),
};
