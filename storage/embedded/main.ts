// Entry point of the embedded ClickHouse process: `node bin/run-ts.js storage/embedded/main.ts
// --dir DIR --port N [--host H]`. Prints one line `ready <port> <version>` once it serves.
// A process of its own, like a server: its engine threads never compete with the caller's event
// loop, and tests can pause (SIGSTOP), kill and restart it.
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { EmbeddedEngine } from './engine.ts';
import { createFront } from './http-front.ts';
import { loadUsers } from './users.ts';
import { exitWithParent } from '../../runtime/exit-with-parent.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
if (!values.dir) {
  process.stderr.write('usage: main.ts --dir DIR [--port N] [--host H]\n');
  process.exit(2);
}
mkdirSync(values.dir, { recursive: true });
const engine = EmbeddedEngine.open(values.dir);
const users = loadUsers(values.dir);
const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const server = createFront({ engine, users, timezone });
const versionText = (await engine.run({ database: 'default', settings: {}, defaultFormat: 'TabSeparated', queryId: undefined, statement: 'SELECT version()' })).toString().trim();

process.on('SIGHUP', () => users.reload());
const stop = () => {
  server.close();
  server.closeAllConnections();
  engine.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
exitWithParent();

server.keepAliveTimeout = 10_000;
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : Number(values.port);
  process.stdout.write(`ready ${port} ${versionText}\n`);
});
