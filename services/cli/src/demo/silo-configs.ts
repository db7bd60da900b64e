import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { FederationFiles } from '../federation-init.js';

/**
 * A demo silo's configuration: the shipped example for its hospital (data, schema, policy), pointed at this
 * run's federation files and given its own state folder, as a hospital's IT would write it.
 */
export async function writeDemoSiloConfig(
  examplesDir: string,
  silo: string,
  federation: Pick<FederationFiles, 'caFile' | 'trustFile' | 'authorityDir'>,
  home: string,
): Promise<string> {
  const example = JSON.parse(await readFile(join(examplesDir, `silo-${silo}.json`), 'utf8')) as {
    datasets: { file?: string; trainFile?: string; testFile?: string; dir?: string }[];
  } & Record<string, unknown>;
  const absolute = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : isAbsolute(p) ? p : resolve(examplesDir, p);
  const config = {
    ...example,
    datasets: example.datasets.map((d) => ({
      ...d,
      file: absolute(d.file),
      trainFile: absolute(d.trainFile),
      testFile: absolute(d.testFile),
      dir: absolute(d.dir),
    })),
    tls: { caFile: federation.caFile },
    trustFile: federation.trustFile,
    attestation: { kind: 'insecure-dev', authorityDir: federation.authorityDir },
    stateDir: join(home, 'silos', silo),
  };
  await mkdir(join(home, 'silos'), { recursive: true });
  const path = join(home, 'silos', `${silo}.json`);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}
