// "What most Node collectors do": protobufjs with the generated OTLP code that older
// @opentelemetry/otlp-transformer releases ship (0.57.2 here), decoding into message objects, then a
// map into one plain object per row for a JSONEachRow insert.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const root: any = require('otlp-transformer-legacy/build/src/generated/root.js');
const v1 = root.opentelemetry.proto.collector;

export const TraceRequest = v1.trace.v1.ExportTraceServiceRequest;
export const MetricsRequest = v1.metrics.v1.ExportMetricsServiceRequest;
export const LogsRequest = v1.logs.v1.ExportLogsServiceRequest;

/* eslint-disable @typescript-eslint/no-explicit-any */
type Msg = any;

const hex = (b: Uint8Array | undefined) => (b && b.length ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '');
const u64 = (v: Msg) => (v == null ? '0' : typeof v === 'number' ? String(v) : v.toString());

function anyValueText(v: Msg): [string, string] {
  if (!v) return ['empty', ''];
  if (v.stringValue != null) return ['string', v.stringValue];
  if (v.intValue != null) return ['int', v.intValue.toString()];
  if (v.boolValue != null) return ['bool', String(v.boolValue)];
  if (v.doubleValue != null) return ['double', String(v.doubleValue)];
  if (v.bytesValue != null) return ['bytes', Buffer.from(v.bytesValue).toString('base64')];
  if (v.arrayValue != null) return ['array', JSON.stringify(v.arrayValue)];
  if (v.kvlistValue != null) return ['kvlist', JSON.stringify(v.kvlistValue)];
  return ['empty', ''];
}

function attributeColumns(list: Msg[] | undefined) {
  const keys: string[] = [];
  const types: string[] = [];
  const values: string[] = [];
  for (const kv of list ?? []) {
    const [type, text] = anyValueText(kv.value);
    keys.push(kv.key);
    types.push(type);
    values.push(text);
  }
  return { keys, types, values };
}

const attributesJson = (list: Msg[] | undefined) => (list && list.length ? JSON.stringify(list) : '');

/** Decoded ExportTraceServiceRequest → one JSONEachRow object per span (the spans table's columns). */
export function spanRowsFromMessage(message: Msg, tenant = ''): object[] {
  const rows: object[] = [];
  for (const rs of message.resourceSpans ?? []) {
    const resource = attributeColumns(rs.resource?.attributes);
    const attr = (k: string) => {
      const i = resource.keys.indexOf(k);
      return i < 0 ? undefined : resource.values[i];
    };
    const serviceName = attr('service.name') || 'unknown_service';
    const serviceNamespace = attr('service.namespace') ?? '';
    const environment = attr('deployment.environment.name') ?? attr('deployment.environment') ?? '';
    for (const ss of rs.scopeSpans ?? []) {
      const scope = ss.scope ?? {};
      const scopeAttributes = attributesJson(scope.attributes);
      for (const span of ss.spans ?? []) {
        const attributes = attributeColumns(span.attributes);
        const start = BigInt(u64(span.startTimeUnixNano));
        const end = BigInt(u64(span.endTimeUnixNano));
        const routeAt = attributes.keys.indexOf('http.route');
        const statusAt = attributes.keys.indexOf('http.response.status_code');
        const events = span.events ?? [];
        const links = span.links ?? [];
        rows.push({
          tenant,
          timestamp: Number(start / 1_000_000_000n),
          start_time_ns: start.toString(),
          end_time_ns: end.toString(),
          duration_ns: (end > start ? end - start : 0n).toString(),
          trace_id: hex(span.traceId),
          span_id: hex(span.spanId),
          parent_span_id: hex(span.parentSpanId),
          trace_state: span.traceState ?? '',
          flags: span.flags ?? 0,
          name: span.name ?? '',
          kind: span.kind ?? 0,
          status_code: span.status?.code ?? 0,
          status_message: span.status?.message ?? '',
          http_route: routeAt < 0 ? '' : attributes.values[routeAt],
          http_status_code: statusAt < 0 ? 0 : Number(attributes.values[statusAt]),
          'attributes.key': attributes.keys,
          'attributes.type': attributes.types,
          'attributes.value': attributes.values,
          dropped_attributes_count: span.droppedAttributesCount ?? 0,
          'events.time_ns': events.map((e: Msg) => u64(e.timeUnixNano)),
          'events.name': events.map((e: Msg) => e.name ?? ''),
          'events.attributes': events.map((e: Msg) => attributesJson(e.attributes)),
          'events.dropped_attributes_count': events.map((e: Msg) => e.droppedAttributesCount ?? 0),
          dropped_events_count: span.droppedEventsCount ?? 0,
          'links.trace_id': links.map((l: Msg) => hex(l.traceId)),
          'links.span_id': links.map((l: Msg) => hex(l.spanId)),
          'links.trace_state': links.map((l: Msg) => l.traceState ?? ''),
          'links.flags': links.map((l: Msg) => l.flags ?? 0),
          'links.attributes': links.map((l: Msg) => attributesJson(l.attributes)),
          'links.dropped_attributes_count': links.map((l: Msg) => l.droppedAttributesCount ?? 0),
          dropped_links_count: span.droppedLinksCount ?? 0,
          service_name: serviceName,
          service_namespace: serviceNamespace,
          deployment_environment: environment,
          'resource_attributes.key': resource.keys,
          'resource_attributes.type': resource.types,
          'resource_attributes.value': resource.values,
          resource_dropped_attributes_count: rs.resource?.droppedAttributesCount ?? 0,
          resource_schema_url: rs.schemaUrl ?? '',
          scope_name: scope.name ?? '',
          scope_version: scope.version ?? '',
          scope_attributes: scopeAttributes,
          scope_dropped_attributes_count: scope.droppedAttributesCount ?? 0,
          scope_schema_url: ss.schemaUrl ?? '',
        });
      }
    }
  }
  return rows;
}

/** Items in decoded messages (decoder-alone runs count them to keep the work from being optimized out). */
export function countSpans(m: Msg): number {
  let n = 0;
  for (const rs of m.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += (ss.spans ?? []).length;
  return n;
}

export function countDataPoints(m: Msg): number {
  let n = 0;
  for (const rm of m.resourceMetrics ?? [])
    for (const sm of rm.scopeMetrics ?? [])
      for (const metric of sm.metrics ?? []) {
        const data = metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary;
        n += (data?.dataPoints ?? []).length;
      }
  return n;
}

export function countLogRecords(m: Msg): number {
  let n = 0;
  for (const rl of m.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) n += (sl.logRecords ?? []).length;
  return n;
}
