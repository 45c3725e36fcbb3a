import { Buffer } from 'node:buffer';
import type { DecodeLimits, DecodeOptions, ResourceInfo, ScopeInfo, SpanEventRow, SpanLinkRow, TimeWindow } from '../rows/types.ts';
import { RowBinaryWriter } from '../rows/row-binary.ts';
import { writeOriginColumns } from '../rows/shared-row-binary.ts';
import { writeEventColumns, writeLinkColumns } from '../rows/spans-row-binary.ts';
import { readAnyValueProto, truncateUtf8, type AnyValueText, type AnyValueType } from './any-value.ts';
import { addDropped } from './counts.ts';
import { statusCodeFromText } from './http-attributes.ts';
import { timeProblem, timesOf } from './item-times.ts';
import { walkProtoEnvelope } from './otlp-common.ts';
import { enterMessage, leaveMessage, skipField } from './proto-field.ts';
import { Rejections } from './rejections.ts';
import { MAX_SPAN_KIND, MAX_STATUS_CODE, spanIdBytesProblem } from './span-fields.ts';
import { readEvent, readLink } from './traces-proto.ts';
import { Reader } from './wire.ts';

// ExportTraceServiceRequest bytes straight to RowBinary rows of the spans table, in SPAN_COLUMNS
// order, with exactly the bytes decodeTracesProto + writeSpanRow produce (a differential test holds
// the two together, on SDK payloads, hostile ones and fuzzed mutations).
//
// Protobuf strings and RowBinary strings are both length-prefixed UTF-8, so names, ids (as hex),
// attribute keys and string values are copied from the request buffer into the output without
// becoming JS strings — the decoder's top cost (string reads, their encoding and the GC of the row
// objects, docs/performance.md). A span is read in two steps: its fields are located first (they may
// come in any order, and the derived columns come before the attributes in the row), then written.
// Everything uncommon takes the decoder's own text path: non-string attribute values, events,
// links, invalid UTF-8 and values, names and messages over their size limits. The decode limits
// (events and links per span, key and text sizes) and the accepted time window apply exactly as in
// the decoder.

export interface TranscodeResult {
  /** RowBinary rows of the accepted spans (empty when none). */
  body: Buffer;
  rows: number;
  rejected: number;
  errorMessage: string;
}

const out = new RowBinaryWriter(64 * 1024);

/** Transcodes a protobuf ExportTraceServiceRequest. Throws PayloadError when the bytes are undecodable. */
export function transcodeTracesProto(body: Uint8Array, options: DecodeOptions): TranscodeResult {
  const src = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const reader = new Reader(src);
  // Step 0: where the spans are, with their resource and scope (which may come after them).
  const found: FoundSpans = { limits: options.limits, starts: [], ends: [], resources: [], scopes: [] };
  walkProtoEnvelope(reader, { request: 'ExportTraceServiceRequest', resourceLevel: 'ResourceSpans', scopeLevel: 'ScopeSpans' }, found, locateSpan);

  // RowBinary spans take ~1.85x their protobuf size in the benchmark (resource columns repeat per row).
  out.reserve(Math.max(64 * 1024, body.length * 2));
  const rejections = new Rejections('span');
  const span = new SpanTranscoder(src, reader, options, out);
  let rows = 0;
  try {
    for (let i = 0; i < found.starts.length; i++) {
      reader.pos = found.starts[i]!;
      reader.end = found.ends[i]!;
      const problem = span.transcode(found.resources[i]!, found.scopes[i]!);
      if (problem === '') rows++;
      else rejections.add(problem);
    }
  } catch (err) {
    out.pos = 0;
    throw err;
  }
  return { body: out.takeOrHandOver(), rows, rejected: rejections.count, errorMessage: rejections.message() };
}

interface FoundSpans {
  limits: DecodeLimits;
  starts: number[];
  ends: number[];
  resources: ResourceInfo[];
  scopes: ScopeInfo[];
}

