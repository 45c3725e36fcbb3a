import { Reader } from './collector/decode/wire.ts';
if (process.env.MODE === 'buffer') {
  Reader.prototype.string = function (this: Reader) {
    const end = this.lengthEnd(); const start = this.pos; this.pos = end;
    return (Buffer.prototype as any).utf8Slice.call(this.buf, start, end);
  };
}
await import('./.bench-tmp-decode.ts');
