import { Buffer } from 'node:buffer';
import type { AttributeColumns, DecodeLimits } from '../rows/types.ts';
import { FieldError, int64Text, isObject, jsonArray, jsonString, type JsonObject } from './json-fields.ts';
import { enterMessage, leaveMessage, skipField } from './proto-field.ts';
import type { Reader } from './wire.ts';

// AnyValue / KeyValue decoding shared by traces, metrics and logs, from protobuf bytes and from
// parsed OTLP/JSON.
//
// Attribute value text form (one column entry per attribute):
//   string  the string as is
//   int     decimal, full int64 range (never through a JS number)
//   double  String(x): '1.5', '3', 'NaN', 'Infinity', '-Infinity'
//   bool    'true' / 'false'
//   bytes   base64
//   array   its OTLP/JSON AnyValue encoding: {"arrayValue":{"values":[...]}}
//   kvlist  {"kvlistValue":{"values":[{"key":"k","value":{...}}]}}
//   empty   '' (AnyValue with no value set)
// Inside array/kvlist (and in KeyValue lists rendered as JSON text) values use the canonical OTLP/JSON
// encoding: ints as decimal strings, doubles as JSON numbers or "NaN" / "Infinity" / "-Infinity",
// bytes as base64, an empty value as {}. JSON input is re-encoded, so protobuf and JSON give the same text.
//
// Limits (DecodeLimits):
//   maxAnyValueDepth        the outermost array/kvlist is level 1; an array/kvlist at a deeper level is
//                           replaced by {} without being read (scalars inside the deepest kept level stay)
//   maxAttributesPerList    attributes past it are not kept; the functions report them as dropped
//   maxAttributeKeyBytes    an attribute whose key (as sent) is longer is not kept either, and is
//                           reported as dropped; it takes no place in the list (keys inside
//                           kvlist values are part of the value text, bounded by the next limit)
//   maxAttributeValueBytes  a value text longer than this many UTF-8 bytes is cut on a character
//                           boundary; string and bytes values inside array/kvlist/JSON lists are cut the
//                           same way (bytes before base64, so the base64 stays valid and within the limit)

/** AnyValue kinds as stored in `AttributeColumns.types`. */
export type AnyValueType = 'string' | 'int' | 'double' | 'bool' | 'bytes' | 'array' | 'kvlist' | 'empty';

/** One AnyValue as stored: its kind and its text form. */
export interface AnyValueText {
  type: AnyValueType;
  text: string;
}

/** Empty attribute columns. */
export function newAttributeColumns(): AttributeColumns {
  return { keys: [], types: [], values: [] };
}

// ---------------------------------------------------------------------------------------------
// Protobuf. Every read* function starts with the reader at the field's length prefix.

// Reused by appendAttributeProto: the hot path allocates no result object per attribute.
const scratch: AnyValueText = { type: 'empty', text: '' };

/**
 * Reads one `KeyValue` (an occurrence of a `repeated KeyValue attributes` field) into `columns`.
 * Returns 1 when the attribute was not kept (the list is full, or its key is over the limit: add it
 * to the dropped count), else 0.
 */
export function appendAttributeProto(reader: Reader, columns: AttributeColumns, limits: DecodeLimits): number {
  if (columns.keys.length >= limits.maxAttributesPerList) {
    reader.pos = reader.lengthEnd();
    return 1;
  }
  const outerEnd = enterMessage(reader);
  let key: string | undefined = '';
  scratch.type = 'empty';
  scratch.text = '';
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) key = reader.boundedString(limits.maxAttributeKeyBytes); // 1 key
    else if (tag === 18) readAnyValueProto(reader, limits, scratch); // 2 value
    else skipField(reader, tag, 'KeyValue', 2);
  }
  leaveMessage(reader, outerEnd);
  if (key === undefined) return 1;
  columns.keys.push(key);
  columns.types.push(scratch.type);
  columns.values.push(scratch.text);
  return 0;
}

