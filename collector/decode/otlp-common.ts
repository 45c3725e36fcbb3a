import { PayloadError, type DecodeLimits, type ResourceInfo, type ScopeInfo } from '../rows/types.ts';
import { appendAttributeProto, appendAttributesJson, KeyValueJsonList } from './any-value.ts';
import { addDropped } from './counts.ts';
import { FieldError, isObject, jsonArray, jsonObject, jsonString, jsonUint32, type JsonObject } from './json-fields.ts';
import { checkJsonShape } from './json-shape.ts';
import { enterMessage, leaveMessage, skipField } from './proto-field.ts';
import { deriveResourceFields, newResourceInfo, newScopeInfo } from './span-fields.ts';
import type { Reader } from './wire.ts';

// Resource and InstrumentationScope (and a few scalar reads) shared by the metrics and logs decoders.
// Same rows as traces-proto.ts / traces-json.ts produce for the same messages.

/** Reads a `Resource` message (reader at its length prefix) into `resource`. */
export function readResourceProto(reader: Reader, resource: ResourceInfo, limits: DecodeLimits): void {
  const outerEnd = enterMessage(reader);
  let overLimit = 0;
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) overLimit += appendAttributeProto(reader, resource.attributes, limits); // 1 attributes
    else if (tag === 16) resource.droppedAttributesCount = reader.uint32() >>> 0; // 2 dropped_attributes_count
    else skipField(reader, tag, 'Resource', 2);
  }
  leaveMessage(reader, outerEnd);
  resource.droppedAttributesCount = addDropped(resource.droppedAttributesCount, overLimit);
  deriveResourceFields(resource);
}

/** Reads an `InstrumentationScope` message (reader at its length prefix) into `scope`. */
export function readScopeProto(reader: Reader, scope: ScopeInfo, limits: DecodeLimits): void {
  const outerEnd = enterMessage(reader);
  const attributes = new KeyValueJsonList(limits);
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10: // 1 name
        scope.name = reader.string();
        break;
      case 18: // 2 version
        scope.version = reader.string();
        break;
      case 26: // 3 attributes
        attributes.addProto(reader);
        break;
      case 32: // 4 dropped_attributes_count
        scope.droppedAttributesCount = reader.uint32() >>> 0;
        break;
      default:
        skipField(reader, tag, 'InstrumentationScope', 4);
    }
  }
  leaveMessage(reader, outerEnd);
  scope.attributesJson = attributes.json();
  scope.droppedAttributesCount = addDropped(scope.droppedAttributesCount, attributes.dropped);
}

/** `resource` and `schemaUrl` of a Resource{Metrics,Logs} JSON object. */
export function readResourceJson(parent: JsonObject, limits: DecodeLimits): ResourceInfo {
  const resource = newResourceInfo();
  resource.schemaUrl = jsonString(parent, 'schemaUrl');
  const json = jsonObject(parent, 'resource');
  if (json === undefined) return resource;
  const overLimit = appendAttributesJson(jsonArray(json, 'attributes'), resource.attributes, limits);
  resource.droppedAttributesCount = addDropped(jsonUint32(json, 'droppedAttributesCount'), overLimit);
  deriveResourceFields(resource);
  return resource;
}

/** `scope` and `schemaUrl` of a Scope{Metrics,Logs} JSON object. */
export function readScopeJson(parent: JsonObject, limits: DecodeLimits): ScopeInfo {
  const scope = newScopeInfo();
  scope.schemaUrl = jsonString(parent, 'schemaUrl');
  const json = jsonObject(parent, 'scope');
  if (json === undefined) return scope;
  scope.name = jsonString(json, 'name');
  scope.version = jsonString(json, 'version');
  const attributes = new KeyValueJsonList(limits);
  attributes.addJson(jsonArray(json, 'attributes'));
  scope.attributesJson = attributes.json();
  scope.droppedAttributesCount = addDropped(jsonUint32(json, 'droppedAttributesCount'), attributes.dropped);
  return scope;
}

const DOUBLE_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A double field: a JSON number, "NaN" / "Infinity" / "-Infinity", or a numeric string (proto3 JSON). */
export function jsonDouble(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity' || (typeof value === 'string' && DOUBLE_TEXT.test(value))) return Number(value);
  throw new FieldError(`${field} must be a number`);
}

const INT_TEXT = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** int64 / sfixed64 (asInt): a decimal string (exact) or a JSON number. */
export function jsonInt64(value: unknown, field: string): bigint {
  const n = typeof value === 'string' && INT_TEXT.test(value) ? BigInt(value) : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : undefined;
  if (n === undefined || n < INT64_MIN || n > INT64_MAX) throw new FieldError(`${field} must be an int64`);
  return n;
}

/** A uint64 count as a number when it is exactly representable, else a bigint (both decoders agree). */
export function jsonCount(value: unknown, field: string): number | bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? BigInt(value) : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : undefined;
  if (n === undefined || n < 0n || n > UINT64_MAX) throw new FieldError(`${field} must be a uint64`);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** A repeated uint64 / fixed64 field. */
export function jsonCounts(parent: JsonObject, field: string): (number | bigint)[] {
  const list = jsonArray(parent, field);
  const out = new Array<number | bigint>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = jsonCount(list[i], field);
  return out;
}

