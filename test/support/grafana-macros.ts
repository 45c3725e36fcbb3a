// Expands a dashboard query the way Grafana and the ClickHouse plugin (grafana-clickhouse-datasource
// v4) do before the SQL reaches ClickHouse, so the tests run exactly what a dashboard would send:
//   1. frontend: $__conditionalAll(cond, $var) -> `1=1` when the variable is All (or empty), else cond;
//   2. frontend: template variables ($var, ${var}, ${var:singlequote}); the plugin formats a
//      multi-value without an explicit format as 'a','b';
//   3. backend (sqlds): $__timeFilter(col), $__dateFilter(col), $__fromTime, $__toTime, $__interval_s.

export const ALL = '$__all';

/** The macros burnrate's dashboards may use: they exist in every plugin version and expand to SQL 18.16 runs. */
export const PORTABLE_MACROS = ['timeFilter', 'fromTime', 'toTime', 'dateFilter', 'interval_s', 'conditionalAll'] as const;

export interface VariableValue {
  /** The selection: one value, several, or ALL. */
  value: string | string[];
  /** What ALL stands for (the variable's options), as Grafana substitutes it without a custom allValue. */
  options?: string[];
}

export interface QueryContext {
  /** Dashboard time range, unix seconds. */
  from: number;
  to: number;
  /** The panel's interval in seconds ($__interval_s). */
  intervalSeconds: number;
  variables: Record<string, VariableValue>;
}

/** Arguments of the call whose '(' is at `open`, split on top-level commas (the plugin's getMacroArgs). */
export function macroArgs(text: string, open: number): { args: string[]; end: number } {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 1) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth === 0) {
      args.push(text.slice(start, i));
      return { args, end: i + 1 };
    }
  }
  throw new Error(`unbalanced parentheses after position ${open} in: ${text}`);
}

function selection(name: string, ctx: QueryContext): string[] | string | undefined {
  const variable = ctx.variables[name];
  if (!variable) return undefined;
  const { value } = variable;
  const isAll = value === ALL || (Array.isArray(value) && value.length === 1 && value[0] === ALL);
  if (isAll) {
    if (!variable.options) throw new Error(`variable ${name} is All but has no options`);
    return variable.options;
  }
  return value;
}

export function applyConditionalAll(sql: string, ctx: QueryContext): string {
  const macro = '$__conditionalAll(';
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const { args, end } = macroArgs(sql, at + macro.length - 1);
    if (args.length !== 2) throw new Error(`$__conditionalAll needs 2 arguments, got ${args.length}: ${sql.slice(at, end)}`);
    const name = /^\$\{?(\w+)\}?$/.exec(args[1]!.trim())?.[1];
    if (!name) throw new Error(`$__conditionalAll's second argument must be a variable: ${args[1]}`);
    const variable = ctx.variables[name];
    if (!variable) throw new Error(`$__conditionalAll refers to unknown variable $${name}`);
    const raw = Array.isArray(variable.value) ? variable.value.join(',') : variable.value;
    const phrase = raw === '' || raw === ALL ? '1=1' : args[0]!;
    sql = sql.slice(0, at) + phrase + sql.slice(end);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

/** Grafana's `singlequote` format: each value in single quotes, `'` escaped as `\'`, joined with commas. */
const singlequote = (value: string | string[]) =>
  (Array.isArray(value) ? value : [value]).map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');

/** The plugin's default format: arrays as 'a','b', single values as they are. */
const pluginDefault = (value: string | string[]) => (Array.isArray(value) ? `'${value.join("','")}'` : value);

// Grafana's template variable syntax: $var, [[var]] / [[var:fmt]], ${var} / ${var:fmt}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

export function applyTemplateVariables(sql: string, ctx: QueryContext): string {
  return sql.replace(VARIABLE, (match, plain: string, bracket: string, bracketFmt: string, braced: string, bracedFmt: string) => {
    const name = plain ?? bracket ?? braced;
    const format = bracketFmt ?? bracedFmt;
    const value = selection(name, ctx);
    if (value === undefined) return match; // not a dashboard variable (e.g. a $__ macro)
    if (format === undefined) return pluginDefault(value);
    if (format === 'singlequote') return singlequote(value);
    throw new Error(`unsupported variable format ${format} in ${match}`);
  });
}

const dateTime = (seconds: number) => `toDateTime(${seconds})`;
const date = (seconds: number) => `toDate('${new Date(seconds * 1000).toISOString().slice(0, 10)}')`;

export function applyBackendMacros(sql: string, ctx: QueryContext): string {
  const withArgs: Record<string, (column: string) => string> = {
    timeFilter: (c) => `${c} >= ${dateTime(ctx.from)} AND ${c} <= ${dateTime(ctx.to)}`,
    dateFilter: (c) => `${c} >= ${date(ctx.from)} AND ${c} <= ${date(ctx.to)}`,
  };
  const plain: Record<string, string> = {
    fromTime: dateTime(ctx.from),
    toTime: dateTime(ctx.to),
    interval_s: String(Math.max(Math.floor(ctx.intervalSeconds), 1)),
  };
  let out = '';
  let i = 0;
  const re = /\$__(\w+)/g;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    const name = m[1]!;
    out += sql.slice(i, m.index);
    if (name in withArgs) {
      const open = m.index + m[0].length;
      if (sql[open] !== '(') throw new Error(`$__${name} needs a column argument`);
      const { args, end } = macroArgs(sql, open);
      if (args.length !== 1) throw new Error(`$__${name} takes one column: ${sql.slice(m.index, end)}`);
      out += withArgs[name]!(args[0]!.trim());
      i = end;
    } else if (name in plain) {
      out += plain[name];
      i = m.index + m[0].length;
    } else {
      throw new Error(`unsupported macro $__${name}`);
    }
    re.lastIndex = i;
  }
  return out + sql.slice(i);
}

/** The SQL ClickHouse receives for a dashboard query. Fails on anything left unexpanded. */
export function expandQuery(sql: string, ctx: QueryContext): string {
  const expanded = applyBackendMacros(applyTemplateVariables(applyConditionalAll(sql, ctx), ctx), ctx);
  if (expanded.includes('$')) throw new Error(`unexpanded placeholder in:\n${expanded}`);
  return expanded;
}

/** Names of the $__macros a query uses. */
export function macrosUsed(sql: string): string[] {
  return [...sql.matchAll(/\$__(\w+)/g)].map((m) => m[1]!);
}
