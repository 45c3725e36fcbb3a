/**
 * A `dropped_*_count` as sent plus what the decoder dropped itself, saturating at the UInt32 column's
 * maximum: a sender's 4294967295 plus our own drops must not wrap around to a small number.
 */
export function addDropped(sent: number, droppedHere: number): number {
  return Math.min(0xffffffff, sent + droppedHere);
}
