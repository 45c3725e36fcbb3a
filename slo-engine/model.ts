// The engine's domain types: plain data, produced by the spec loaders and consumed by the pure core.
import type { Rational } from './math/rational.ts';
import type { CalendarUnit } from './math/calendar.ts';

export type Severity = 'page' | 'ticket';
/** Higher severities first: a firing severity inhibits every one after it. */
export const SEVERITIES: readonly Severity[] = ['page', 'ticket'];

export type Period = { type: 'rolling'; seconds: number } | { type: 'calendar'; unit: CalendarUnit; timeZone: string };

export interface TierSpec {
  severity: Severity;
  /** Seconds, whole minutes. */
  long: number;
  short: number;
  /** Either the budget fraction consumed in the long window (factor derived per period) or a fixed factor. */
  budgetFraction?: Rational;
  factor?: Rational;
}

export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export const SPAN_KINDS: Record<SpanKindName, number> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

export interface SpanSelector {
  spanKind: SpanKindName | null;
  spanNames: string[];
  routes: string[];
  attributes: Record<string, string>;
  resourceAttributes: Record<string, string>;
}

export interface MetricSelector {
  metric: string;
  attributes: Record<string, string>;
}

export type SliSpec =
  | ({ kind: 'availability'; bad: { statusError: boolean; httpStatusAtLeast: number | null } } & SpanSelector)
  | ({ kind: 'latency'; thresholdNs: bigint } & SpanSelector)
  | { kind: 'metric-ratio'; service: string; good?: MetricSelector; bad?: MetricSelector; total: MetricSelector }
  | { kind: 'metric-latency'; service: string; metric: string; attributes: Record<string, string>; threshold: Rational }
  | { kind: 'custom'; table: string; good: string; total: string; where: string };

export type ChannelType = 'slack' | 'webhook' | 'pagerduty';

/** Where a severity is delivered. Secrets are referenced by environment variable name, never stored. */
export interface TargetSpec {
  type: ChannelType;
  /** Environment variable holding the URL (slack, webhook) or routing key (pagerduty). */
  env: string;
  /** Webhook only: environment variable holding the HMAC secret. */
  secretEnv?: string;
}

export interface MaintenanceWindow {
  /** Epoch seconds, start inclusive, end exclusive. */
  start: number;
  end: number;
  reason: string;
}

/** The tenant column value of rows sent without a tenant (no tokens, or a token without `=tenant`). */
export const DEFAULT_TENANT = '';

export interface Slo {
  id: string;
  service: string;
  /** The only tenant whose rows this SLO counts; undefined = not written in the file = DEFAULT_TENANT. */
  tenant?: string;
  name: string;
  description: string;
  labels: Record<string, string>;
  /** The objective as written, percent ("99.9"). */
  objective: string;
  /** 1 - objective, as a fraction (99.9 → 1/1000). */
  budget: Rational;
  period: Period;
  sli: SliSpec;
  tiers: TierSpec[];
  /** Minimum events in a tier's long window before it may fire. */
  minEvents: number;
  /** Seconds the evaluation window ends before "now", so late spans are counted. */
  ingestDelay: number;
  noData: { alert: boolean; after: number; severity: Severity };
  /** Seconds between repeat notifications of an alert that stays firing; 0 = never repeat. */
  repeatInterval: number;
  /**
   * After a page resolves, a ticket tier may not fire while its short window still overlaps the
   * page (the budget it sees was burned by the incident that already paged). False: the ticket may
   * fire as soon as the page resolves.
   */
  inhibitTicketAfterPage: boolean;
  /** Undefined: every channel configured in the environment. */
  notify: Partial<Record<Severity, TargetSpec[]>>;
  maintenance: MaintenanceWindow[];
  source: { file: string; format: 'burnrate' | 'openslo' };
}

export const tenantOf = (slo: Pick<Slo, 'tenant'>): string => slo.tenant ?? DEFAULT_TENANT;
