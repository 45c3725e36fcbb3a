import type { ResourceInfo, ScopeInfo } from './types.ts';
import type { RowBinaryWriter } from './row-binary.ts';

// Column groups every signal's table shares. Rows of one request share their resource and scope
// objects, so each group is encoded once per object and copied after that.

const serviceBytes = new WeakMap<ResourceInfo, Buffer>();
const resourceBytes = new WeakMap<ResourceInfo, Buffer>();
const scopeBytes = new WeakMap<ScopeInfo, Buffer>();

function cached<K extends object>(cache: WeakMap<K, Buffer>, key: K, w: RowBinaryWriter, write: () => void): void {
  const bytes = cache.get(key);
  if (bytes) return w.bytes(bytes);
  const start = w.pos;
  write();
  cache.set(key, w.slice(start));
}

/** service_name, service_namespace, deployment_environment. */
export const SERVICE_COLUMNS = ['service_name', 'service_namespace', 'deployment_environment'] as const;

export function writeServiceColumns(w: RowBinaryWriter, r: ResourceInfo): void {
  cached(serviceBytes, r, w, () => {
    w.string(r.serviceName);
    w.string(r.serviceNamespace);
    w.string(r.deploymentEnvironment);
  });
}

export const RESOURCE_COLUMNS = [
  'resource_attributes.key', 'resource_attributes.type', 'resource_attributes.value', 'resource_dropped_attributes_count', 'resource_schema_url',
] as const;

export function writeResourceColumns(w: RowBinaryWriter, r: ResourceInfo): void {
  cached(resourceBytes, r, w, () => {
    w.strings(r.attributes.keys);
    w.strings(r.attributes.types);
    w.strings(r.attributes.values);
    w.u32(r.droppedAttributesCount);
    w.string(r.schemaUrl);
  });
}

export const SCOPE_COLUMNS = ['scope_name', 'scope_version', 'scope_attributes', 'scope_dropped_attributes_count', 'scope_schema_url'] as const;

export function writeScopeColumns(w: RowBinaryWriter, s: ScopeInfo): void {
  cached(scopeBytes, s, w, () => {
    w.string(s.name);
    w.string(s.version);
    w.string(s.attributesJson);
    w.u32(s.droppedAttributesCount);
    w.string(s.schemaUrl);
  });
}

const originBytes = new WeakMap<ScopeInfo, { resource: ResourceInfo; bytes: Buffer }>();

/**
 * SERVICE_COLUMNS, RESOURCE_COLUMNS and SCOPE_COLUMNS in a row, for tables that keep the three
 * groups together (spans): one cached copy per scope instead of three per row.
 */
export function writeOriginColumns(w: RowBinaryWriter, resource: ResourceInfo, scope: ScopeInfo): void {
  const cachedOrigin = originBytes.get(scope);
  if (cachedOrigin !== undefined && cachedOrigin.resource === resource) return w.bytes(cachedOrigin.bytes);
  const start = w.pos;
  writeServiceColumns(w, resource);
  writeResourceColumns(w, resource);
  writeScopeColumns(w, scope);
  originBytes.set(scope, { resource, bytes: w.slice(start) });
}
