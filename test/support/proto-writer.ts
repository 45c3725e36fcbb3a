// A tiny protobuf writer for hand-built test payloads (fields the SDKs never send: summaries,
// exemplars, flags, unknown fields, wrong lengths). Each function returns one encoded field.

export type Bytes = Uint8Array;

function varintBytes(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const concat = (parts: (Bytes | number[])[]): Bytes => Uint8Array.from(parts.flatMap((p) => [...p]));
const tag = (field: number, wireType: number) => varintBytes((field << 3) | wireType);

/** A length-delimited field (sub-message, bytes) holding `parts` concatenated. */
export function message(field: number, ...parts: Bytes[]): Bytes {
  const body = concat(parts);
  return concat([tag(field, 2), varintBytes(body.length), body]);
}

export const string = (field: number, s: string): Bytes => message(field, new TextEncoder().encode(s));
export const bytes = (field: number, b: Bytes | number[]): Bytes => message(field, Uint8Array.from(b));
export const hexBytes = (field: number, hex: string): Bytes => bytes(field, Buffer.from(hex, 'hex'));
export const varint = (field: number, v: number | bigint): Bytes => concat([tag(field, 0), varintBytes(v)]);
export const sint32 = (field: number, v: number): Bytes => varint(field, v >= 0 ? v * 2 : -v * 2 - 1);

function le64(v: bigint): number[] {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return [...b];
}
function f64(x: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...b];
}

export const fixed64 = (field: number, v: bigint): Bytes => concat([tag(field, 1), le64(v)]);
export const fixed32 = (field: number, v: number): Bytes => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return concat([tag(field, 5), [...b]]);
};
export const double = (field: number, x: number): Bytes => concat([tag(field, 1), f64(x)]);
export const packedFixed64 = (field: number, values: bigint[]): Bytes => message(field, concat(values.map(le64)));
export const packedDouble = (field: number, values: number[]): Bytes => message(field, concat(values.map(f64)));
export const packedVarint = (field: number, values: (number | bigint)[]): Bytes => message(field, concat(values.map(varintBytes)));

/** A whole message body (the top-level request) from its fields. */
export const fields = (...parts: Bytes[]): Bytes => concat(parts);

/** KeyValue with a string / int value (AnyValue fields 1 and 3). */
export const keyValueString = (field: number, key: string, value: string): Bytes => message(field, string(1, key), message(2, string(1, value)));
export const keyValueInt = (field: number, key: string, value: number | bigint): Bytes => message(field, string(1, key), message(2, varint(3, value)));
