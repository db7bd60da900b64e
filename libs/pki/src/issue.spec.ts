import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PkiError } from './errors.js';
import { createCertificateRequest, issueServerCertificate, signClientCertificate } from './issue.js';
import { type LocalCa, createLocalCa } from './local-ca.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof PkiError ? e.code : String(e)),
  );
}

/** Re-encodes a PEM body after `edit` changed its DER bytes. */
function editPem(pem: string, label: string, edit: (der: Buffer) => void): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  edit(der);
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

describe('issuing certificates', () => {
  let root: string;
  let ca: LocalCa;
  let caCert: X509Certificate;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cohort-pki-'));
    ca = await createLocalCa(join(root, 'ca'));
    caCert = new X509Certificate(ca.certPem);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe('issueServerCertificate', () => {
    it('issues a serverAuth certificate with DNS and IP SANs, signed by the CA', async () => {
      const { certPem, keyPem } = await issueServerCertificate(ca, {
        commonName: 'aggregator',
        dnsNames: ['localhost', 'aggregator.cohort.internal'],
        ipAddresses: ['127.0.0.1', '::1'],
      });
      const cert = new X509Certificate(certPem);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.ca).toBe(false);
      expect(cert.subject).toBe('CN=aggregator');
      expect(cert.keyUsage).toEqual([SERVER_AUTH]);
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.checkIP('::1')).toBe('::1');
      expect(cert.checkHost('localhost')).toBe('localhost');
      expect(cert.checkHost('aggregator.cohort.internal')).toBe('aggregator.cohort.internal');
      expect(cert.checkHost('evil.example')).toBeUndefined();
      expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
      expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(364 * 86_400_000);
    });

    it('uses a new random serial every time', async () => {
      const opts = { commonName: 'a', dnsNames: ['localhost'], ipAddresses: [] };
      const one = new X509Certificate((await issueServerCertificate(ca, opts)).certPem);
      const two = new X509Certificate((await issueServerCertificate(ca, opts)).certPem);
      expect(one.serialNumber).not.toBe(two.serialNumber);
      expect(one.serialNumber).toMatch(/^[0-9A-F]{32}$/);
    });

    it.each([
      [{ dnsNames: [], ipAddresses: [] }],
      [{ dnsNames: ['not a host'], ipAddresses: [] }],
      [{ dnsNames: [], ipAddresses: ['300.1.1.1'] }],
      [{ dnsNames: ['localhost'], ipAddresses: [], validityDays: -1 }],
    ])('refuses %j → INVALID_ARGUMENT', async (opts) => {
      expect(await codeOf(issueServerCertificate(ca, { commonName: 'x', ...opts }))).toBe('INVALID_ARGUMENT');
    });
  });

  describe('createCertificateRequest and signClientCertificate', () => {
    it('signs a clientAuth certificate for the key the silo kept', async () => {
      const { csrPem, keyPem } = await createCertificateRequest('silo-cleveland');
      expect(csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
      const certPem = await signClientCertificate(ca, csrPem, {
        commonName: 'silo-cleveland',
        validityDays: 10,
      });
      const cert = new X509Certificate(certPem);
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.subject).toBe('CN=silo-cleveland');
      expect(cert.keyUsage).toEqual([CLIENT_AUTH]);
      expect(cert.ca).toBe(false);
      const key = createPrivateKey(keyPem);
      expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(cert.checkPrivateKey(key)).toBe(true);
      expect(Date.parse(cert.validTo) - Date.now()).toBeLessThanOrEqual(10 * 86_400_000);
    });

    it('a CSR whose CN differs from the name being enrolled → CSR_INVALID', async () => {
      const { csrPem } = await createCertificateRequest('silo-hungary');
      expect(await codeOf(signClientCertificate(ca, csrPem, { commonName: 'silo-cleveland' }))).toBe(
        'CSR_INVALID',
      );
    });

    it('a CSR altered in transit to name another silo → CSR_INVALID (self-signature broken)', async () => {
      const { csrPem } = await createCertificateRequest('silo-aaaaa');
      const tampered = editPem(csrPem, 'CERTIFICATE REQUEST', (der) => {
        const at = der.indexOf(Buffer.from('silo-aaaaa'));
        der.write('silo-bbbbb', at, 'latin1');
      });
      expect(tampered).not.toBe(csrPem);
      expect(await codeOf(signClientCertificate(ca, tampered, { commonName: 'silo-bbbbb' }))).toBe(
        'CSR_INVALID',
      );
    });

    it('a CSR with a damaged signature → CSR_INVALID', async () => {
      const { csrPem } = await createCertificateRequest('silo-va');
      const tampered = editPem(csrPem, 'CERTIFICATE REQUEST', (der) => {
        der[der.length - 5] ^= 0x01;
      });
      expect(await codeOf(signClientCertificate(ca, tampered, { commonName: 'silo-va' }))).toBe(
        'CSR_INVALID',
      );
    });

    it('something that is not a CSR → CSR_INVALID', async () => {
      expect(await codeOf(signClientCertificate(ca, 'hello', { commonName: 'x' }))).toBe('CSR_INVALID');
      expect(await codeOf(signClientCertificate(ca, ca.certPem, { commonName: 'x' }))).toBe('CSR_INVALID');
    });

    it('keeps a comma in a name from injecting subject attributes', async () => {
      const { csrPem } = await createCertificateRequest('silo, O=Evil');
      const certPem = await signClientCertificate(ca, csrPem, { commonName: 'silo, O=Evil' });
      const cert = new X509Certificate(certPem);
      expect(cert.toLegacyObject().subject).toEqual({ CN: 'silo, O=Evil' });
    });
  });
});
