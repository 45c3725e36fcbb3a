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
  new JsonShapeScanner(maxJsonDepth(limits), maxJsonContainers(body.length)).feed(body);
}

/**
 * The same scan over a body that arrives in chunks (while it is decompressed), so a bomb is refused
 * at its first chunk instead of after inflating to the size limit.
 */
export class JsonShapeScanner {
  private depth = 0;
  private containers = 0;
  private inString = false;
  /** Inside a string, the last chunk ended in an odd run of backslashes: the next byte is escaped. */
  private escapeNext = false;

  constructor(
    private readonly maxDepth: number,
    private readonly maxContainers: number,
  ) {}

  feed(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        if (this.escapeNext) {
          this.escapeNext = false;
          i++;
          continue;
        }
        const quote = chunk.indexOf(QUOTE, i);
        if (quote < 0) {
          this.escapeNext = oddBackslashesBefore(chunk, n, i);
          return;
        }
        if (!oddBackslashesBefore(chunk, quote, i)) this.inString = false;
        i = quote + 1;
        continue;
      }
      const c = chunk[i++]!;
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++this.depth > this.maxDepth) throw new PayloadError(`JSON nested deeper than ${this.maxDepth} levels`);
        if (++this.containers > this.maxContainers) {
          throw new PayloadError(`JSON body holds more than ${this.maxContainers} objects and arrays (at most one per 16 bytes is accepted)`);
        }
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) this.depth--;
    }
  }
}

/** Whether the backslashes right before `end` (none before `from`) are an odd run, escaping the byte at `end`. */
function oddBackslashesBefore(chunk: Uint8Array, end: number, from: number): boolean {
  let k = end;
  while (k > from && chunk[k - 1] === BACKSLASH) k--;
  return (end - k) % 2 === 1;
}
