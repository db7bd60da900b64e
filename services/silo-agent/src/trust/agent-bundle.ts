import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listBundleFiles, measureBundle } from '@cohort/attestation';

const here = dirname(fileURLToPath(import.meta.url));
const fromDist = here.includes(join('dist', 'services'));
const ROOT = fromDist ? join(here, '../../../../..') : join(here, '../../../..');

/**
 * The silo agent's measurement: its own code and the libraries it loads (as it runs: built JavaScript, or the
 * TypeScript sources under the test runner), plus the lock file pinning its third-party code.
 */
const CODE_FOLDERS = [
  'services/silo-agent/src',
  'libs/data/src',
  'libs/training/src',
  'libs/model/src',
  'libs/evaluation/src',
  'libs/identity/src',
  'libs/sealing/src',
  'libs/attestation/src',
  'libs/protocol/src',
  'libs/config/src',
  'libs/privacy/src',
  'libs/observability/src',
  'libs/pki/src',
];

export async function measureAgent(root = ROOT, built = fromDist): Promise<string> {
  const include = CODE_FOLDERS.map((f) => (built ? `dist/${f}` : f));
  const code = await listBundleFiles(root, { include, extensions: [built ? '.js' : '.ts'] });
  return (await measureBundle(root, [...code, 'package-lock.json'])).measurement;
}

export const AGENT_COMPONENT = 'cohort-silo-agent';
