// Reads a file or stream as lines with their numbers and byte offsets, so a reader can say exactly where a
// bad or incomplete line is.
import { createReadStream } from 'node:fs';

export interface Line {
  text: string;
  /** 1-based. */
  number: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** False for a last line without its newline. */
  terminated: boolean;
}

/** Lines of `chunks` (bytes or text); a final line without a newline is yielded with terminated: false. */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let offset = 0;
  let number = 0;
  for await (const chunk of chunks) {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let nl = bytes.indexOf(0x0a, start); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
      const piece = bytes.subarray(start, nl);
      const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      number++;
      yield { text: line.toString('utf8'), number, offset, terminated: true };
      offset += line.byteLength + 1;
      start = nl + 1;
    }
    if (start < bytes.byteLength) pending.push(Buffer.from(bytes.subarray(start)));
  }
  if (pending.length > 0) {
    number++;
    yield { text: Buffer.concat(pending).toString('utf8'), number, offset, terminated: false };
  }
}

/** Lines of the first `size` bytes of a file (all of it when size is undefined). */
export function fileLines(path: string, size?: number): AsyncGenerator<Line> {
  if (size === 0) return splitLines([]);
  return splitLines(
    createReadStream(path, size === undefined ? {} : { start: 0, end: size - 1 }) as AsyncIterable<Buffer>,
  );
}
