import { collectorConfigSchema, type CollectorConfigInput } from '../../collector/config.ts';
import { startCollector, type RunningCollector } from '../../collector/collector.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';

export interface TestCollector extends RunningCollector {
  /** e.g. http://127.0.0.1:PORT — append /v1/traces. */
  url: string;
  /** host:port for gRPC exporters (empty when gRPC is disabled). */
  grpcAddress: string;
}

/** A collector in this process on free loopback ports, writing to `clickhouse`. */
export async function startTestCollector(clickhouse: ClickhouseConfig, overrides: CollectorConfigInput = {}): Promise<TestCollector> {
  const config = collectorConfigSchema.parse({ host: '127.0.0.1', httpPort: 0, grpcPort: 0, flushIntervalMs: 50, ...overrides });
  const collector = await startCollector(config, clickhouse, { log: () => {}, defaultMetrics: false });
  return Object.assign(collector, {
    url: `http://127.0.0.1:${collector.httpPort}`,
    grpcAddress: collector.grpcPort ? `127.0.0.1:${collector.grpcPort}` : '',
  });
}