function locateSpan(reader: Reader, resource: ResourceInfo, scope: ScopeInfo, found: FoundSpans): void {
  const end = reader.lengthEnd();
  found.starts.push(reader.pos);
  found.ends.push(end);
  found.resources.push(resource);
  found.scopes.push(scope);
  reader.pos = end;
}

const HTTP_ROUTE = Buffer.from('http.route');
const HTTP_RESPONSE_STATUS_CODE = Buffer.from('http.response.status_code');
const HTTP_STATUS_CODE = Buffer.from('http.status_code');
// Slots in SpanTranscoder.ranges.
const TRACE_ID = 0;
const SPAN_ID = 2;
const PARENT_SPAN_ID = 4;
const TRACE_STATE = 6;
const NAME = 8;
const STATUS_MESSAGE = 10;
const NO_EVENTS: SpanEventRow[] = [];
const NO_LINKS: SpanLinkRow[] = [];

/**
 * One span at a time; the attribute table (where each key and value is) is reused across spans.
 * A value is either a byte range of the request (`valueStart >= 0`, a string value) or a text.
 */
class SpanTranscoder {
  private capacity = 64;
  private keyStart = new Int32Array(this.capacity);
  private keyEnd = new Int32Array(this.capacity);
  private valueStart = new Int32Array(this.capacity);
  private valueEnd = new Int32Array(this.capacity);
  private valueType: AnyValueType[] = [];
  private valueText: string[] = [];
  private readonly anyValue: AnyValueText = { type: 'empty', text: '' };
  /** [start, end) of the span's string and bytes fields, two slots each (see TRACE_ID...); -1 = absent. */
  private readonly ranges = new Int32Array(12);
  private readonly limits: DecodeLimits;
  private readonly times: TimeWindow;
  private readonly tenant: string;

  constructor(
    private readonly src: Buffer,
    private readonly reader: Reader,
    options: DecodeOptions,
    private readonly w: RowBinaryWriter,
  ) {
    this.limits = options.limits;
    this.times = timesOf(options);
    this.tenant = options.tenant;
  }

