// JSON for SLO models: BigInts survive a round trip (stored specs in slo_definitions), keys sorted
// for hashing.

const BIGINT = '$bigint';

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { [BIGINT]: v.toString() } : v));
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_k, v) => (v && typeof v === 'object' && typeof v[BIGINT] === 'string' ? BigInt(v[BIGINT]) : v)) as T;
}

export function stableJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'bigint') return { [BIGINT]: v.toString() };
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, norm((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(norm(value));
}
