// A private ZooKeeper for the local ClickHouse cluster: Debian's `zookeeper` package (not `zookeeperd`,
// which installs a system service), run in the foreground with its own zoo.cfg, data dir and a free
// loopback port, killed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { freePort } from '../../storage/local-clickhouse.ts';

export const ZK_SERVER_SCRIPT = '/usr/share/zookeeper/bin/zkServer.sh';

export function zookeeperMissing(): string | undefined {
  return existsSync(ZK_SERVER_SCRIPT) ? undefined : `ZooKeeper is not installed (${ZK_SERVER_SCRIPT}; apt-get install -y zookeeper)`;
}

export interface LocalZookeeper {
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** Sends a four-letter command and returns the answer ('' when the server does not answer). */
function fourLetters(port: number, command: string): Promise<string> {
  return new Promise((resolveAnswer) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(1000);
    socket.on('connect', () => socket.write(command));
    socket.on('data', (d) => (answer += d.toString('utf8')));
    socket.on('end', () => resolveAnswer(answer));
    socket.on('error', () => resolveAnswer(''));
    socket.on('timeout', () => {
      socket.destroy();
      resolveAnswer(answer);
    });
  });
}

export async function startZookeeper(dir: string, timeoutMs = 60_000): Promise<LocalZookeeper> {
  const missing = zookeeperMissing();
  if (missing) throw new Error(missing);
  const root = resolve(dir);
  mkdirSync(join(root, 'data'), { recursive: true });
  const port = await freePort();
  // Sessions of a killed ClickHouse expire within ClickHouse's session timeout (15 s, test/support/cluster.ts).
  writeFileSync(
    join(root, 'zoo.cfg'),
    [
      'tickTime=1000',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${join(root, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'maxClientCnxns=0',
      // Transaction logs are preallocated 64 MB at a time by default.
      'preAllocSize=4096',
      // 3.5+ starts an admin web server on 8080 unless told not to.
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(ZK_SERVER_SCRIPT, ['start-foreground', join(root, 'zoo.cfg')], {
    env: { ...process.env, JMXDISABLE: 'true', ZOO_LOG_DIR: root },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d) => stderr.push(String(d)));
  const deadline = Date.now() + timeoutMs;
  // `ruok` answers before the server takes sessions; `srvr` names the mode only once it serves.
  // (A ClickHouse 18.16 whose first ZooKeeper handshake is refused can crash.)
  while (!(await fourLetters(port, 'srvr')).includes('Mode: standalone')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ZooKeeper did not answer on 127.0.0.1:${port} within ${timeoutMs} ms (exit ${child.exitCode}): ${stderr.join('').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host: '127.0.0.1',
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