  /** Writes the span at the reader (its bytes, without the length prefix); returns why it was rejected, or ''. */
  transcode(resource: ResourceInfo, scope: ScopeInfo): string {
    const { reader, src, limits, ranges } = this;
    ranges.fill(-1);
    let kind = 0;
    let statusCode = 0;
    // Times as 32-bit halves: BigInt arithmetic per span was a visible cost.
    let startLow = 0;
    let startHigh = 0;
    let endLow = 0;
    let endHigh = 0;
    let flags = 0;
    let droppedAttributes = 0;
    let attributesOverLimit = 0;
    let droppedEvents = 0;
    let eventsOverLimit = 0;
    let droppedLinks = 0;
    let linksOverLimit = 0;
    let events = NO_EVENTS;
    let links = NO_LINKS;
    let n = 0;

    while (reader.pos < reader.end) {
      const tag = reader.uint32();
      switch (tag) {
        case 10: // 1 trace_id
          this.locate(TRACE_ID);
          break;
        case 18: // 2 span_id
          this.locate(SPAN_ID);
          break;
        case 26: // 3 trace_state
          this.locate(TRACE_STATE);
          break;
        case 34: // 4 parent_span_id
          this.locate(PARENT_SPAN_ID);
          break;
        case 42: // 5 name
          this.locate(NAME);
          break;
        case 48: // 6 kind
          kind = reader.uint32();
          break;
        case 57: // 7 start_time_unix_nano (fixed64, little-endian)
          startLow = reader.fixed32();
          startHigh = reader.fixed32();
          break;
        case 65: // 8 end_time_unix_nano
          endLow = reader.fixed32();
          endHigh = reader.fixed32();
          break;
        case 74: // 9 attributes
          if (n >= limits.maxAttributesPerList) {
            reader.pos = reader.lengthEnd();
            attributesOverLimit++;
          } else if (this.readAttribute(n)) {
            n++;
          } else {
            attributesOverLimit++;
          }
          break;
        case 80: // 10 dropped_attributes_count
          droppedAttributes = reader.uint32() >>> 0;
          break;
        case 90: // 11 events
          if (events.length >= limits.maxEventsPerSpan) {
            reader.pos = reader.lengthEnd();
            eventsOverLimit++;
            break;
          }
          if (events === NO_EVENTS) events = [];
          events.push(readEvent(reader, limits));
          break;
        case 96: // 12 dropped_events_count
          droppedEvents = reader.uint32() >>> 0;
          break;
        case 106: // 13 links
          if (links.length >= limits.maxLinksPerSpan) {
            reader.pos = reader.lengthEnd();
            linksOverLimit++;
            break;
          }
          if (links === NO_LINKS) links = [];
          links.push(readLink(reader, limits));
          break;
        case 112: // 14 dropped_links_count
          droppedLinks = reader.uint32() >>> 0;
          break;
        case 122: {
          // 15 status
          const outerEnd = enterMessage(reader);
          while (reader.pos < reader.end) {
            const statusTag = reader.uint32();
            if (statusTag === 18) this.locate(STATUS_MESSAGE); // 2 message
            else if (statusTag === 24) statusCode = reader.uint32(); // 3 code
            else if (statusTag >>> 3 === 1) reader.skip(statusTag & 7); // 1 is reserved (the deprecated code)
            else skipField(reader, statusTag, 'Status', 3);
          }
          leaveMessage(reader, outerEnd);
          break;
        }
        case 133: // 16 flags
          flags = reader.fixed32();
          break;
        default:
          skipField(reader, tag, 'Span', 16);
      }
    }

    const seconds = secondsOf(startLow, startHigh);
    const problem =
      spanIdBytesProblem(
        this.length(TRACE_ID),
        this.length(SPAN_ID),
        this.length(PARENT_SPAN_ID),
        allZero(src, ranges[TRACE_ID]!, ranges[TRACE_ID + 1]!),
        allZero(src, ranges[SPAN_ID]!, ranges[SPAN_ID + 1]!),
      ) || timeProblem(seconds, this.times, 'start_time_unix_nano');
    if (problem !== '') return problem;

    // Derived HTTP columns: the first `http.route` (any kind), the first int status code.
    let route = -1;
    let status: string | undefined;
    let legacyStatus: string | undefined;
    for (let i = 0; i < n; i++) {
      const length = this.keyEnd[i]! - this.keyStart[i]!;
      if (length === 10) {
        if (route < 0 && this.keyIs(i, HTTP_ROUTE)) route = i;
      } else if (length === 25) {
        if (status === undefined && this.valueType[i] === 'int' && this.keyIs(i, HTTP_RESPONSE_STATUS_CODE)) status = this.valueText[i];
      } else if (length === 16) {
        if (legacyStatus === undefined && this.valueType[i] === 'int' && this.keyIs(i, HTTP_STATUS_CODE)) legacyStatus = this.valueText[i];
      }
    }

    const w = this.w;
    w.string(this.tenant);
    w.u32(seconds);
    w.u64Halves(startLow, startHigh);
    w.u64Halves(endLow, endHigh);
    if (endHigh > startHigh || (endHigh === startHigh && endLow > startLow)) {
      const borrow = endLow < startLow ? 1 : 0;
      w.u64Halves(endLow - startLow + borrow * 4294967296, endHigh - startHigh - borrow);
    } else {
      w.u64Halves(0, 0);
    }
    w.hexBytes(src, ranges[TRACE_ID]!, ranges[TRACE_ID + 1]!);
    w.hexBytes(src, ranges[SPAN_ID]!, ranges[SPAN_ID + 1]!);
    w.hexBytes(src, ranges[PARENT_SPAN_ID]!, ranges[PARENT_SPAN_ID + 1]!);
    this.text(ranges[TRACE_STATE]!, ranges[TRACE_STATE + 1]!);
    w.u32(flags);
    this.text(ranges[NAME]!, ranges[NAME + 1]!, limits.maxNameBytes);
    w.u8(kind >= 0 && kind <= MAX_SPAN_KIND ? kind : 0);
    w.u8(statusCode >= 0 && statusCode <= MAX_STATUS_CODE ? statusCode : 0);
    this.text(ranges[STATUS_MESSAGE]!, ranges[STATUS_MESSAGE + 1]!, limits.maxStatusMessageBytes);
    if (route < 0) w.u8(0);
    else this.value(route);
    w.u16(statusCodeFromText(status ?? legacyStatus));
    w.varint(n);
    for (let i = 0; i < n; i++) this.text(this.keyStart[i]!, this.keyEnd[i]!);
    w.varint(n);
    for (let i = 0; i < n; i++) w.string(this.valueType[i]!);
    w.varint(n);
    for (let i = 0; i < n; i++) this.value(i);
    w.u32(addDropped(droppedAttributes, attributesOverLimit));
    writeEventColumns(w, events);
    w.u32(addDropped(droppedEvents, eventsOverLimit));
    writeLinkColumns(w, links);
    w.u32(addDropped(droppedLinks, linksOverLimit));
    writeOriginColumns(w, resource, scope);
    return '';
  }

