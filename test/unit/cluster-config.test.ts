import { describe, expect, it } from 'vitest';
import { clickhouseFromFlags } from '../../cli/options.ts';
import { ConfigError } from '../../cli/config-error.ts';
import { clickhouseUrls } from '../../storage/config.ts';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('ClickHouse settings for a cluster', () => {
  it('CLICKHOUSE_URL takes a comma-separated list, in order', () => {
    const config = clickhouseFromFlags({}, { CLICKHOUSE_URL: 'http://ch-1:8123, http://ch-2:8123,https://ch-3:8443' });
    expect(clickhouseUrls(config.url)).toEqual(['http://ch-1:8123', 'http://ch-2:8123', 'https://ch-3:8443']);
  });

  it('CLICKHOUSE_CLUSTER, --clickhouse-cluster and migrate --cluster name the cluster (flags win); none means one server', () => {
    expect(clickhouseFromFlags({}, {}).cluster).toBe('');
    expect(clickhouseFromFlags({}, { CLICKHOUSE_CLUSTER: 'prod' }).cluster).toBe('prod');
    expect(clickhouseFromFlags({ 'clickhouse-cluster': 'eu-1' }, { CLICKHOUSE_CLUSTER: 'prod' }).cluster).toBe('eu-1');
    expect(clickhouseFromFlags({ cluster: 'eu.2' }, { CLICKHOUSE_CLUSTER: 'prod' }).cluster).toBe('eu.2');
  });

  it('reports every bad entry of the list and a bad cluster name together, with the setting names', () => {
    expect(problems(() => clickhouseFromFlags({ 'clickhouse-cluster': "x'; DROP" }, { CLICKHOUSE_URL: 'http://ok:8123,not a url,ftp://ch:21' }))).toEqual([
      'CLICKHOUSE_URL: "not a url" is not an http(s) URL such as http://127.0.0.1:8123 (several: comma-separated)',
      'CLICKHOUSE_URL: "ftp://ch:21" is not an http(s) URL such as http://127.0.0.1:8123 (several: comma-separated)',
      'CLICKHOUSE_CLUSTER: CLICKHOUSE_CLUSTER must be a cluster name from remote_servers (letters, digits, _ . -)',
    ]);
    expect(problems(() => clickhouseFromFlags({}, { CLICKHOUSE_URL: ' , ' }))).toEqual(['CLICKHOUSE_URL: CLICKHOUSE_URL must be a URL such as http://127.0.0.1:8123']);
  });
});
