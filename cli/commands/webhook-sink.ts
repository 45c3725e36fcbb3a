import { createServer, type IncomingMessage } from 'node:http';
import type { Command } from '../main.ts';
import { parseFlags } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';

const USAGE = `usage: burnrate webhook-sink [--port 9000] [--host 127.0.0.1]

A local receiver for alert notifications: prints every POST it receives as readable lines.
Understands Alertmanager webhook (version "4") JSON, Slack incoming-webhook JSON and PagerDuty
Events v2; anything else is printed as JSON. Point the SLO engine at it, e.g.
  WEBHOOK_URL=http://127.0.0.1:9000/alerts SLACK_WEBHOOK_URL=http://127.0.0.1:9000/slack
GET /received lists what arrived (newest last).`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/** Readable lines for one notification body. Pure, so the format is easy to see and to test. */
export function describeNotification(body: unknown): string[] {
  const b = obj(body);
  if (Array.isArray(b.alerts)) {
    // Alertmanager webhook v4
    return (b.alerts as unknown[]).map((a) => {
      const alert = obj(a);
      const labels = obj(alert.labels);
      const ann = obj(alert.annotations);
      const what = Object.entries(labels)
        .map(([k, v]) => `${k}=${str(v)}`)
        .join(' ');
      const summary = str(ann.summary ?? ann.description ?? '');
      return `${str(alert.status ?? b.status).toUpperCase()} ${what}${summary ? ` — ${summary}` : ''}`;
    });
  }
  if (typeof b.event_action === 'string') {
    // PagerDuty Events API v2
    const payload = obj(b.payload);
    const what = payload.summary === undefined ? '' : ` [${str(payload.severity)}] ${str(payload.summary)}`;
    return [`PAGERDUTY ${b.event_action}${what} (dedup_key ${str(b.dedup_key)})`];
  }
  if (typeof b.text === 'string' || Array.isArray(b.blocks)) {
    // Slack incoming webhook: the fallback text says it in one line.
    return [`SLACK ${str(b.text).replace(/\s*\n\s*/g, ' | ')}`];
  }
  return [`UNKNOWN ${JSON.stringify(body)}`];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const command: Command = {
  summary: 'a local HTTP receiver that prints the alerts it receives (Alertmanager, Slack, PagerDuty JSON)',
  usage: USAGE,
  async run(args) {
    const { values } = parseFlags(args, { port: { type: 'string' }, host: { type: 'string' } });
    const port = Number(values.port ?? 9000);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`--port: must be a port number, got "${values.port}"`]);
    const host = values.host ?? '127.0.0.1';
    const received: Array<{ at: string; path: string; lines: string[]; body: unknown }> = [];

    const server = createServer(async (req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(received, null, 2) + '\n');
        return;
      }
      const text = await readBody(req).catch(() => '');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: print it as it came
      }
      const at = new Date().toISOString();
      const lines = typeof body === 'string' ? [`TEXT ${body}`] : describeNotification(body);
      received.push({ at, path: req.url ?? '/', lines, body });
      if (received.length > 500) received.shift();
      for (const line of lines) console.log(`${at} ${req.url ?? '/'} ${line}`);
      // Slack answers 200 "ok"; Alertmanager receivers and PagerDuty accept any 2xx.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    console.log(`webhook-sink: listening on http://${host}:${port} — POST alerts here; GET /received lists them`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    console.log('webhook-sink: stopped');
    return 0;
  },
};
