// A small builder for Grafana dashboard JSON. Dashboards are described as plain data (panels with
// their SQL, variables) and turned into the JSON Grafana provisions, so layout, datasource
// references and query shapes are written once here instead of copied into every panel.

/** The datasource provisioned by dashboards/provisioning/datasources/clickhouse.yaml. */
export const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: 'burnrate-clickhouse' } as const;

/** Every dashboard carries this tag; the dashboard links menu lists them all. */
export const TAG = 'burnrate';

/** Dashboard uids, shared so data links between dashboards cannot drift. */
export const UIDS = {
  servicesOverview: 'burnrate-services',
  serviceDetail: 'burnrate-service',
  sloOverview: 'burnrate-slos',
  sloDetail: 'burnrate-slo',
  trace: 'burnrate-trace',
  metrics: 'burnrate-metrics',
} as const;

/** The plugin's query formats (sqlutil.FormatQueryOption). */
const FORMATS = { timeseries: 0, table: 1, logs: 2, traces: 3 } as const;
export type QueryFormat = keyof typeof FORMATS;

export type PanelType = 'timeseries' | 'table' | 'stat' | 'traces' | 'logs' | 'state-timeline' | 'bargauge';

export interface ColumnLink {
  /** Result column whose cells link somewhere. */
  column: string;
  title: string;
  url: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  type: PanelType;
  sql: string;
  /** Defaults: timeseries for timeseries/state-timeline panels, traces/logs for theirs, table otherwise. */
  format?: QueryFormat;
  /** Grid width out of 24, height in grid rows. */
  width: number;
  height: number;
  unit?: string;
  /** Grafana's "min interval": rollup panels use 1m so $__interval_s is never below the rollup's grain. */
  minInterval?: string;
  /** Series name for long-format time series, e.g. '${__field.labels.service_name}'. */
  displayName?: string;
  links?: ColumnLink[];
  /** Per-column units and display tweaks. */
  columnUnits?: Record<string, string>;
  /** Threshold steps for stat/table colouring: [[value, color], ...], first value null. */
  thresholds?: Array<[number | null, string]>;
  /** Grafana value mappings (text and colour per value). */
  mappings?: unknown[];
  options?: Record<string, unknown>;
  custom?: Record<string, unknown>;
  /** Why this panel's SQL needs a current ClickHouse (not 18.16); absent: portable. Tests read it. */
  modernOnly?: string;
}

export interface QueryVariableSpec {
  kind: 'query';
  name: string;
  label: string;
  sql: string;
  multi?: boolean;
  includeAll?: boolean;
}

export interface TextVariableSpec {
  kind: 'textbox';
  name: string;
  label: string;
  description: string;
}

export type VariableSpec = QueryVariableSpec | TextVariableSpec;

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: VariableSpec[];
  panels: PanelSpec[];
  time?: { from: string; to: string };
}

const defaultFormat = (type: PanelType): QueryFormat =>
  type === 'timeseries' || type === 'state-timeline' ? 'timeseries' : type === 'traces' ? 'traces' : type === 'logs' ? 'logs' : 'table';

function fieldConfig(panel: PanelSpec) {
  const defaults: Record<string, unknown> = {};
  if (panel.unit) defaults.unit = panel.unit;
  if (panel.displayName) defaults.displayName = panel.displayName;
  if (panel.custom) defaults.custom = panel.custom;
  if (panel.mappings) defaults.mappings = panel.mappings;
  if (panel.thresholds) {
    defaults.thresholds = { mode: 'absolute', steps: panel.thresholds.map(([value, color]) => ({ color, value })) };
    defaults.color = { mode: 'thresholds' };
  }
  const overrides: Array<{ matcher: { id: string; options: string }; properties: Array<{ id: string; value: unknown }> }> = [];
  for (const [column, unit] of Object.entries(panel.columnUnits ?? {})) {
    overrides.push({ matcher: { id: 'byName', options: column }, properties: [{ id: 'unit', value: unit }] });
  }
  for (const link of panel.links ?? []) {
    overrides.push({
      matcher: { id: 'byName', options: link.column },
      properties: [{ id: 'links', value: [{ title: link.title, url: link.url }] }],
    });
  }
  return { defaults, overrides };
}

export interface TargetJson {
  refId: string;
  datasource: typeof DATASOURCE;
  editorType: 'sql';
  format: number;
  rawSql: string;
}

export interface PanelJson {
  id: number;
  type: PanelType;
  title: string;
  description: string;
  datasource: typeof DATASOURCE;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig: ReturnType<typeof fieldConfig>;
  options: Record<string, unknown>;
  targets: TargetJson[];
  interval?: string;
}

export interface VariableJson {
  type: 'query' | 'textbox';
  name: string;
  label: string;
  datasource?: typeof DATASOURCE;
  query: string | { editorType: 'sql'; rawSql: string };
  [key: string]: unknown;
}

function panelJson(panel: PanelSpec, id: number, gridPos: PanelJson['gridPos']): PanelJson {
  const json: PanelJson = {
    id,
    type: panel.type,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: fieldConfig(panel),
    options: panel.options ?? {},
    targets: [
      {
        refId: 'A',
        datasource: DATASOURCE,
        editorType: 'sql',
        format: FORMATS[panel.format ?? defaultFormat(panel.type)],
        rawSql: panel.sql,
      },
    ],
  };
  if (panel.minInterval) json.interval = panel.minInterval;
  return json;
}

function variableJson(variable: VariableSpec): VariableJson {
  if (variable.kind === 'textbox') {
    return {
      type: 'textbox',
      name: variable.name,
      label: variable.label,
      description: variable.description,
      query: '',
      current: { text: '', value: '' },
      options: [{ selected: true, text: '', value: '' }],
      hide: 0,
    };
  }
  return {
    type: 'query',
    name: variable.name,
    label: variable.label,
    datasource: DATASOURCE,
    definition: variable.sql,
    query: { editorType: 'sql', rawSql: variable.sql },
    // 2 = on time range change: the lists follow the data in view.
    refresh: 2,
    multi: variable.multi ?? false,
    includeAll: variable.includeAll ?? false,
    current: {},
    options: [],
    sort: 1,
    hide: 0,
  };
}

/** Flows panels left to right, wrapping at 24 columns; a row is as tall as its tallest panel. */
function layout(panels: PanelSpec[]) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((panel) => {
    if (x + panel.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w: panel.width, h: panel.height };
    x += panel.width;
    rowHeight = Math.max(rowHeight, panel.height);
    return gridPos;
  });
}

export function buildDashboard(spec: DashboardSpec) {
  const positions = layout(spec.panels);
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [TAG],
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    timezone: '',
    time: spec.time ?? { from: 'now-1h', to: 'now' },
    refresh: '30s',
    links: [{ type: 'dashboards', title: 'burnrate', tags: [TAG], asDropdown: true, includeVars: false, keepTime: true }],
    annotations: { list: [] },
    templating: { list: spec.variables.map(variableJson) },
    panels: spec.panels.map((panel, i) => panelJson(panel, i + 1, positions[i]!)),
  };
}

export type Dashboard = ReturnType<typeof buildDashboard>;

/** Link to another burnrate dashboard; `params` are appended as given (Grafana data-link syntax). */
export function dashboardUrl(uid: string, params: string[]): string {
  return `/d/${uid}?${params.join('&')}`;
}
