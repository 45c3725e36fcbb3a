// A minimal protobuf writer for hand-made payloads (what no SDK serializer writes). Each helper
// returns the bytes of one field; `cat` joins them.

export type Part = Uint8Array | number[];
export const EMPTY = new Uint8Array(0);

export function cat(...parts: Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function varint(value: bigint | number): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export const tag = (field: number, wire: number) => varint((field << 3) | wire);
export const len = (field: number, ...body: Part[]) => {
  const bytes = cat(...body);
  return cat(tag(field, 2), varint(bytes.length), bytes);
};
export const str = (field: number, text: string) => len(field, new TextEncoder().encode(text));
export const uint = (field: number, value: bigint | number) => cat(tag(field, 0), varint(value));
export const fixed64 = (field: number, value: bigint) => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return cat(tag(field, 1), bytes);
};
export const fixed32 = (field: number, value: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return cat(tag(field, 5), bytes);
};
export const double = (field: number, value: number) => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return cat(tag(field, 1), bytes);
};

