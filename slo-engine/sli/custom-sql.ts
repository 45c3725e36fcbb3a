// Custom SLI expressions for power users: `good`, `total` and an optional `where` over one table
// from an allowlist. The text is tokenised and checked against allowlists (columns of that table,
// functions, keywords, operators), then rendered again from the tokens (strings through literal()),
// so what reaches ClickHouse is never the user's text spliced in.
import { literal } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';

export interface CustomTable {
  /** DateTime column bucketed per minute. */
  timeColumn: string;
  columns: readonly string[];
}

const SPAN_COLUMNS = [
  'tenant', 'timestamp', 'start_time_ns', 'end_time_ns', 'duration_ns', 'trace_id', 'span_id', 'parent_span_id', 'trace_state',
  'flags', 'name', 'kind', 'status_code', 'status_message', 'service_name', 'service_namespace', 'deployment_environment',
  'http_route', 'http_status_code', 'attributes.key', 'attributes.type', 'attributes.value', 'resource_attributes.key',
  'resource_attributes.type', 'resource_attributes.value', 'scope_name', 'scope_version',
] as const;

// Metric points (storage/migrations/metrics.ts), one row per point. A custom expression sees raw
// points: right for DELTA sums and histograms (sum the values), not for CUMULATIVE ones (running
// totals; use the metric-ratio / metric-latency kinds, which take per-series differences). Filter
// staleness markers with `bitAnd(flags, 1) = 0`.
const METRIC_COLUMNS = [
  'tenant', 'timestamp', 'start_time_ns', 'time_ns', 'service_name', 'service_namespace', 'deployment_environment', 'metric_name',
  'metric_unit', 'attributes.key', 'attributes.type', 'attributes.value', 'flags', 'aggregation_temporality', 'resource_attributes.key',
  'resource_attributes.type', 'resource_attributes.value', 'scope_name', 'scope_version',
] as const;

/** Tables a custom SLI may read. Other modules' tables join this list once their schema is settled. */
export const CUSTOM_TABLES: Record<string, CustomTable> = {
  [TABLES.spans]: { timeColumn: 'timestamp', columns: SPAN_COLUMNS },
  [TABLES.spanRed1m]: {
    timeColumn: 'minute',
    columns: ['tenant', 'minute', 'service_name', 'span_name', 'kind', 'requests', 'errors', 'http_5xx', 'duration_sum_ns'],
  },
  [TABLES.metricsSum]: { timeColumn: 'timestamp', columns: [...METRIC_COLUMNS, 'is_monotonic', 'value_type', 'value_double', 'value_int'] },
  [TABLES.metricsHistogram]: {
    timeColumn: 'timestamp',
    columns: [
      ...METRIC_COLUMNS, 'count', 'sum', 'has_sum', 'min', 'has_min', 'max', 'has_max', 'bucket_counts', 'explicit_bounds',
      'http_route', 'http_method', 'http_status_code',
    ],
  },
};

const FUNCTIONS = new Set(
  [
    'count', 'countIf', 'sum', 'sumIf', 'min', 'max', 'minIf', 'maxIf', 'countMerge', 'sumMerge', 'if', 'multiIf',
    'and', 'or', 'not', 'has', 'hasAny', 'indexOf', 'arrayElement', 'length', 'empty', 'notEmpty', 'lower', 'upper',
    'like', 'notLike', 'match', 'position', 'positionCaseInsensitive', 'endsWith', 'substring', 'toUInt8', 'toUInt16',
    'toUInt32', 'toUInt64', 'toInt64', 'toFloat64', 'toString', 'abs', 'intDiv', 'modulo', 'least', 'greatest',
    'coalesce', 'ifNull', 'equals', 'notEquals', 'less', 'greater', 'lessOrEquals', 'greaterOrEquals', 'in', 'notIn',
    'bitAnd', 'arraySum', 'arraySlice', 'round',
  ].map((f) => f.toLowerCase()),
);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'like', 'is', 'null', 'between', 'case', 'when', 'then', 'else', 'end']);
const OPERATORS = ['<=', '>=', '!=', '<>', '==', '=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',', '[', ']'];

type Token = { type: 'ident' | 'number' | 'string' | 'op'; text: string };

export class CustomSqlError extends Error {}

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const s = expression;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (s.startsWith('--', i) || s.startsWith('/*', i) || c === '#') throw new CustomSqlError('comments are not allowed');
    if (c === ';') throw new CustomSqlError('";" is not allowed');
    if (c === '`' || c === '"') throw new CustomSqlError('quoted identifiers are not allowed');
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= s.length) throw new CustomSqlError('unterminated string literal');
        const ch = s[i]!;
        if (ch === '\\') {
          const next = s[i + 1];
          if (next === undefined) throw new CustomSqlError('unterminated string literal');
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next === '0' ? '\0' : next;
          i += 2;
        } else if (ch === "'") {
          if (s[i + 1] === "'") {
            value += "'";
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += ch;
          i++;
        }
      }
      tokens.push({ type: 'string', text: value });
      continue;
    }
    const num = /^\d+(\.\d+)?/.exec(s.slice(i));
    if (num) {
      tokens.push({ type: 'number', text: num[0] });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?/.exec(s.slice(i));
    if (id) {
      tokens.push({ type: 'ident', text: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => s.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', text: op });
      i += op.length;
      continue;
    }
    throw new CustomSqlError(`character "${c}" is not allowed`);
  }
  return tokens;
}

/**
 * Validates an expression for `table` and returns its canonical SQL. Throws CustomSqlError with a
 * human reason: unknown table, column or function, forbidden keyword (SELECT, FROM, SETTINGS, INTO,
 * FORMAT, ...), `;`, comments, quoted identifiers, unbalanced parentheses.
 */
export function renderCustomExpression(expression: string, table: string): string {
  const spec = CUSTOM_TABLES[table];
  if (!spec) throw new CustomSqlError(`table "${table}" is not one of ${Object.keys(CUSTOM_TABLES).join(', ')}`);
  if (expression.length > 2000) throw new CustomSqlError('expression longer than 2000 characters');
  const tokens = tokenize(expression);
  if (tokens.length === 0) throw new CustomSqlError('empty expression');
  const columns = new Set(spec.columns);
  let depth = 0;
  const out: string[] = [];
  tokens.forEach((t, i) => {
    if (t.type === 'string') out.push(literal(t.text));
    else if (t.type === 'number') out.push(t.text);
    else if (t.type === 'op') {
      if (t.text === '(' || t.text === '[') depth++;
      if (t.text === ')' || t.text === ']') depth--;
      if (depth < 0) throw new CustomSqlError('unbalanced parentheses');
      out.push(t.text);
    } else {
      const lower = t.text.toLowerCase();
      const isCall = tokens[i + 1]?.text === '(';
      if (isCall) {
        if (!FUNCTIONS.has(lower)) throw new CustomSqlError(`function "${t.text}" is not allowed`);
        out.push(t.text);
      } else if (columns.has(t.text)) out.push(t.text);
      else if (KEYWORDS.has(lower)) out.push(lower.toUpperCase());
      else throw new CustomSqlError(`"${t.text}" is not a column of ${table} or an allowed keyword`);
    }
  });
  if (depth !== 0) throw new CustomSqlError('unbalanced parentheses');
  return out.join(' ');
}
