import { cat, double, EMPTY, fixed32, fixed64, len, str, tag, uint, type Part } from './protobuf.ts';

// Hand-made ExportTraceServiceRequests: every message type, unknown fields, odd field order.
// Used by the decoder's hostile-input tests and the transcoder's differential test.

export const TRACE_ID = Array.from({ length: 16 }, (_, i) => i + 1);
export const SPAN_ID = Array.from({ length: 8 }, (_, i) => 0xa0 + i);
export const PARENT_ID = Array.from({ length: 8 }, (_, i) => 0xb0 + i);

/** One unknown field of every wire type (varint, i64, len, i32, group). */
export const UNKNOWN_FIELDS = cat(uint(100, 1), fixed64(101, 7n), len(102, [1, 2, 3]), fixed32(103, 9), tag(104, 3), uint(1, 5), tag(104, 4));

/** KeyValue body with `extra` appended to the KeyValue and its AnyValue. */
export const keyValue = (key: string, anyValueBody: Part, extra: Part = EMPTY) => cat(str(1, key), len(2, anyValueBody, extra), extra);

/** A request using every message type, with `extra` appended to every message. */
export function sampleRequest(extra: Part = EMPTY, order: 'resource-first' | 'resource-last' = 'resource-first'): Uint8Array {
  const arrayValue = len(5, len(1, str(1, 'x'), extra), extra);
  const kvlistValue = len(6, len(1, keyValue('kk', uint(2, 1), extra), extra), extra);
  const span = cat(
    len(1, TRACE_ID),
    len(2, SPAN_ID),
    str(3, 'ts=1'),
    len(4, PARENT_ID),
    str(5, 'op'),
    uint(6, 2),
    fixed64(7, 1_700_000_000_000_000_001n),
    fixed64(8, 1_700_000_000_000_000_101n),
    len(9, keyValue('s', str(1, 'v'), extra)),
    len(9, keyValue('i', uint(3, -5n), extra)),
    len(9, keyValue('d', double(4, 2.5), extra)),
    len(9, keyValue('a', arrayValue, extra)),
    len(9, keyValue('k', kvlistValue, extra)),
    uint(10, 1),
    len(11, fixed64(1, 5n), str(2, 'ev'), len(3, keyValue('e', str(1, '1'), extra)), uint(4, 2), extra),
    uint(12, 3),
    len(13, len(1, TRACE_ID), len(2, SPAN_ID), str(3, 'l=1'), len(4, keyValue('la', uint(2, 0), extra)), uint(5, 1), fixed32(6, 0x101), extra),
    uint(14, 4),
    len(15, str(2, 'msg'), uint(3, 2), extra),
    fixed32(16, 0x301),
    extra,
  );
  const scope = cat(str(1, 'sc'), str(2, '1.0'), len(3, keyValue('sa', str(1, 'b'), extra)), uint(4, 1), extra);
  const scopeSpans = cat(len(1, scope), len(2, span), str(3, 'scope-url'), extra);
  const resource = len(1, len(1, keyValue('service.name', str(1, 'svc'), extra)), uint(2, 7), extra);
  const resourceSpans =
    order === 'resource-first'
      ? cat(resource, len(2, scopeSpans), str(3, 'res-url'), extra)
      : cat(len(2, scopeSpans), str(3, 'res-url'), resource, extra);
  return cat(len(1, resourceSpans), extra);
}

/** A request with one span: valid ids plus `spanFields`. */
export function requestWithSpanFields(...spanFields: Part[]): Uint8Array {
  const span = cat(len(1, TRACE_ID), len(2, SPAN_ID), ...spanFields);
  return len(1, len(2, len(2, span)));
}
