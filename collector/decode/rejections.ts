/** Counts items rejected by a decoder (OTLP partial success) and words the error message. */
export class Rejections {
  count = 0;
  private readonly reasons = new Map<string, number>();

  /** `item` is the singular noun used in the message: 'span', 'data point', 'log record'. */
  constructor(private readonly item: string) {}

  add(reason: string): void {
    this.count++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
  }

  /** e.g. `2 spans rejected: invalid trace_id length (expected 16 bytes)`; '' when none. */
  message(): string {
    if (this.count === 0) return '';
    const noun = this.count === 1 ? this.item : `${this.item}s`;
    const reasons =
      this.reasons.size === 1
        ? [...this.reasons.keys()][0]
        : [...this.reasons].map(([reason, n]) => `${reason} (${n})`).join('; ');
    return `${this.count} ${noun} rejected: ${reasons}`;
  }
}
