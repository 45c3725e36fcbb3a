// The HTTP interface of clickhouse-server, in front of the embedded engine: enough of it that
// @clickhouse/client, the collector and curl work unchanged (ping, queries by URL and body,
// database / default_format / query_id / settings parameters, inserts in any format, gzip bodies,
// users and passwords, errors with the server's `Code: N. DB::Exception:` text and header).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Readable } from 'node:stream';
import type { EmbeddedEngine } from './engine.ts';
import { EngineError } from './engine.ts';
import { BadRequest, parseRequest } from './request.ts';
import type { Users } from './users.ts';

export interface FrontOptions {
  engine: EmbeddedEngine;
  users: Users;
  timezone: string;
  /** Largest request body taken, after decompression (a server has none; this is a test engine). */
  maxBodyBytes?: number;
}

// As clickhouse-server's HTTPHandler maps exception codes to statuses (the client reads the body).
const HTTP_STATUS: Record<number, number> = {
  192: 401, 193: 401, 194: 401, 516: 401,
  164: 403, 497: 403,
  60: 404, 81: 404, 46: 404, 47: 404,
  62: 400, 27: 400, 26: 400, 6: 400, 38: 400, 53: 400, 69: 400, 115: 400, 252: 400,
};

export function createFront(options: FrontOptions): Server {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024 * 1024;
  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => fail(res, err));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if ((url.pathname === '/ping' || (url.pathname === '/' && !url.search)) && (req.method === 'GET' || req.method === 'HEAD')) {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/') throw new BadRequest(1002, `There is no handle ${url.pathname}`);
    const user = credentials(req, url.searchParams);
    if (!options.users.check(user.name, user.password)) {
      req.resume();
      throw new EngineError(516, `Code: 516. DB::Exception: ${user.name}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`);
    }
    const body = await readBody(req, maxBody);
    const request = parseRequest(url.searchParams, body);
    const output = await options.engine.run(request);
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Query-Id': request.queryId ?? '',
      'X-ClickHouse-Timezone': options.timezone,
      'X-ClickHouse-Server-Display-Name': 'burnrate-embedded',
    });
    res.end(output);
  }
}

function credentials(req: IncomingMessage, params: URLSearchParams): { name: string; password: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? { name: decoded, password: '' } : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    name: header('x-clickhouse-user') ?? params.get('user') ?? 'default',
    password: header('x-clickhouse-key') ?? params.get('password') ?? '',
  };
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  let stream: Readable = req;
  if (encoding === 'gzip' || encoding === 'x-gzip') stream = req.pipe(createGunzip());
  else if (encoding === 'deflate') stream = req.pipe(createInflate());
  else if (encoding === 'br') stream = req.pipe(createBrotliDecompress());
  else if (encoding && encoding !== 'identity') throw new BadRequest(1002, `Unknown Content-Encoding ${encoding}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.destroy();
      throw new BadRequest(1002, `request body over ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function fail(res: ServerResponse, err: unknown): void {
  const code = err instanceof EngineError || err instanceof BadRequest ? err.code : 1002;
  const raw = err instanceof Error ? err.message : String(err);
  // The server's wording, which @clickhouse/client and storage/errors.ts parse.
  const message = /^Code: \d+\./.test(raw) ? raw : `Code: ${code}. DB::Exception: ${raw}. (UNKNOWN_EXCEPTION)`;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(HTTP_STATUS[code] ?? 500, {
    'Content-Type': 'text/plain; charset=UTF-8',
    'X-ClickHouse-Exception-Code': String(code),
  });
  res.end(`${message}\n`);
}
