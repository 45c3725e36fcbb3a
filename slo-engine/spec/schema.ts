// The burnrate SLO spec (YAML), as a zod schema. Strict objects: a misspelt key is a problem, not
// a silently ignored default. Semantic checks live here too, so every problem has a path.
import { z } from 'zod';
import { parseDuration } from '../math/duration.ts';
import { parseDecimal, compare, rational } from '../math/rational.ts';
import { isValidTimeZone } from '../math/calendar.ts';
import { CUSTOM_TABLES, CustomSqlError, renderCustomExpression } from '../sli/custom-sql.ts';
import { SPAN_KINDS } from '../model.ts';
import { notifyEnvProblem } from './notify-env.ts';

const text = (what: string, max = 200) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `${what} must not contain control characters`);

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const stringMap = z.record(z.string().min(1), scalar).default({});

export const durationText = z.string().refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 30s, 5m, 1h, 7d');
/** A duration that may be zero ("0s"). */
export const parseDelay = (s: string): number | undefined => (/^0[smhdw]?$/.test(s.trim()) ? 0 : parseDuration(s));
const delayText = z.string().refine((s) => parseDelay(s) !== undefined, 'must be a duration such as 0s, 30s, 1m');
const minutes = durationText.refine((s) => (parseDuration(s) ?? 0) % 60 === 0, 'must be a whole number of minutes');

/** Latency thresholds: "300ms", "1.5s", "250us". */
export function parseLatencyNs(value: string): bigint | undefined {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)$/.exec(value.trim());
  if (!m) return undefined;
  const scale = { ns: 1n, us: 1000n, µs: 1000n, ms: 1_000_000n, s: 1_000_000_000n }[m[2] as 'ns'];
  const r = parseDecimal(m[1]!)!;
  const ns = r.n * scale;
  return ns % r.d === 0n && ns > 0n ? ns / r.d : undefined;
}

/** A decimal given as a YAML number or a string ("99.9", "99.9%"). */
const decimal = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const t = typeof v === 'number' ? String(v) : v.trim().replace(/%$/, '');
  if (!parseDecimal(t) || /e/i.test(t)) {
    ctx.addIssue({ code: 'custom', message: `must be a decimal number, got "${v}"` });
    return z.NEVER;
  }
  return t;
});

const objective = decimal.refine((t) => {
  const r = parseDecimal(t)!;
  return compare(r, rational(0)) > 0 && compare(r, rational(100)) < 0;
}, 'objective must be a percentage above 0 and below 100 (100% leaves no error budget)');

const spanSelector = {
  // Moved to the SLO's top level (it applies to every SLI kind); a clear error rather than a silent change.
  tenant: z.unknown().refine((v) => v === undefined, 'tenant moved: set `tenant` at the top level of the SLO (it applies to every SLI kind)').optional(),
  spanKind: z.enum([...(Object.keys(SPAN_KINDS) as [string, ...string[]]), 'any']).default('server'),
  spanNames: z.array(z.string()).default([]),
  routes: z.array(z.string()).default([]),
  attributes: stringMap,
  resourceAttributes: stringMap,
};

const metricSelector = z.strictObject({ metric: text('metric'), attributes: stringMap });

const sliSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('availability'),
    ...spanSelector,
    bad: z
      .strictObject({
        statusError: z.boolean().default(true),
        httpStatusAtLeast: z.number().int().min(100).max(599).nullable().default(500),
      })
      .default({ statusError: true, httpStatusAtLeast: 500 })
      .refine((b) => b.statusError || b.httpStatusAtLeast !== null, 'bad needs statusError or httpStatusAtLeast'),
  }),
  z.strictObject({
    kind: z.literal('latency'),
    ...spanSelector,
    threshold: z.string().refine((s) => parseLatencyNs(s) !== undefined, 'threshold must be a duration such as 300ms, 1.5s or 800us'),
  }),
  z
    .strictObject({ kind: z.literal('metric-ratio'), good: metricSelector.optional(), bad: metricSelector.optional(), total: metricSelector })
    .refine((s) => (s.good === undefined) !== (s.bad === undefined), 'give exactly one of good or bad'),
  z.strictObject({ kind: z.literal('metric-latency'), metric: text('metric'), attributes: stringMap, threshold: decimal }),
  z
    .strictObject({ kind: z.literal('custom'), table: z.string(), good: z.string(), total: z.string(), where: z.string().default('1') })
    .superRefine((s, ctx) => {
      if (!CUSTOM_TABLES[s.table]) {
        ctx.addIssue({ code: 'custom', path: ['table'], message: `table must be one of ${Object.keys(CUSTOM_TABLES).join(', ')}` });
        return;
      }
      for (const key of ['good', 'total', 'where'] as const) {
        try {
          renderCustomExpression(s[key], s.table);
        } catch (err) {
          if (!(err instanceof CustomSqlError)) throw err;
          ctx.addIssue({ code: 'custom', path: [key], message: err.message });
        }
      }
    }),
]);

