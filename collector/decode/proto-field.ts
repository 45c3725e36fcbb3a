import { PayloadError } from '../rows/types.ts';
import type { Reader } from './wire.ts';

/**
 * Skips a field that a message's tag switch did not match. The decoders switch on whole tags
 * (`field << 3 | wire type`), so a known field number (1..lastKnown) landing here has the wrong wire
 * type: the message is undecodable. Any other field is unknown and skipped by its wire type.
 */
export function skipField(reader: Reader, tag: number, message: string, lastKnown: number): void {
  const field = tag >>> 3;
  if (field === 0) throw new PayloadError(`${message}: invalid field number 0`);
  if (field <= lastKnown) throw new PayloadError(`${message}: field ${field} has wrong wire type ${tag & 7}`);
  reader.skip(tag & 7);
}

/**
 * Enters a length-delimited field: the reader's `end` becomes the sub-message's end, so every read
 * inside is bounds-checked against it. Returns the enclosing end, to hand back to `leaveMessage`.
 */
export function enterMessage(reader: Reader): number {
  const outerEnd = reader.end;
  reader.end = reader.lengthEnd();
  return outerEnd;
}

export function leaveMessage(reader: Reader, outerEnd: number): void {
  reader.end = outerEnd;
}
