import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip, type Gzip } from 'node:zlib';

/**
 * Writes one resource per line to `<Type>.ndjson` (or `.ndjson.gz`), buffering up to 1 MiB and waiting for the
 * stream to drain, so an export of any size is written in constant memory.
 */
export class NdjsonWriter {
  private readonly out: WriteStream;
  private readonly sink: WriteStream | Gzip;
  private buffer: string[] = [];
  private buffered = 0;
  count = 0;

  constructor(path: string, gzip: boolean) {
    this.out = createWriteStream(path);
    if (gzip) {
      const z = createGzip({ level: 6 });
      z.pipe(this.out);
      this.sink = z;
    } else {
      this.sink = this.out;
    }
  }

  async write(resource: unknown): Promise<void> {
    const line = typeof resource === 'string' ? resource : JSON.stringify(resource);
    this.buffer.push(line, '\n');
    this.buffered += line.length + 1;
    this.count++;
    if (this.buffered >= 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    this.buffered = 0;
    if (!this.sink.write(text)) await once(this.sink, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.sink.end();
    await once(this.out, 'finish');
  }
}
