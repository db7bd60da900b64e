import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FhirError } from './errors.js';
import { forEachLine } from './ndjson-reader.js';

async function collect(file: string): Promise<{ lines: [number, string][]; total: number }> {
  const lines: [number, string][] = [];
  const total = await forEachLine(file, (text, line) => lines.push([line, text]));
  return { lines, total };
}

describe('forEachLine', () => {
  it('numbers every line, skips blank ones, drops CR and keeps multi-byte text whole across chunks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fhir-ndjson-'));
    // Lines longer than the 1 MiB read size, with a 2-byte character right across a chunk boundary.
    const long = `{"a":"${'x'.repeat((1 << 20) - 7)}é${'y'.repeat(1000)}"}`;
    const text = `{"n":1}\r\n\n${long}\n  \n{"n":"ü"}`;
    await writeFile(join(dir, 'a.ndjson'), text);
    await writeFile(join(dir, 'a.ndjson.gz'), gzipSync(Buffer.from(text)));
    for (const f of ['a.ndjson', 'a.ndjson.gz']) {
      const { lines, total } = await collect(join(dir, f));
      expect(total).toBe(5);
      expect(lines.map(([n]) => n)).toEqual([1, 3, 5]);
      expect(lines[0][1]).toBe('{"n":1}');
      expect(lines[1][1]).toBe(long);
      expect(lines[2][1]).toBe('{"n":"ü"}');
    }
  });

  it('throws FHIR_EXPORT_UNREADABLE for a missing file or a corrupt gzip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fhir-ndjson-'));
    await expect(forEachLine(join(dir, 'none.ndjson'), () => undefined)).rejects.toThrow(FhirError);
    const gz = gzipSync(Buffer.from('{"n":1}\n'.repeat(1000)));
    await writeFile(join(dir, 'broken.ndjson.gz'), gz.subarray(0, gz.length - 20));
    await expect(forEachLine(join(dir, 'broken.ndjson.gz'), () => undefined)).rejects.toMatchObject({
      code: 'FHIR_EXPORT_UNREADABLE',
    });
  });
});
