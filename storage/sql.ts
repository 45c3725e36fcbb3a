// The one place where values become SQL text. ClickHouse 18.16 has no server-side
// query parameters, so every literal and identifier goes through these helpers.

const LITERAL_SPECIALS = /[\\'\0\n\r\t\b\f]/;
const LITERAL_SPECIALS_GLOBAL = /[\\'\0\n\r\t\b\f]/g;
const LITERAL_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};
const escapeLiteralChar = (c: string) => LITERAL_ESCAPES[c]!;

/** The body of a single-quoted ClickHouse string literal (without the quotes). */
export function escapeStringBody(value: string): string {
  return LITERAL_SPECIALS.test(value) ? value.replace(LITERAL_SPECIALS_GLOBAL, escapeLiteralChar) : value;
}

/** A ClickHouse string literal: `'...'` with every special character escaped. */
export function literal(value: string): string {
  return `'${escapeStringBody(value)}'`;
}

/** A backquoted identifier (database, table or column name). */
export function identifier(name: string): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  return '`' + name.replace(/[\\`]/g, (c) => '\\' + c).replace(/\0/g, '\\0') + '`';
}

/** A numeric literal; refuses NaN, infinities and non-integers where an integer is required. */
export function numberLiteral(value: number | bigint, opts: { integer?: boolean } = {}): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  if (opts.integer && !Number.isInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
}

/** Array(String) literal. */
export function stringArrayLiteral(values: readonly string[]): string {
  return '[' + values.map(literal).join(',') + ']';
}

export type SqlValue = string | number | bigint | readonly string[] | SqlFragment;

/** Pre-rendered SQL that the template tag inserts verbatim (identifiers, nested fragments). */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export const raw = (text: string): SqlFragment => new SqlFragment(text);
export const ident = (name: string): SqlFragment => new SqlFragment(identifier(name));

function render(value: SqlValue): string {
  if (value instanceof SqlFragment) return value.text;
  if (typeof value === 'string') return literal(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberLiteral(value);
  if (Array.isArray(value)) return stringArrayLiteral(value);
  throw new Error(`unsupported SQL value: ${typeof value}`);
}

/**
 * Tagged template: strings become literals, numbers are checked, fragments are inlined.
 * `undefined` is a programming error and fails loudly instead of rendering "undefined".
 */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlFragment {
  let out = strings[0]!;
  values.forEach((value, i) => {
    if (value === undefined || value === null) throw new Error(`missing SQL value at position ${i}`);
    out += render(value) + strings[i + 1]!;
  });
  return new SqlFragment(out);
}

/** Joins fragments with a separator (e.g. ' AND '). */
export function joinSql(parts: readonly SqlFragment[], separator: string): SqlFragment {
  return new SqlFragment(parts.map((p) => p.text).join(separator));
}