  /** Records where a string or bytes field's value is (reader at its length prefix) and skips it. */
  private locate(field: number): void {
    const end = this.reader.lengthEnd();
    this.ranges[field] = this.reader.pos;
    this.ranges[field + 1] = end;
    this.reader.pos = end;
  }

  /** Bytes in a located field (0 when absent). */
  private length(field: number): number {
    return this.ranges[field + 1]! - this.ranges[field]!;
  }

  /**
   * One KeyValue (reader at its length prefix) into row `i` of the attribute table. Returns false
   * when its key is over the size limit: then the row is not kept (the attribute counts as dropped).
   */
  private readAttribute(i: number): boolean {
    if (i === this.capacity) this.grow();
    if (!this.readShortStringAttribute(i)) this.readAnyAttribute(i);
    return this.keyEnd[i]! - this.keyStart[i]! <= this.limits.maxAttributeKeyBytes;
  }

  private readAnyAttribute(i: number): void {
    const reader = this.reader;
    const outerEnd = enterMessage(reader);
    this.keyStart[i] = -1;
    this.keyEnd[i] = -1;
    this.valueStart[i] = -1;
    this.valueType[i] = 'empty';
    this.valueText[i] = '';
    while (reader.pos < reader.end) {
      const tag = reader.uint32();
      if (tag === 10) {
        // 1 key
        const end = reader.lengthEnd();
        this.keyStart[i] = reader.pos;
        this.keyEnd[i] = end;
        reader.pos = end;
      } else if (tag === 18) this.readValue(i); // 2 value
      else skipField(reader, tag, 'KeyValue', 2);
    }
    leaveMessage(reader, outerEnd);
  }

  /**
   * The common case in a few byte comparisons: a KeyValue that is exactly `key` and a `string_value`,
   * both shorter than 126 bytes, in the canonical encoding every SDK writes —
   *   [len] 0a [key len] key 12 [value len] 0a [string len] string
   * Anything else (other kinds, long values, unknown or repeated fields) returns false.
   */
  private readShortStringAttribute(i: number): boolean {
    const src = this.src;
    const p = this.reader.pos;
    const kvEnd = p + 1 + src[p]!;
    if (src[p]! >= 0x80 || kvEnd > this.reader.end || src[p + 1] !== 0x0a || src[p + 2]! >= 0x80) return false;
    const keyEnd = p + 3 + src[p + 2]!;
    const anyValueLength = src[keyEnd + 1]!;
    if (src[keyEnd] !== 0x12 || anyValueLength >= 0x80 || keyEnd + 2 + anyValueLength !== kvEnd) return false;
    if (src[keyEnd + 2] !== 0x0a || src[keyEnd + 3] !== anyValueLength - 2) return false;
    this.keyStart[i] = p + 3;
    this.keyEnd[i] = keyEnd;
    this.valueStart[i] = keyEnd + 4;
    this.valueEnd[i] = kvEnd;
    this.valueType[i] = 'string';
    this.valueText[i] = '';
    this.reader.pos = kvEnd;
    return true;
  }

