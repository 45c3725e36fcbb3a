// The baseline pipeline: a minimal, reasonable Node OTLP/HTTP trace collector as most are written —
// node:http, protobufjs generated-code decoding, a map into row objects, @clickhouse/client inserts in
// JSONEachRow. Batched like burnrate (50,000 rows or 200 ms, 2 inserts in flight) and, like burnrate,
// a request is answered 200 only once its rows are inserted.
//
//   node bin/run-ts.js bench/ingest/baseline-collector.ts PORT CLICKHOUSE_URL DATABASE
import { createServer } from 'node:http';
import { createClient } from '@clickhouse/client';
import { spanRowsFromMessage, TraceRequest } from './baseline-decode.ts';

const [port = '4319', url = 'http://127.0.0.1:8123', database = 'default'] = process.argv.slice(2);
const MAX_ROWS = 50_000;
const FLUSH_MS = 200;
const MAX_INFLIGHT = 2;
const MAX_PENDING_ROWS = 400_000;

const client = createClient({ url, database, clickhouse_settings: {}, max_open_connections: MAX_INFLIGHT + 2, request_timeout: 60_000 });

interface Batch {
  rows: object[];
  waiters: { resolve(): void; reject(e: Error): void }[];
}
let open: Batch = { rows: [], waiters: [] };
let timer: NodeJS.Timeout | undefined;
const queue: Batch[] = [];
let inFlight = 0;
let pendingRows = 0;

function seal() {
  clearTimeout(timer);
  timer = undefined;
  if (open.rows.length === 0) return;
  queue.push(open);
  open = { rows: [], waiters: [] };
  pump();
}

function pump() {
  while (inFlight < MAX_INFLIGHT && queue.length > 0) {
    const batch = queue.shift()!;
    inFlight++;
    client
      .insert({ table: 'spans', values: batch.rows, format: 'JSONEachRow' })
      .then(
        () => batch.waiters.forEach((w) => w.resolve()),
        (err: Error) => batch.waiters.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        inFlight--;
        pendingRows -= batch.rows.length;
        pump();
      });
  }
}

function submit(rows: object[]): Promise<void> {
  pendingRows += rows.length;
  return new Promise((resolve, reject) => {
    for (const row of rows) open.rows.push(row);
    open.waiters.push({ resolve, reject });
    if (open.rows.length >= MAX_ROWS) seal();
    else timer ??= setTimeout(seal, FLUSH_MS);
  });
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/traces') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (pendingRows > MAX_PENDING_ROWS) {
      res.writeHead(503, { 'Retry-After': '1' }).end();
      return;
    }
    let rows: object[];
    try {
      rows = spanRowsFromMessage(TraceRequest.decode(Buffer.concat(chunks)));
    } catch (err) {
      res.writeHead(400).end(String(err));
      return;
    }
    submit(rows).then(
      () => res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(),
      () => res.writeHead(503, { 'Retry-After': '1' }).end(),
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => console.log(`baseline collector listening on ${port}`));
process.once('SIGTERM', () => {
  seal();
  server.close();
  void client.close().then(() => process.exit(0));
});
