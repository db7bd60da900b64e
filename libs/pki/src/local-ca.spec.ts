import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PkiError } from './errors.js';
import { issueServerCertificate } from './issue.js';
import { CA_CERT_FILE, CA_KEY_FILE, LocalCa, createLocalCa } from './local-ca.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof PkiError ? e.code : String(e)),
  );
}

describe('local CA', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-pki-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a self-signed ECDSA P-256 CA certificate and a 0600 PKCS#8 key', async () => {
    const dir = join(root, 'ca');
    const ca = await createLocalCa(dir, { commonName: 'Test CA', validityDays: 30 });

    const cert = new X509Certificate(await readFile(join(dir, CA_CERT_FILE), 'utf8'));
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=Test CA');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);

    const keyPem = await readFile(join(dir, CA_KEY_FILE), 'utf8');
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((await stat(join(dir, CA_KEY_FILE))).mode & 0o777).toBe(0o600);

    expect(ca.certPem).toBe(cert.toString());
    expect(ca.signingKey.extractable).toBe(false);
  });

  it('marks the CA certificate for certificate signing only, with path length 0', async () => {
    const ca = await createLocalCa(join(root, 'ca'));
    const text = new X509Certificate(ca.certPem).toLegacyObject();
    expect(text.subject).toEqual({ CN: 'Cohort local CA' });
    expect(ca.certificate.getExtension('2.5.29.19')?.critical).toBe(true);
    expect(ca.certificate.getExtension('2.5.29.15')?.critical).toBe(true);
  });

  it('loads what it created and signs with it', async () => {
    const dir = join(root, 'ca');
    await createLocalCa(dir);
    const loaded = await LocalCa.load(dir);
    const server = await issueServerCertificate(loaded, {
      commonName: 'aggregator',
      dnsNames: ['localhost'],
      ipAddresses: [],
    });
    expect(new X509Certificate(server.certPem).verify(new X509Certificate(loaded.certPem).publicKey)).toBe(
      true,
    );
  });

  it('refuses to replace an existing CA → CA_EXISTS, leaving it intact', async () => {
    const dir = join(root, 'ca');
    const first = await createLocalCa(dir);
    expect(await codeOf(createLocalCa(dir))).toBe('CA_EXISTS');
    expect((await LocalCa.load(dir)).certPem).toBe(first.certPem);
  });

  it('does not leave a stray key when only the certificate was present → CA_EXISTS', async () => {
    const dir = join(root, 'ca');
    await createLocalCa(dir);
    await rm(join(dir, CA_KEY_FILE));
    expect(await codeOf(createLocalCa(dir))).toBe('CA_EXISTS');
    expect(await codeOf(readFile(join(dir, CA_KEY_FILE)))).toMatch(/ENOENT/);
  });

  it('reports a missing CA → CA_NOT_FOUND', async () => {
    expect(await codeOf(LocalCa.load(join(root, 'nowhere')))).toBe('CA_NOT_FOUND');
  });

  it('refuses a key that is not the certificate’s → CA_KEY_MISMATCH', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    await createLocalCa(a);
    await createLocalCa(b);
    await copyFile(join(b, CA_KEY_FILE), join(a, CA_KEY_FILE));
    expect(await codeOf(LocalCa.load(a))).toBe('CA_KEY_MISMATCH');
  });

  it('refuses a garbage key → CA_KEY_MISMATCH', async () => {
    const dir = join(root, 'ca');
    await createLocalCa(dir);
    await writeFile(join(dir, CA_KEY_FILE), 'not a key');
    expect(await codeOf(LocalCa.load(dir))).toBe('CA_KEY_MISMATCH');
  });

  it('refuses an end-entity certificate as CA → CA_INVALID', async () => {
    const dir = join(root, 'ca');
    const ca = await createLocalCa(dir);
    const leaf = await issueServerCertificate(ca, {
      commonName: 'x',
      dnsNames: ['localhost'],
      ipAddresses: [],
    });
    const fake = join(root, 'fake');
    await createLocalCa(fake);
    await writeFile(join(fake, CA_CERT_FILE), leaf.certPem);
    await writeFile(join(fake, CA_KEY_FILE), leaf.keyPem);
    expect(await codeOf(LocalCa.load(fake))).toBe('CA_INVALID');
    await writeFile(join(fake, CA_CERT_FILE), 'not a certificate');
    expect(await codeOf(LocalCa.load(fake))).toBe('CA_INVALID');
  });

  it('refuses unusable options → INVALID_ARGUMENT', async () => {
    expect(await codeOf(createLocalCa(join(root, 'a'), { validityDays: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(createLocalCa(join(root, 'b'), { commonName: '' }))).toBe('INVALID_ARGUMENT');
  });
});