  /** An AnyValue: a string value is located; any other kind is read as text by the decoder. */
  private readValue(i: number): void {
    const reader = this.reader;
    const valueAt = reader.pos;
    const outerEnd = enterMessage(reader);
    this.valueStart[i] = -1;
    this.valueType[i] = 'empty';
    this.valueText[i] = '';
    while (reader.pos < reader.end) {
      const tag = reader.uint32();
      if (tag !== 10) {
        // Not (only) a string: the whole AnyValue again, through the decoder's reader.
        reader.end = outerEnd;
        reader.pos = valueAt;
        const value = readAnyValueProto(reader, this.limits, this.anyValue);
        this.valueStart[i] = -1;
        this.valueType[i] = value.type;
        this.valueText[i] = value.text;
        return;
      }
      const end = reader.lengthEnd();
      this.valueStart[i] = reader.pos;
      this.valueEnd[i] = end;
      this.valueType[i] = 'string';
      reader.pos = end;
    }
    leaveMessage(reader, outerEnd);
  }

  /**
   * A string field's bytes as a String column ('' when absent); invalid UTF-8 becomes U+FFFD, and
   * text over `maxBytes` is cut on a character boundary, as the decoder does.
   */
  private text(start: number, end: number, maxBytes = Infinity): void {
    if (start < 0) this.w.u8(0);
    else if (end - start > maxBytes || !this.w.utf8Bytes(this.src, start, end)) {
      this.w.string(truncateUtf8(this.src.toString('utf8', start, end), maxBytes));
    }
  }

  /** Attribute value `i` in its text form, cut to the size limit like the decoder does. */
  private value(i: number): void {
    const start = this.valueStart[i]!;
    if (start < 0) return this.w.string(this.valueText[i]!);
    const end = this.valueEnd[i]!;
    const maxBytes = this.limits.maxAttributeValueBytes;
    if (end - start <= maxBytes && this.w.utf8Bytes(this.src, start, end)) return;
    this.w.string(truncateUtf8(this.src.toString('utf8', start, end), maxBytes));
  }

  private keyIs(i: number, key: Buffer): boolean {
    const start = this.keyStart[i]!;
    for (let j = 0; j < key.length; j++) if (this.src[start + j] !== key[j]) return false;
    return true;
  }

  private grow(): void {
    this.capacity *= 2;
    const grown = (a: Int32Array) => {
      const next = new Int32Array(this.capacity);
      next.set(a);
      return next;
    };
    this.keyStart = grown(this.keyStart);
    this.keyEnd = grown(this.keyEnd);
    this.valueStart = grown(this.valueStart);
    this.valueEnd = grown(this.valueEnd);
  }
}

/**
 * floor((high * 2^32 + low) / 1e9) exactly, in doubles: with 2^48 = 281474 * 1e9 + 976710656 and
 * 2^32 = 4 * 1e9 + 294967296, the remainders' sum stays below 2^53.
 */
function secondsOf(low: number, high: number): number {
  const hh = high >>> 16;
  const hl = high & 0xffff;
  return hh * 281474 + hl * 4 + Math.floor((hh * 976710656 + hl * 294967296 + low) / 1e9);
}

function allZero(src: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (src[i] !== 0) return false;
  return true;
}