/** Reads one `AnyValue` message into its kind and text form (into `out` when given, to reuse it). */
export function readAnyValueProto(
  reader: Reader,
  limits: DecodeLimits,
  out: AnyValueText = { type: 'empty', text: '' },
): AnyValueText {
  const outerEnd = enterMessage(reader);
  const maxBytes = limits.maxAttributeValueBytes;
  out.type = 'empty';
  out.text = '';
  // Oneof: the last value on the wire wins, as in protobuf.
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // 1 string_value
        out.type = 'string';
        out.text = truncateUtf8(reader.string(), maxBytes);
        break;
      case 16: // 2 bool_value
        out.type = 'bool';
        out.text = reader.bool() ? 'true' : 'false';
        break;
      case 24: // 3 int_value
        out.type = 'int';
        out.text = readInt64Text(reader);
        break;
      case 33: // 4 double_value
        out.type = 'double';
        out.text = String(reader.double());
        break;
      case 42: // 5 array_value
        if (cutTopLevelContainer(reader, limits, out)) break;
        out.type = 'array';
        out.text = truncateUtf8(`{"arrayValue":${arrayValueJsonProto(reader, 1, limits)}}`, maxBytes);
        break;
      case 50: // 6 kvlist_value
        if (cutTopLevelContainer(reader, limits, out)) break;
        out.type = 'kvlist';
        out.text = truncateUtf8(`{"kvlistValue":${kvlistValueJsonProto(reader, 1, limits)}}`, maxBytes);
        break;
      case 58: // 7 bytes_value
        out.type = 'bytes';
        out.text = base64(reader.bytes(), maxBytes);
        break;
      default:
        skipField(reader, tag, 'AnyValue', 7);
    }
  }
  leaveMessage(reader, outerEnd);
  return out;
}

/** Only with maxAnyValueDepth < 1 can a top-level array/kvlist be cut: it becomes an empty value. */
function cutTopLevelContainer(reader: Reader, limits: DecodeLimits, out: AnyValueText): boolean {
  if (limits.maxAnyValueDepth >= 1) return false;
  reader.pos = reader.lengthEnd();
  out.type = 'empty';
  out.text = '';
  return true;
}

/** A `repeated KeyValue` list rendered as OTLP/JSON text (event, link and scope attributes). */
export class KeyValueJsonList {
  /** Attributes not kept because the list was full. */
  dropped = 0;
  private count = 0;
  private body = '';

  constructor(private readonly limits: DecodeLimits) {}

  /** Adds one `KeyValue` occurrence read from protobuf. */
  addProto(reader: Reader): void {
    if (this.count >= this.limits.maxAttributesPerList) {
      reader.pos = reader.lengthEnd();
      this.dropped++;
      return;
    }
    const json = keyValueJsonProto(reader, 1, this.limits, this.limits.maxAttributeKeyBytes);
    if (json === undefined) this.dropped++;
    else this.append(json);
  }

  /** Adds every KeyValue of a parsed OTLP/JSON attribute array (FieldError on wrong types). */
  addJson(list: unknown[]): void {
    for (const kv of list) {
      if (this.count >= this.limits.maxAttributesPerList) this.dropped++;
      else if (keyTooLong(keyValueParts(kv).key, this.limits)) this.dropped++;
      else this.append(keyValueJson(kv, 1, this.limits));
    }
  }

  /** `[{"key":"a","value":{"intValue":"1"}}]`, or '' when empty. */
  json(): string {
    return this.count === 0 ? '' : `[${this.body}]`;
  }

  private append(keyValueJson: string): void {
    this.body = this.count++ === 0 ? keyValueJson : `${this.body},${keyValueJson}`;
  }
}

/** `level` is the nesting level an array/kvlist in this value would have (see Limits above). */
function anyValueJsonProto(reader: Reader, level: number, limits: DecodeLimits): string {
  const outerEnd = enterMessage(reader);
  let json = '{}';
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        json = `{"stringValue":${JSON.stringify(truncateUtf8(reader.string(), limits.maxAttributeValueBytes))}}`;
        break;
      case 16:
        json = reader.bool() ? '{"boolValue":true}' : '{"boolValue":false}';
        break;
      case 24:
        json = `{"intValue":"${readInt64Text(reader)}"}`;
        break;
      case 33:
        json = `{"doubleValue":${doubleJson(reader.double())}}`;
        break;
      case 42:
        json = level > limits.maxAnyValueDepth ? skipAsEmpty(reader) : `{"arrayValue":${arrayValueJsonProto(reader, level, limits)}}`;
        break;
      case 50:
        json = level > limits.maxAnyValueDepth ? skipAsEmpty(reader) : `{"kvlistValue":${kvlistValueJsonProto(reader, level, limits)}}`;
        break;
      case 58:
        json = `{"bytesValue":"${base64(reader.bytes(), limits.maxAttributeValueBytes)}"}`;
        break;
      default:
        skipField(reader, tag, 'AnyValue', 7);
    }
  }
  leaveMessage(reader, outerEnd);
  return json;
}

