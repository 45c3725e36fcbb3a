import { escapeStringBody } from '../storage/sql.ts';

// TabSeparated text, the insert format chosen by measurement (README "Performance").
// Plain fields escape backslash, tab, newline, CR and NUL; array elements are quoted literals.

const TSV_SPECIALS = /[\\\t\n\r\0]/;
const TSV_SPECIALS_GLOBAL = /[\\\t\n\r\0]/g;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
const escapeTsvChar = (c: string) => TSV_ESCAPES[c]!;

export function tsvString(value: string): string {
  return TSV_SPECIALS.test(value) ? value.replace(TSV_SPECIALS_GLOBAL, escapeTsvChar) : value;
}

export function tsvStringArray(values: readonly string[]): string {
  if (values.length === 0) return '[]';
  let out = "['" + escapeStringBody(values[0]!);
  for (let i = 1; i < values.length; i++) out += "','" + escapeStringBody(values[i]!);
  return out + "']";
}

export function tsvNumberArray(values: readonly (number | bigint)[]): string {
  return '[' + values.join(',') + ']';
}
