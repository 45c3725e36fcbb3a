// Export*ServiceResponse and google.rpc.Status, in protobuf and OTLP/JSON. Hand-encoded: two messages
// with two fields each do not justify a protobuf runtime.

function varint(value: number, out: number[]): void {
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function lengthDelimited(field: number, payload: Uint8Array, out: number[]): void {
  varint((field << 3) | 2, out);
  varint(payload.length, out);
  for (const b of payload) out.push(b);
}

/** `Export{Trace,Metrics,Logs}ServiceResponse`: partial_success only when something was rejected. */
export function exportResponseProto(rejected: number, errorMessage: string): Uint8Array {
  if (rejected === 0 && errorMessage === '') return new Uint8Array(0);
  const partial: number[] = [];
  if (rejected > 0) {
    varint(1 << 3, partial);
    varint(rejected, partial);
  }
  if (errorMessage) lengthDelimited(2, Buffer.from(errorMessage, 'utf8'), partial);
  const out: number[] = [];
  lengthDelimited(1, Uint8Array.from(partial), out);
  return Uint8Array.from(out);
}

export function exportResponseJson(rejectedField: string, rejected: number, errorMessage: string): string {
  if (rejected === 0 && errorMessage === '') return '{}';
  // proto3 JSON renders int64 as a string.
  return JSON.stringify({ partialSuccess: { [rejectedField]: String(rejected), errorMessage } });
}

/** google.rpc.Status codes used here. */
export const GRPC = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** google.rpc.Status; `details` are encoded google.protobuf.Any messages. */
export function statusProto(code: number, message: string, details: Uint8Array[] = []): Uint8Array {
  const out: number[] = [];
  if (code !== 0) {
    varint(1 << 3, out);
    varint(code, out);
  }
  if (message) lengthDelimited(2, Buffer.from(message, 'utf8'), out);
  for (const detail of details) lengthDelimited(3, detail, out);
  return Uint8Array.from(out);
}

/**
 * A google.rpc.RetryInfo { retry_delay: Duration { seconds } } wrapped in google.protobuf.Any: the
 * detail gRPC clients (the Collector's and the Go/Java exporters) read from grpc-status-details-bin
 * to learn when to retry.
 */
export function retryInfoAny(retryDelaySeconds: number): Uint8Array {
  const duration: number[] = [];
  varint(1 << 3, duration);
  varint(retryDelaySeconds, duration);
  const retryInfo: number[] = [];
  lengthDelimited(1, Uint8Array.from(duration), retryInfo);
  const any: number[] = [];
  lengthDelimited(1, Buffer.from('type.googleapis.com/google.rpc.RetryInfo', 'utf8'), any);
  lengthDelimited(2, Uint8Array.from(retryInfo), any);
  return Uint8Array.from(any);
}

export function statusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}