function skipAsEmpty(reader: Reader): string {
  reader.pos = reader.lengthEnd();
  return '{}';
}

/** ArrayValue { repeated AnyValue values = 1 } as `{"values":[...]}`. */
function arrayValueJsonProto(reader: Reader, level: number, limits: DecodeLimits): string {
  const outerEnd = enterMessage(reader);
  let body = '';
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag !== 10) {
      skipField(reader, tag, 'ArrayValue', 1);
      continue;
    }
    const value = anyValueJsonProto(reader, level + 1, limits);
    body = body === '' ? value : `${body},${value}`;
  }
  leaveMessage(reader, outerEnd);
  return `{"values":[${body}]}`;
}

/** KeyValueList { repeated KeyValue values = 1 } as `{"values":[...]}`. */
function kvlistValueJsonProto(reader: Reader, level: number, limits: DecodeLimits): string {
  const outerEnd = enterMessage(reader);
  let body = '';
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag !== 10) {
      skipField(reader, tag, 'KeyValueList', 1);
      continue;
    }
    const kv = keyValueJsonProto(reader, level + 1, limits, Infinity)!;
    body = body === '' ? kv : `${body},${kv}`;
  }
  leaveMessage(reader, outerEnd);
  return `{"values":[${body}]}`;
}

/** A KeyValue as OTLP/JSON text; undefined when its key is longer than `maxKeyBytes`. */
function keyValueJsonProto(reader: Reader, level: number, limits: DecodeLimits, maxKeyBytes: number): string | undefined {
  const outerEnd = enterMessage(reader);
  let key: string | undefined = '';
  let value = '{}';
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) key = reader.boundedString(maxKeyBytes);
    else if (tag === 18) value = anyValueJsonProto(reader, level, limits);
    else skipField(reader, tag, 'KeyValue', 2);
  }
  leaveMessage(reader, outerEnd);
  return key === undefined ? undefined : `{"key":${JSON.stringify(key)},"value":${value}}`;
}

/** int64 varint as decimal; BigInt only when the value is negative or beyond 2^53. */
function readInt64Text(reader: Reader): string {
  const start = reader.pos;
  const n = reader.uint32();
  if (n <= Number.MAX_SAFE_INTEGER) return String(n);
  reader.pos = start;
  return reader.int64().toString();
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON (already parsed). Wrong types throw FieldError.

/** Appends every KeyValue of an OTLP/JSON attribute array to `columns`; returns how many were dropped. */
export function appendAttributesJson(list: unknown[], columns: AttributeColumns, limits: DecodeLimits): number {
  let dropped = 0;
  for (const kv of list) {
    if (columns.keys.length >= limits.maxAttributesPerList) {
      dropped++;
      continue;
    }
    const { key, value } = keyValueParts(kv);
    if (keyTooLong(key, limits)) {
      dropped++;
      continue;
    }
    readAnyValueJson(value, limits, scratch);
    columns.keys.push(key);
    columns.types.push(scratch.type);
    columns.values.push(scratch.text);
  }
  return dropped;
}

/** One OTLP/JSON AnyValue (`{"intValue":"1"}`, `{}` or missing) into its kind and text form. */
export function readAnyValueJson(
  value: unknown,
  limits: DecodeLimits,
  out: AnyValueText = { type: 'empty', text: '' },
): AnyValueText {
  const maxBytes = limits.maxAttributeValueBytes;
  out.type = 'empty';
  out.text = '';
  const set = anyValueField(value);
  if (set === undefined) return out;
  const [field, v] = set;
  switch (field) {
    case 'stringValue':
      out.text = truncateUtf8(v as string, maxBytes);
      break;
    case 'boolValue':
      out.text = v ? 'true' : 'false';
      break;
    case 'intValue':
      out.text = int64Text(v, 'intValue');
      break;
    case 'doubleValue':
      out.text = String(jsonDouble(v));
      break;
    case 'arrayValue':
    case 'kvlistValue':
      if (limits.maxAnyValueDepth < 1) return out;
      out.text = truncateUtf8(anyValueJson(value, 1, limits), maxBytes);
      break;
    case 'bytesValue':
      out.text = base64(Buffer.from(v as string, 'base64'), maxBytes);
      break;
  }
  out.type = ANY_VALUE_TYPES[field];
  return out;
}

const ANY_VALUE_TYPES = {
  stringValue: 'string',
  boolValue: 'bool',
  intValue: 'int',
  doubleValue: 'double',
  arrayValue: 'array',
  kvlistValue: 'kvlist',
  bytesValue: 'bytes',
} as const satisfies Record<string, AnyValueType>;

type AnyValueField = keyof typeof ANY_VALUE_TYPES;
const ANY_VALUE_FIELDS = Object.keys(ANY_VALUE_TYPES) as AnyValueField[];

/** The oneof member that is set (the first, if a sender set several), with its type checked. */
function anyValueField(value: unknown): [AnyValueField, unknown] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new FieldError('value must be an AnyValue object');
  for (const field of ANY_VALUE_FIELDS) {
    const v = value[field];
    if (v === undefined || v === null) continue;
    const ok =
      field === 'stringValue' || field === 'bytesValue'
        ? typeof v === 'string'
        : field === 'boolValue'
          ? typeof v === 'boolean'
          : field === 'arrayValue' || field === 'kvlistValue'
            ? isObject(v)
            : true; // intValue / doubleValue are checked when parsed
    if (!ok) throw new FieldError(`${field} has the wrong type`);
    return [field, v];
  }
  return undefined;
}

