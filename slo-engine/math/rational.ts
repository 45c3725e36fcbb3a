// Exact arithmetic for thresholds. Objectives, budgets and burn factors are rationals of BigInts, so
// "a ratio of exactly 1.44% against 14.4 x 0.1%" compares equal instead of float-artefact greater.

export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

const abs = (x: bigint) => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

export function rational(n: bigint | number, d: bigint | number = 1n): Rational {
  let nn = BigInt(n);
  let dd = BigInt(d);
  if (dd === 0n) throw new Error('rational with zero denominator');
  if (dd < 0n) [nn, dd] = [-nn, -dd];
  const g = gcd(nn, dd) || 1n;
  return { n: nn / g, d: dd / g };
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Parses a plain decimal ("99.95", "14.4", "0.5") exactly; undefined when it is not one. */
export function parseDecimal(text: string): Rational | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const n = BigInt(m[2]! + frac) * (m[1] === '-' ? -1n : 1n);
  return rational(n, 10n ** BigInt(frac.length));
}

/** A JS number as the decimal it prints as (YAML `99.9` → 999/10), never its binary expansion. */
export function fromNumber(value: number): Rational {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  const text = String(value);
  const parsed = parseDecimal(text);
  if (parsed) return parsed;
  // Exponent notation (1e-7): expand through toFixed with enough digits.
  return parseDecimal(value.toFixed(20).replace(/0+$/, '').replace(/\.$/, ''))!;
}

export const add = (a: Rational, b: Rational) => rational(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational) => rational(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational) => rational(a.n * b.n, a.d * b.d);
export function div(a: Rational, b: Rational): Rational {
  if (b.n === 0n) throw new Error('division by zero');
  return rational(a.n * b.d, a.d * b.n);
}
export const compare = (a: Rational, b: Rational): number => {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
};
export const ONE = rational(1n);

/** Nearest double; exact arithmetic stays in BigInt, this is for display and gauges only. */
export function toNumber(r: Rational): number {
  const LIMIT = 2n ** 53n;
  if (abs(r.n) <= LIMIT && r.d <= LIMIT) return Number(r.n) / Number(r.d);
  // Large parts: integer part exactly, fraction at 1e-15.
  const q = r.n / r.d;
  const rem = r.n % r.d;
  return Number(q) + Number((rem * 10n ** 15n) / r.d) / 1e15;
}

/** Decimal text with at most `digits` fractional digits, trailing zeros trimmed ("13.44", "0.933333"). */
export function toDecimalString(r: Rational, digits = 6): string {
  const neg = r.n < 0n;
  const scale = 10n ** BigInt(digits);
  const scaled = (abs(r.n) * scale * 2n + r.d) / (2n * r.d); // round half up
  const int = scaled / scale;
  const frac = (scaled % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return `${neg && scaled !== 0n ? '-' : ''}${int}${frac ? '.' + frac : ''}`;
}
