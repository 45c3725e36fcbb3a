import { connectClickhouse, type Clickhouse } from '../storage/client.ts';
import type { ClickhouseConfig } from '../storage/config.ts';
import { clickhouseErrorCode } from '../storage/errors.ts';

const HOW_TO_POINT = 'Set CLICKHOUSE_URL (or --clickhouse-url) to your ClickHouse HTTP address, e.g. http://127.0.0.1:8123; `npm start` prints the address of the ClickHouse it runs.';

/**
 * Connects for a one-shot command (status, backtest, sql, ...) after checking that the URL answers
 * as ClickHouse: a refused connection, or another program answering on that port (a web page), is
 * reported with the URL tried and how to point burnrate elsewhere, not as a bare socket error.
 */
export async function connectChecked(config: ClickhouseConfig): Promise<Clickhouse> {
  const probe = connectClickhouse({ ...config, database: 'default' }, { requestTimeoutMs: 10_000 });
  try {
    const rows = await probe.query<{ v?: unknown }>('SELECT version() AS v');
    if (typeof rows[0]?.v !== 'string' || !/^\d+\.\d+/.test(rows[0].v)) throw new Error(`${config.url} answered, but not as ClickHouse (is another program listening on that port?)`);
    if (config.cluster) await checkCluster(probe, config);
  } catch (err) {
    if (err instanceof UnknownClusterError) throw err;
    const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
    // Wrong credentials and the like are ClickHouse's own answers: pass them through as they are.
    if (clickhouseErrorCode(err) !== undefined) throw err;
    throw new Error(`cannot use ClickHouse at ${config.url}: ${message}\n${HOW_TO_POINT}`);
  } finally {
    await probe.close();
  }
  return connectClickhouse(config);
}

class UnknownClusterError extends Error {}

/** Cluster mode names a cluster of the servers' remote_servers: say which ones exist when it does not. */
async function checkCluster(ch: Clickhouse, config: ClickhouseConfig): Promise<void> {
  const rows = await ch.query<{ cluster: string }>('SELECT DISTINCT cluster FROM system.clusters ORDER BY cluster');
  if (rows.some((r) => r.cluster === config.cluster)) return;
  const known = rows.map((r) => r.cluster).join(', ') || 'none';
  throw new UnknownClusterError(`cluster ${JSON.stringify(config.cluster)} is not in the remote_servers of ${config.url} (it has: ${known}); set CLICKHOUSE_CLUSTER (or --clickhouse-cluster) to one of them`);
}
