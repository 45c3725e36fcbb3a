import { buildDashboard, type DashboardSpec } from './grafana.ts';
import { servicesOverview } from './services-overview.ts';
import { serviceDetail } from './service-detail.ts';
import { trace } from './trace.ts';
import { sloOverview } from './slo-overview.ts';
import { sloDetail } from './slo-detail.ts';
import { metrics } from './metrics.ts';

/** Every provisioned dashboard, keyed by its JSON file name (without .json). */
export const DASHBOARDS: Record<string, DashboardSpec> = {
  'services-overview': servicesOverview,
  'service-detail': serviceDetail,
  'slo-overview': sloOverview,
  'slo-detail': sloDetail,
  trace,
  metrics,
};

/** The exact text of each dashboards/json/<name>.json file. */
export function renderDashboards(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, spec] of Object.entries(DASHBOARDS)) {
    files.set(`${name}.json`, JSON.stringify(buildDashboard(spec), null, 2) + '\n');
  }
  return files;
}