/** A repeated double field. */
export function jsonDoubles(parent: JsonObject, field: string): number[] {
  const list = jsonArray(parent, field);
  const out = new Array<number>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = jsonDouble(list[i], field);
  return out;
}

/** An optional double: undefined when absent or null. */
export function jsonOptionalDouble(parent: JsonObject, field: string): number | undefined {
  const value = parent[field];
  return value === undefined || value === null ? undefined : jsonDouble(value, field);
}

/** sint32 / int32: a JSON number or a decimal string. */
export function jsonInt32(parent: JsonObject, field: string): number {
  const value = parent[field];
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && INT_TEXT.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new FieldError(`${field} must be an int32`);
  return n;
}

/** A bool: JSON true/false. */
export function jsonBool(parent: JsonObject, field: string): boolean {
  const value = parent[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new FieldError(`${field} must be a boolean`);
  return value;
}

/** Message names of one signal's envelope, for error messages. */
export interface EnvelopeNames {
  request: string;
  resourceLevel: string;
  scopeLevel: string;
}

/** Reads one item (Span, Metric, LogRecord) of a Scope* message; the reader is at its length prefix. */
export type ReadItem<Ctx> = (reader: Reader, resource: ResourceInfo, scope: ScopeInfo, ctx: Ctx) => void;

/**
 * Walks the envelope all three signals share — Export*ServiceRequest { repeated Resource* = 1 },
 * Resource* { resource = 1, repeated Scope* = 2, schema_url = 3 }, Scope* { scope = 1, repeated
 * item = 2, schema_url = 3 } — and hands every item to `readItem`. Items share their resource and
 * scope objects, which are filled in as they are read (the resource may follow its items).
 */
export function walkProtoEnvelope<Ctx extends { limits: DecodeLimits }>(reader: Reader, names: EnvelopeNames, ctx: Ctx, readItem: ReadItem<Ctx>): void {
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) readResourceLevel(reader, names, ctx, readItem);
    else skipField(reader, tag, names.request, 1);
  }
}

function readResourceLevel<Ctx extends { limits: DecodeLimits }>(reader: Reader, names: EnvelopeNames, ctx: Ctx, readItem: ReadItem<Ctx>): void {
  const outerEnd = enterMessage(reader);
  const resource = newResourceInfo();
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) readResourceProto(reader, resource, ctx.limits); // 1 resource
    else if (tag === 18) readScopeLevel(reader, resource, names, ctx, readItem); // 2 scope_*
    else if (tag === 26) resource.schemaUrl = reader.string(); // 3 schema_url
    else skipField(reader, tag, names.resourceLevel, 3);
  }
  leaveMessage(reader, outerEnd);
}

function readScopeLevel<Ctx extends { limits: DecodeLimits }>(reader: Reader, resource: ResourceInfo, names: EnvelopeNames, ctx: Ctx, readItem: ReadItem<Ctx>): void {
  const outerEnd = enterMessage(reader);
  const scope = newScopeInfo();
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) readScopeProto(reader, scope, ctx.limits); // 1 scope
    else if (tag === 18) readItem(reader, resource, scope, ctx); // 2 spans / metrics / log_records
    else if (tag === 26) scope.schemaUrl = reader.string(); // 3 schema_url
    else skipField(reader, tag, names.scopeLevel, 3);
  }
  leaveMessage(reader, outerEnd);
}

/** JSON field names of one signal's envelope. */
export interface JsonEnvelopeNames {
  request: string;
  resourceList: string;
  scopeList: string;
  itemList: string;
}

function objects(list: unknown[], field: string): JsonObject[] {
  for (const item of list) if (!isObject(item)) throw new FieldError(`${field} items must be objects`);
  return list as JsonObject[];
}

/**
 * Parses an OTLP/JSON Export*ServiceRequest (UTF-8 bytes, or text) and hands every item (span, metric,
 * log record) with its resource and scope to `readItem`. A body of a shape JSON.parse must not be
 * given (json-shape.ts), invalid JSON and wrong types outside the items are a PayloadError; what an
 * item's own problems mean is up to `readItem`.
 */
export function walkJsonEnvelope(
  body: string | Uint8Array,
  names: JsonEnvelopeNames,
  limits: DecodeLimits,
  readItem: (item: unknown, resource: ResourceInfo, scope: ScopeInfo) => void,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  checkJsonShape(bytes, limits);
  let request: unknown;
  try {
    request = JSON.parse(typeof body === 'string' ? body : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new PayloadError(`invalid JSON: ${(error as Error).message}`);
  }
  if (!isObject(request)) throw new PayloadError(`${names.request} must be a JSON object`);
  try {
    for (const resourceLevel of objects(jsonArray(request, names.resourceList), names.resourceList)) {
      const resource = readResourceJson(resourceLevel, limits);
      for (const scopeLevel of objects(jsonArray(resourceLevel, names.scopeList), names.scopeList)) {
        const scope = readScopeJson(scopeLevel, limits);
        for (const item of jsonArray(scopeLevel, names.itemList)) readItem(item, resource, scope);
      }
    }
  } catch (error) {
    if (error instanceof FieldError) throw new PayloadError(`invalid ${names.request}: ${error.message}`);
    throw error;
  }
}