function anyValueJson(value: unknown, level: number, limits: DecodeLimits): string {
  const set = anyValueField(value);
  if (set === undefined) return '{}';
  const [field, v] = set;
  switch (field) {
    case 'stringValue':
      return `{"stringValue":${JSON.stringify(truncateUtf8(v as string, limits.maxAttributeValueBytes))}}`;
    case 'boolValue':
      return v ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'intValue':
      return `{"intValue":"${int64Text(v, 'intValue')}"}`;
    case 'doubleValue':
      return `{"doubleValue":${doubleJson(jsonDouble(v))}}`;
    case 'bytesValue':
      return `{"bytesValue":"${base64(Buffer.from(v as string, 'base64'), limits.maxAttributeValueBytes)}"}`;
    case 'arrayValue':
    case 'kvlistValue': {
      if (level > limits.maxAnyValueDepth) return '{}';
      const items = jsonArray(v as JsonObject, 'values');
      let body = '';
      for (const item of items) {
        const json = field === 'arrayValue' ? anyValueJson(item, level + 1, limits) : keyValueJson(item, level + 1, limits);
        body = body === '' ? json : `${body},${json}`;
      }
      return `{"${field}":{"values":[${body}]}}`;
    }
  }
}

function keyValueJson(kv: unknown, level: number, limits: DecodeLimits): string {
  const { key, value } = keyValueParts(kv);
  return `{"key":${JSON.stringify(key)},"value":${anyValueJson(value, level, limits)}}`;
}

function keyValueParts(kv: unknown): { key: string; value: unknown } {
  if (!isObject(kv)) throw new FieldError('attribute must be a KeyValue object');
  return { key: jsonString(kv, 'key'), value: kv.value };
}

/** A JSON key over maxAttributeKeyBytes, counted in UTF-8 bytes as the protobuf decoder counts them. */
function keyTooLong(key: string, limits: DecodeLimits): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short keys need no counting.
  return key.length * 3 > limits.maxAttributeKeyBytes && Buffer.byteLength(key, 'utf8') > limits.maxAttributeKeyBytes;
}

const DOUBLE_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** doubleValue: a JSON number, "NaN" / "Infinity" / "-Infinity", or a numeric string. */
function jsonDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity' || (typeof v === 'string' && DOUBLE_TEXT.test(v))) return Number(v);
  throw new FieldError('doubleValue must be a number');
}

// ---------------------------------------------------------------------------------------------
// Shared text helpers.

function doubleJson(x: number): string {
  return Number.isFinite(x) ? String(x) : `"${x}"`;
}

/** Base64 of at most as many bytes as keep the text within `maxBytes` (so it stays valid base64). */
function base64(bytes: Uint8Array, maxBytes: number): string {
  const keep = Math.min(bytes.length, Math.floor(maxBytes / 4) * 3);
  return Buffer.from(bytes.buffer, bytes.byteOffset, keep).toString('base64');
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, never inside a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no counting.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    // A lone surrogate encodes as U+FFFD: 3 bytes.
    const size = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += pair ? 2 : 1;
  }
  return text.slice(0, i);
}
