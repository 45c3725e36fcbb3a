import protobuf from 'protobufjs';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeTracesProto } from '/work/main/collector/decode/traces-proto.ts';
import { DEFAULT_DECODE_LIMITS } from '/work/main/collector/rows/types.ts';
const proto = `syntax = "proto3";
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Req { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16; string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10; repeated Event events = 11; uint32 dropped_events_count = 12; repeated Link links = 13; uint32 dropped_links_count = 14; Status status = 15;
  message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
  message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; } }
message Status { string message = 2; int32 code = 3; }`;
const Req = protobuf.parse(proto).root.lookupType('Req');
const resource = resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'h1', 'k8s.pod.name': 'pod-abc' });
const spans = Array.from({ length: 1000 }, (_, i) => ({
  name: 'GET /users/:id', kind: 1, spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: (i + 1).toString(16).padStart(16, '0'), traceFlags: 1 }),
  parentSpanContext: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', traceFlags: 1 },
  startTime: [1700000000, i], endTime: [1700000000, i + 5000], status: { code: 0 },
  attributes: { 'http.route': '/users/:id', 'http.response.status_code': 200, 'http.request.method': 'GET', 'url.path': '/users/123', 'server.address': 'api.example.com', 'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)' },
  links: [], events: i % 10 === 0 ? [{ name: 'exception', time: [1700000000, 10], attributes: { 'exception.type': 'Error', 'exception.message': 'boom' } }] : [],
  duration: [0, 5000], ended: true, resource, instrumentationScope: { name: '@opentelemetry/instrumentation-http', version: '0.50.0' },
  droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
})) as any[];
const body = ProtobufTraceSerializer.serializeRequest(spans)!;
const opts = { tenant: 't', limits: DEFAULT_DECODE_LIMITS };
function time(name: string, fn: () => unknown) {
  for (let i = 0; i < 200; i++) fn();
  const n = 3000; const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  const ms = (performance.now() - t) / n;
  console.log(name, ms.toFixed(3), 'ms per 1000-span request');
  return ms;
}
console.log('bytes', body.length);
const a = time('decodeTracesProto', () => decodeTracesProto(body, opts));
const b = time('protobufjs decode', () => Req.decode(body));

console.log('ratio', (b/a).toFixed(2));
