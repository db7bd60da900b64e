// NDJSON as FHIR Bulk Data Access writes it (one resource per line, "\n" separated; HL7 FHIR Bulk Data IG,
// "Bulk Data Output File Organization"); a ".gz" file is gunzipped on the fly.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { FhirError } from './errors.js';

/**
 * Calls `onLine` for every non-blank line with its 1-based line number, streaming: only one chunk and the
 * line that straddles it are held, however large the file. A trailing "\r" (CRLF files) is dropped. Resolves
 * with the number of lines read; a file that cannot be read (or a broken gzip stream) throws
 * FHIR_EXPORT_UNREADABLE naming the file and the last line read.
 */
export async function forEachLine(
  file: string,
  onLine: (text: string, line: number) => void,
): Promise<number> {
  let stream: Readable = createReadStream(file, { highWaterMark: 1 << 20 });
  // Large inflate chunks: the default 16 KiB makes per-chunk overhead dominate on big exports.
  if (file.endsWith('.gz')) stream = stream.pipe(createGunzip({ chunkSize: 1 << 18 }));
  stream.setEncoding('utf8');
  let line = 0;
  let carry = '';
  const emit = (text: string): void => {
    line++;
    const t = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (t.trim() !== '') onLine(t, line);
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      let nl = chunk.indexOf('\n');
      if (nl >= 0 && carry !== '') {
        emit(carry + chunk.slice(0, nl));
        carry = '';
        start = nl + 1;
        nl = chunk.indexOf('\n', start);
      }
      while (nl >= 0) {
        emit(chunk.slice(start, nl));
        start = nl + 1;
        nl = chunk.indexOf('\n', start);
      }
      carry += chunk.slice(start);
    }
  } catch (err) {
    throw new FhirError(
      'FHIR_EXPORT_UNREADABLE',
      `cannot read ${file} (after line ${line}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (carry !== '') emit(carry);
  return line;
}
