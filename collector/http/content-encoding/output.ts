// What every decompressor shares: the decompressed-size limit, enforced while decompressing, and
// the two ways a body can fail (413 over the limit, 400 damaged).

/** The body inflates past the limit (HTTP 413). */
export class DecompressedTooLarge extends Error {
  override name = 'DecompressedTooLarge';
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes after decompression`);
  }
}

/** The body is not valid in its Content-Encoding (HTTP 400). */
export class CorruptContent extends Error {
  override name = 'CorruptContent';
}

/**
 * Collects decompressed chunks, throwing DecompressedTooLarge as soon as they pass `limit` bytes.
 * `inspect` sees every chunk as it is produced and may throw to stop decompressing (the OTLP/JSON
 * shape check refuses a JSON bomb at its first chunk).
 */
export class BoundedOutput {
  private readonly chunks: Uint8Array[] = [];
  size = 0;

  constructor(
    readonly limit: number,
    private readonly inspect: (chunk: Uint8Array) => void = () => {},
  ) {}

  /** Bytes that may still come. */
  get room(): number {
    return this.limit - this.size;
  }

  /** Throws unless `bytes` more fit. */
  reserve(bytes: number): void {
    if (bytes > this.room) throw new DecompressedTooLarge(this.limit);
  }

  push(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.inspect(chunk);
    this.size += chunk.length;
    if (chunk.length > 0) this.chunks.push(chunk);
  }

  concat(): Buffer {
    const first = this.chunks[0];
    if (this.chunks.length === 1 && first) return Buffer.from(first.buffer, first.byteOffset, first.byteLength);
    return Buffer.concat(this.chunks, this.size);
  }
}