const targetName = z.enum(['slack', 'webhook', 'pagerduty']);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
export const targetSchema = z.union([
  targetName,
  z.strictObject({ type: targetName, env: envName.optional(), secretEnv: envName.optional() }).superRefine((t, ctx) => {
    if (t.secretEnv !== undefined && t.type !== 'webhook') ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'secretEnv is for webhook targets only' });
    for (const setting of ['env', 'secretEnv'] as const) {
      const name = t[setting];
      const problem = name === undefined ? undefined : notifyEnvProblem(name, t.type, setting);
      if (problem) ctx.addIssue({ code: 'custom', path: [setting], message: problem });
    }
  }),
]);

const tier = z
  .strictObject({
    severity: z.enum(['page', 'ticket']),
    long: minutes,
    short: minutes,
    budgetConsumed: decimal.optional(),
    factor: decimal.optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.budgetConsumed === undefined) === (t.factor === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of budgetConsumed (percent of the budget) or factor' });
    }
    const long = parseDuration(t.long);
    const short = parseDuration(t.short);
    if (long !== undefined && short !== undefined && short >= long) ctx.addIssue({ code: 'custom', path: ['short'], message: 'short window must be shorter than the long window' });
    for (const key of ['budgetConsumed', 'factor'] as const) {
      const v = t[key];
      if (v !== undefined && compare(parseDecimal(v)!, rational(0)) <= 0) ctx.addIssue({ code: 'custom', path: [key], message: 'must be above 0' });
    }
  });

const instant = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s)), 'must be an ISO 8601 time such as 2026-03-01T02:00:00Z');

export const sloSchema = z
  .strictObject({
    apiVersion: z.literal('burnrate/v1').optional(),
    kind: z.literal('SLO').optional(),
    id: text('id'),
    service: text('service'),
    /** The tenant whose rows are counted (absent: the default tenant, rows sent without one). */
    tenant: z.string().max(200, 'tenant must be at most 200 characters').optional(),
    name: text('name').optional(),
    description: z.string().max(2000).default(''),
    labels: stringMap,
    objective,
    period: z.union([
      z.string().refine((s) => (parseDuration(s) ?? 0) >= 3600 && (parseDuration(s) ?? 0) % 60 === 0, 'a rolling period is a duration of whole minutes, at least 1h (7d, 28d, 30d); a calendar period is { calendar: week|month, timeZone }'),
      z.strictObject({
        calendar: z.enum(['week', 'month']),
        timeZone: z.string().default('UTC').refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
      }),
    ]),
    sli: sliSchema,
    alerting: z
      .strictObject({
        tiers: z.array(tier).min(1).optional(),
        minEvents: z.number().int().min(0).default(10),
        ingestDelay: delayText.default('1m'),
        noData: z
          .strictObject({ alert: z.boolean().default(false), after: durationText.default('10m'), severity: z.enum(['page', 'ticket']).default('ticket') })
          .default({ alert: false, after: '10m', severity: 'ticket' }),
        notify: z.strictObject({ page: z.array(targetSchema).optional(), ticket: z.array(targetSchema).optional() }).optional(),
        repeatInterval: z
          .string()
          .refine((s) => s.trim() === 'off' || (parseDuration(s) ?? 0) >= 600, 'must be off or a duration of at least 10m such as 4h')
          .default('off'),
        inhibitTicketAfterPage: z.boolean().default(true),
      })
      .default({ minEvents: 10, ingestDelay: '1m', noData: { alert: false, after: '10m', severity: 'ticket' }, repeatInterval: 'off', inhibitTicketAfterPage: true }),
    maintenance: z
      .array(
        z
          .strictObject({ start: instant, end: instant, reason: z.string().default('') })
          .refine((m) => Date.parse(m.end) > Date.parse(m.start), { message: 'end must be after start', path: ['end'] }),
      )
      .default([]),
  });

export type SloDocument = z.output<typeof sloSchema>;
export type TargetDocument = z.output<typeof targetSchema>;
