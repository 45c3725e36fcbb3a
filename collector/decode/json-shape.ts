import { PayloadError, type DecodeLimits } from '../rows/types.ts';

// A structural scan of an OTLP/JSON body before JSON.parse materialises it. JSON.parse builds every
// object of a body before any decoder limit applies, at a cost that depends on the shape far more than
// on the size: 64 MiB of nested arrays took the collector 48 s and 2.1 GiB; 57 MiB of `{},` took 30 s
// and 1.7 GiB here, while 60 MiB of ordinary KeyValues parse in under a second. So two bounds are
// checked first, in one pass over the bytes (strings are skipped with a native search):
//
//   nesting   the deepest valid OTLP/JSON reaches an AnyValue within 16 levels, and each AnyValue
//             nesting level adds at most 4 (kvlistValue → values → KeyValue → value); bodies nested
//             deeper than 20 + 8 × maxAnyValueDepth (twice the AnyValue depth the decoders keep, so a
//             value nested a little too deep is still cut, not refused) are refused.
//   density   the densest OTLP/JSON (array elements such as {"intValue":"1"},) has one object or array
//             per 17 bytes at least; a body with more than one per 16 bytes on average (and more than
//             1024 in all) is refused, which bounds what JSON.parse can be made to build per byte.
//
// Both refusals are PayloadErrors (HTTP 400): such a body is not OTLP a client would retry.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Deepest JSON nesting accepted for the given decode limits. */
export function maxJsonDepth(limits: DecodeLimits): number {
  return 20 + 8 * limits.maxAnyValueDepth;
}

/** Most objects and arrays accepted in a JSON body of `bytes` bytes. */
export function maxJsonContainers(bytes: number): number {
  return Math.max(1024, Math.floor(bytes / 16));
}

/** Throws PayloadError when `body` is nested too deeply or holds too many objects and arrays. */
export function checkJsonShape(body: Uint8Array, limits: DecodeLimits): void {
  const maxDepth = maxJsonDepth(limits);
  const maxContainers = maxJsonContainers(body.length);
  const n = body.length;
  let depth = 0;
  let containers = 0;
  for (let i = 0; i < n; i++) {
    const c = body[i]!;
    if (c === QUOTE) i = closingQuote(body, i + 1);
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) throw new PayloadError(`JSON nested deeper than ${maxDepth} levels`);
      if (++containers > maxContainers) {
        throw new PayloadError(`JSON body holds more than ${maxContainers} objects and arrays (at most one per 16 bytes is accepted)`);
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
}

/** Index of the quote that closes a string starting at `from` (or the end, when it is unterminated). */
function closingQuote(body: Uint8Array, from: number): number {
  let at = body.indexOf(QUOTE, from);
  while (at > 0) {
    let backslashes = 0;
    while (body[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = body.indexOf(QUOTE, at + 1);
  }
  return body.length;
}
