// Typed reads of OTLP/JSON fields. Per the protobuf JSON mapping, a missing field and `null` both mean
// "default value". A present value of the wrong type throws FieldError; each decoder decides whether
// that rejects one item (partial success) or the whole payload.

/** A field of an OTLP/JSON object has the wrong type or an unparseable value. */
export class FieldError extends Error {
  override name = 'FieldError';
}

export type JsonObject = Record<string, unknown>;

const INT_TEXT = /^-?\d+$/;
const UINT_TEXT = /^\d+$/;
const HEX_TEXT = /^[0-9a-fA-F]*$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonObject(parent: JsonObject, field: string): JsonObject | undefined {
  const value = parent[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new FieldError(`${field} must be an object`);
  return value;
}

export function jsonArray(parent: JsonObject, field: string): unknown[] {
  const value = parent[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FieldError(`${field} must be an array`);
  return value;
}

export function jsonString(parent: JsonObject, field: string): string {
  const value = parent[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new FieldError(`${field} must be a string`);
  return value;
}

/** uint32 / enum / fixed32: a JSON number or a decimal string. */
export function jsonUint32(parent: JsonObject, field: string): number {
  const value = parent[field];
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && UINT_TEXT.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new FieldError(`${field} must be a uint32`);
  }
  return n;
}

/** An enum: an integer JSON number (OTLP/JSON does not use enum names). Range checks are the caller's. */
export function jsonEnum(parent: JsonObject, field: string): number {
  const value = parent[field];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new FieldError(`${field} must be an integer`);
  return value;
}

/** uint64 / fixed64 (timestamps): a decimal string (exact, via BigInt) or a JSON number. */
export function jsonUint64(parent: JsonObject, field: string): bigint {
  const value = parent[field];
  if (value === undefined || value === null) return 0n;
  const n = toBigInt(value);
  if (n === undefined || n < 0n || n > UINT64_MAX) throw new FieldError(`${field} must be a uint64`);
  return n;
}

/** int64 as decimal text. A JSON number beyond 2^53 already lost precision in JSON.parse: taken as is. */
export function int64Text(value: unknown, field: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  const n = toBigInt(value);
  if (n === undefined || n < INT64_MIN || n > INT64_MAX) throw new FieldError(`${field} must be an int64`);
  return n.toString();
}

/** An id (trace/span id): hex, case-insensitive, returned lowercase. */
export function jsonHexId(parent: JsonObject, field: string): string {
  const value = jsonString(parent, field);
  if (!HEX_TEXT.test(value)) throw new FieldError(`${field} is not hex`);
  return value.toLowerCase();
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'string') return INT_TEXT.test(value) ? BigInt(value) : undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return undefined;
}
