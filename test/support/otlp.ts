import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { Reader } from '../../collector/decode/wire.ts';

/** `count` finished server spans of `service`, made by the real SDK. */
export async function makeSpans(service: string, count: number, options: { errorEvery?: number; start?: Date } = {}): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('test');
  const start = options.start ?? new Date();
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan('GET /items', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.route': '/items', i } }, context.active());
    if (options.errorEvery && i % options.errorEvery === 0) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(new Date(start.getTime() + 2));
  }
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

export const tracesProto = (spans: ReadableSpan[]): Uint8Array => ProtobufTraceSerializer.serializeRequest(spans)!;
export const tracesJson = (spans: ReadableSpan[]): Uint8Array => JsonTraceSerializer.serializeRequest(spans)!;

/** Decodes a google.rpc.Status or Export*ServiceResponse partial success from protobuf bytes. */
export function decodeStatusProto(bytes: Uint8Array): { code: number; message: string } {
  const r = new Reader(bytes);
  let code = 0;
  let message = '';
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === 8) code = r.uint32();
    else if (tag === 18) message = r.string();
    else r.skip(tag & 7);
  }
  return { code, message };
}

export function decodePartialSuccessProto(bytes: Uint8Array): { rejected: number; message: string } | undefined {
  const r = new Reader(bytes);
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === 10) {
      const inner = decodeStatusProto(r.bytes());
      return { rejected: inner.code, message: inner.message };
    }
    r.skip(tag & 7);
  }
  return undefined;
}

export { trace };
