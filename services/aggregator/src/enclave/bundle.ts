import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listBundleFiles, measureBundle } from '@cohort/attestation';

const here = dirname(fileURLToPath(import.meta.url));
const fromDist = here.includes(join('dist', 'services'));

/** The checkout the enclave runs from: every measured path is relative to it. */
export const BUNDLE_ROOT = fromDist ? join(here, '../../../../..') : join(here, '../../../..');

/**
 * What the enclave's measurement covers (documented in services/aggregator/ENCLAVE.md): its own code and every
 * library of ours it loads, as it runs (the built JavaScript, or the TypeScript sources under the test runner),
 * plus the lock file that pins the third-party code it loads. One changed byte changes the measurement.
 */
const CODE_FOLDERS = [
  'services/aggregator/src/enclave',
  'libs/sealing/src',
  'libs/aggregation/src',
  'libs/identity/src',
  'libs/attestation/src',
  'libs/privacy/src',
  'libs/protocol/src',
];

export async function enclaveBundleFiles(root = BUNDLE_ROOT, built = fromDist): Promise<string[]> {
  const include = CODE_FOLDERS.map((f) => (built ? `dist/${f}` : f));
  const code = await listBundleFiles(root, { include, extensions: [built ? '.js' : '.ts'] });
  return [...code, 'package-lock.json'];
}

export async function measureEnclave(root = BUNDLE_ROOT, built = fromDist): Promise<string> {
  const { measurement } = await measureBundle(root, await enclaveBundleFiles(root, built));
  return measurement;
}
