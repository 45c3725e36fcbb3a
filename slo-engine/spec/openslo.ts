// OpenSLO v1 → burnrate spec. Documents are collected by kind and name, references resolved, and
// the SLO mapped to the burnrate YAML shape, then validated by the same schema. Extensions (README
// "OpenSLO"): metricSource types `burnrate.spans`, `burnrate.metric`, `burnrate.histogram`,
// `burnrate.sql`; the short window as annotation `burnrate.dev/short-window` on an AlertCondition
// (default: long / 12); target env names as annotations `burnrate.dev/env` / `burnrate.dev/secret-env`;
// the SLO's tenant as the annotation `burnrate.dev/tenant` on the SLO.
import type { Slo } from '../model.ts';
import { parseDecimal, mul, rational, toDecimalString } from '../math/rational.ts';
import { formatDuration, parseDuration } from '../math/duration.ts';
import { sloSchema } from './schema.ts';
import { toModel } from './to-model.ts';
import type { Problem, SourceDoc } from './load.ts';
import { formatPath } from './load.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isOpenSlo = (v: unknown): boolean => isObj(v) && typeof v.apiVersion === 'string' && v.apiVersion.startsWith('openslo/');

const KINDS = new Set(['SLO', 'SLI', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget', 'Service', 'DataSource']);
const PAGE_SEVERITIES = new Set(['page', 'critical', 'high']);
const TICKET_SEVERITIES = new Set(['ticket', 'warning', 'medium', 'low', 'info']);

interface Entry {
  src: SourceDoc;
  doc: Obj;
}

class Mapper {
  problems: Problem[] = [];
  private byKind = new Map<string, Map<string, Entry>>();

  constructor(docs: SourceDoc[]) {
    for (const src of docs) {
      const doc = src.value as Obj;
      if (doc.apiVersion !== 'openslo/v1') {
        this.problem(src, ['apiVersion'], `unsupported OpenSLO version "${String(doc.apiVersion)}" (expected openslo/v1)`);
        continue;
      }
      const kind = String(doc.kind);
      if (!KINDS.has(kind)) {
        this.problem(src, ['kind'], `unsupported OpenSLO kind "${kind}"`);
        continue;
      }
      const name = isObj(doc.metadata) ? doc.metadata.name : undefined;
      if (typeof name !== 'string' || !name) {
        this.problem(src, ['metadata', 'name'], 'metadata.name is required');
        continue;
      }
      let m = this.byKind.get(kind);
      if (!m) this.byKind.set(kind, (m = new Map()));
      if (m.has(name)) this.problem(src, ['metadata', 'name'], `duplicate ${kind} "${name}"`);
      m.set(name, { src, doc });
    }
  }

  problem(src: SourceDoc, path: (string | number)[], message: string) {
    this.problems.push({ file: src.file, line: src.lineOf(path), path, message });
  }

  entries(kind: string): Entry[] {
    return [...(this.byKind.get(kind)?.values() ?? [])];
  }

  /** An inline object (with `spec`) or a `<kind>Ref` / string name resolved to its document. */
  resolve(kind: string, value: unknown, src: SourceDoc, path: (string | number)[], refKey: string): { doc: Obj; src: SourceDoc; path: (string | number)[] } | undefined {
    const name = typeof value === 'string' ? value : isObj(value) && typeof value[refKey] === 'string' ? (value[refKey] as string) : undefined;
    if (name !== undefined) {
      const found = this.byKind.get(kind)?.get(name);
      if (!found) this.problem(src, path, `${kind} "${name}" not found`);
      return found && { doc: found.doc, src: found.src, path: [] };
    }
    if (isObj(value) && isObj(value.spec)) return { doc: value, src, path };
    this.problem(src, path, `expected a ${kind} or a ${refKey}`);
    return undefined;
  }

  sli(sloSrc: SourceDoc, spec: Obj, objective: Obj | undefined): Obj | undefined {
    const ref = spec.indicator ?? spec.indicatorRef;
    const found = this.resolve('SLI', spec.indicatorRef ?? ref, sloSrc, spec.indicator ? ['spec', 'indicator'] : ['spec', 'indicatorRef'], 'indicatorRef');
    if (!found) return undefined;
    const { doc, src, path } = found;
    const s = doc.spec as Obj;
    const source = (node: unknown, at: (string | number)[]): { type: string; spec: Obj } | undefined => {
      const ms = isObj(node) && isObj(node.metricSource) ? node.metricSource : undefined;
      if (!ms || typeof ms.type !== 'string' || !isObj(ms.spec)) {
        this.problem(src, [...path, ...at], 'expected metricSource with type and spec');
        return undefined;
      }
      return { type: ms.type, spec: ms.spec };
    };
    if (isObj(s.ratioMetric)) {
      const r = s.ratioMetric;
      const goodOrBad = r.good !== undefined ? 'good' : 'bad';
      const num = source(r[goodOrBad], ['spec', 'ratioMetric', goodOrBad]);
      const total = source(r.total, ['spec', 'ratioMetric', 'total']);
      if (!num || !total) return undefined;
      if (num.type !== total.type) {
        this.problem(src, [...path, 'spec', 'ratioMetric'], 'good/bad and total must use the same metricSource type');
        return undefined;
      }
      switch (total.type) {
        case 'burnrate.spans':
          if (goodOrBad !== 'bad') {
            this.problem(src, [...path, 'spec', 'ratioMetric', 'good'], 'burnrate.spans ratios give `bad` ({statusError, httpStatusAtLeast}) and `total` (the span selector)');
            return undefined;
          }
          return { kind: 'availability', ...total.spec, bad: num.spec };
        case 'burnrate.metric':
          return { kind: 'metric-ratio', [goodOrBad]: num.spec, total: total.spec };
        case 'burnrate.sql':
          if (goodOrBad !== 'good') {
            this.problem(src, [...path, 'spec', 'ratioMetric', 'bad'], 'burnrate.sql ratios give `good` and `total` expressions');
            return undefined;
          }
          return { kind: 'custom', table: total.spec.table, good: num.spec.expression, total: total.spec.expression, ...(total.spec.where !== undefined ? { where: total.spec.where } : {}) };
        default:
          this.problem(src, [...path, 'spec', 'ratioMetric', 'total', 'metricSource', 'type'], `metricSource type "${total.type}" is not supported (burnrate.spans, burnrate.metric, burnrate.sql)`);
          return undefined;
      }
    }
    if (isObj(s.thresholdMetric)) {
      const m = source(s.thresholdMetric, ['spec', 'thresholdMetric']);
      if (!m) return undefined;
      if (!objective || (objective.op !== 'lte' && objective.op !== 'lt') || objective.value === undefined) {
        this.problem(sloSrc, ['spec', 'objectives', 0], 'a thresholdMetric objective needs op: lte and a value');
        return undefined;
      }
      if (m.type === 'burnrate.spans') return { kind: 'latency', ...m.spec, threshold: `${String(objective.value)}ms` };
      if (m.type === 'burnrate.histogram') return { kind: 'metric-latency', ...m.spec, threshold: objective.value };
      this.problem(src, [...path, 'spec', 'thresholdMetric', 'metricSource', 'type'], `metricSource type "${m.type}" is not supported (burnrate.spans, burnrate.histogram)`);
      return undefined;
    }
    this.problem(src, [...path, 'spec'], 'an SLI needs ratioMetric or thresholdMetric');
    return undefined;
  }

  alerting(sloSrc: SourceDoc, policies: unknown): Obj {
    const tiers: Obj[] = [];
    const notify: { page: unknown[]; ticket: unknown[] } = { page: [], ticket: [] };
    let noData = false;
    if (!Array.isArray(policies)) return {};
    policies.forEach((p, i) => {
      const policy = this.resolve('AlertPolicy', p, sloSrc, ['spec', 'alertPolicies', i], 'alertPolicyRef');
      if (!policy) return;
      const spec = policy.doc.spec as Obj;
      if (spec.alertWhenNoData === true) noData = true;
      const severities = new Set<'page' | 'ticket'>();
      (Array.isArray(spec.conditions) ? spec.conditions : []).forEach((c, j) => {
        const cond = this.resolve('AlertCondition', c, policy.src, [...policy.path, 'spec', 'conditions', j], 'conditionRef');
        if (!cond) return;
        const cs = cond.doc.spec as Obj;
        const at = [...cond.path, 'spec'];
        const severity = String(cs.severity ?? '').toLowerCase();
        const sev = PAGE_SEVERITIES.has(severity) ? 'page' : TICKET_SEVERITIES.has(severity) ? 'ticket' : undefined;
        if (!sev) return this.problem(cond.src, [...at, 'severity'], `severity "${String(cs.severity)}" must be one of page/critical/high (page) or ticket/warning/medium/low/info (ticket)`);
        const k = isObj(cs.condition) ? cs.condition : {};
        if (k.kind !== 'burnrate') return this.problem(cond.src, [...at, 'condition', 'kind'], 'only burnrate conditions are supported');
        const long = parseDuration(String(k.lookbackWindow ?? ''));
        if (!long) return this.problem(cond.src, [...at, 'condition', 'lookbackWindow'], 'lookbackWindow must be a duration such as 1h');
        const annotations = isObj(cond.doc.metadata) && isObj(cond.doc.metadata.annotations) ? cond.doc.metadata.annotations : {};
        const short = annotations['burnrate.dev/short-window'] ?? formatDuration(Math.max(60, Math.round(long / 12 / 60) * 60));
        severities.add(sev);
        tiers.push({ severity: sev, long: formatDuration(long), short, factor: k.threshold });
      });
      (Array.isArray(spec.notificationTargets) ? spec.notificationTargets : []).forEach((t, j) => {
        const target = this.resolve('AlertNotificationTarget', t, policy.src, [...policy.path, 'spec', 'notificationTargets', j], 'targetRef');
        if (!target) return;
        const ts = target.doc.spec as Obj;
        const annotations = isObj(target.doc.metadata) && isObj(target.doc.metadata.annotations) ? target.doc.metadata.annotations : {};
        const entry = { type: ts.target, ...(annotations['burnrate.dev/env'] ? { env: annotations['burnrate.dev/env'] } : {}), ...(annotations['burnrate.dev/secret-env'] ? { secretEnv: annotations['burnrate.dev/secret-env'] } : {}) };
        for (const sev of severities) notify[sev].push(entry);
      });
    });
    return {
      ...(tiers.length ? { tiers } : {}),
      ...(noData ? { noData: { alert: true } } : {}),
      ...(notify.page.length || notify.ticket.length ? { notify: { ...(notify.page.length ? { page: notify.page } : {}), ...(notify.ticket.length ? { ticket: notify.ticket } : {}) } } : {}),
    };
  }

  slo({ src, doc }: Entry): Slo | undefined {
    const meta = doc.metadata as Obj;
    const spec = isObj(doc.spec) ? doc.spec : {};
    const before = this.problems.length;
    if (spec.budgetingMethod !== undefined && spec.budgetingMethod !== 'Occurrences') {
      this.problem(src, ['spec', 'budgetingMethod'], `budgetingMethod "${String(spec.budgetingMethod)}" is not supported (only Occurrences: event-weighted budgets)`);
    }
    const objectives = Array.isArray(spec.objectives) ? spec.objectives : [];
    if (objectives.length !== 1) this.problem(src, ['spec', 'objectives'], 'exactly one objective is supported');
    const objective = isObj(objectives[0]) ? objectives[0] : undefined;
    let percent: string | undefined;
    if (objective?.targetPercent !== undefined) percent = String(objective.targetPercent);
    else if (objective?.target !== undefined) {
      const r = parseDecimal(String(objective.target));
      if (r) percent = toDecimalString(mul(r, rational(100)), 12);
      else this.problem(src, ['spec', 'objectives', 0, 'target'], 'target must be a decimal such as 0.995');
    } else if (objective) this.problem(src, ['spec', 'objectives', 0], 'target or targetPercent is required');
    const windows = Array.isArray(spec.timeWindow) ? spec.timeWindow : [];
    const tw = isObj(windows[0]) ? windows[0] : undefined;
    let period: unknown;
    if (!tw || windows.length !== 1) this.problem(src, ['spec', 'timeWindow'], 'exactly one timeWindow is required');
    else if (tw.isRolling === false || isObj(tw.calendar)) {
      const unit = tw.duration === '1M' ? 'month' : tw.duration === '1w' ? 'week' : undefined;
      if (!unit) this.problem(src, ['spec', 'timeWindow', 0, 'duration'], 'calendar windows must be 1w or 1M');
      const timeZone = isObj(tw.calendar) && typeof tw.calendar.timeZone === 'string' ? tw.calendar.timeZone : 'UTC';
      period = { calendar: unit, timeZone };
    } else period = tw.duration;
    const sli = this.sli(src, spec, objective);
    const alerting = this.alerting(src, spec.alertPolicies);
    if (this.problems.length > before || !sli) return undefined;
    const labels: Record<string, string> = {};
    if (isObj(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) labels[k] = Array.isArray(v) ? v.join(',') : String(v);
    const annotations = isObj(meta.annotations) ? meta.annotations : {};
    const mapped = {
      id: meta.name,
      service: spec.service,
      ...(annotations['burnrate.dev/tenant'] !== undefined ? { tenant: annotations['burnrate.dev/tenant'] } : {}),
      ...(meta.displayName !== undefined ? { name: meta.displayName } : {}),
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      labels,
      objective: percent,
      period,
      sli,
      alerting,
    };
    const parsed = sloSchema.safeParse(mapped);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        this.problem(src, ['spec'], `${issue.message} (at ${formatPath(issue.path as (string | number)[]) || 'the top'} of the burnrate spec mapped from this SLO)`);
      }
      return undefined;
    }
    return toModel(parsed.data, src.file, 'openslo');
  }
}

export function fromOpenSlo(docs: SourceDoc[]): { slos: Slo[]; problems: Problem[] } {
  const mapper = new Mapper(docs);
  const slos = mapper.entries('SLO').flatMap((e) => mapper.slo(e) ?? []);
  return { slos, problems: mapper.problems };
}
