// Signed checkpoints: every so often the writer signs the head of the log and the Merkle root of the entries
// since the previous checkpoint. The signature is a compact JWS (EdDSA) whose payload is the canonical JSON
// of the checkpoint's claims, so any JOSE library can check it; the SHA-256 of that payload is the
// checkpoint's hash, which the next checkpoint names, chaining the checkpoints as the entries are chained.
import { createHash, type KeyObject } from 'node:crypto';
import { fingerprintOfPublicKey, identityFromPrivateKey, requireEd25519PublicKey } from '@cohort/identity';
import { CompactSign, compactVerify, decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';
import { AuditError, messageOf } from './audit-error.js';
import { canonicalJson, isPlainObject } from './canonical-json.js';
import { GENESIS_HASH, type AuditHead } from './entry.js';
import { MerkleAccumulator } from './merkle.js';

export const CHECKPOINT_JWS_TYPE = 'cohort-audit-checkpoint+jws';
/** The `format` claim of every checkpoint payload. */
export const CHECKPOINT_FORMAT = 'cohort-audit-checkpoint/1';

export interface AuditCheckpoint {
  /** Checkpoint number, 1-based and contiguous. */
  seq: number;
  /** First entry covered: the previous checkpoint's toSeq + 1 (1 for checkpoint 1). */
  fromSeq: number;
  /** Last entry covered, inclusive. */
  toSeq: number;
  /** Hash of entry toSeq. */
  headHash: string;
  /** RFC 6962 Merkle root over the hashes of entries fromSeq..toSeq. */
  merkleRoot: string;
  /** When it was signed, ISO-8601 UTC with milliseconds. */
  time: string;
  /** Hash of the previous checkpoint; GENESIS_HASH for checkpoint 1. */
  prevCheckpointHash: string;
  /** Fingerprint (hex SHA-256 of the raw Ed25519 public key) of the signing key; the JWS kid. */
  signer: string;
  /** Compact JWS, EdDSA, typ cohort-audit-checkpoint+jws, payload = checkpointPayload(this). */
  signature: string;
}

export type CheckpointBody = Omit<AuditCheckpoint, 'signature'>;

/** The JWS payload: canonical JSON of the claims (the checkpoint's fields but the signature, plus format). */
export function checkpointPayload(body: CheckpointBody): string {
  return canonicalJson({
    format: CHECKPOINT_FORMAT,
    seq: body.seq,
    fromSeq: body.fromSeq,
    toSeq: body.toSeq,
    headHash: body.headHash,
    merkleRoot: body.merkleRoot,
    time: body.time,
    prevCheckpointHash: body.prevCheckpointHash,
    signer: body.signer,
  });
}

/** Lowercase hex SHA-256 of the checkpoint's payload: what the next checkpoint's prevCheckpointHash names. */
export function checkpointHash(body: CheckpointBody): string {
  return createHash('sha256').update(checkpointPayload(body), 'utf8').digest('hex');
}

export interface CheckpointSigner {
  /** The signing key's fingerprint, written as `signer` and as the JWS kid. */
  readonly kid: string;
  sign(body: CheckpointBody): Promise<string>;
}

/** A signer over an Ed25519 private key (a silo's identity key, the aggregator's audit key). */
export function createCheckpointSigner(privateKey: KeyObject): CheckpointSigner {
  let kid: string;
  try {
    kid = identityFromPrivateKey(privateKey).fingerprint;
  } catch (cause) {
    throw new AuditError(
      'KEY_INVALID',
      `checkpoints are signed with an Ed25519 private key: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  return {
    kid,
    sign: async (body) => {
      if (body.signer !== kid) {
        throw new AuditError(
          'CHECKPOINT_INVALID',
          `the checkpoint names signer ${body.signer}, but this key is ${kid}`,
        );
      }
      return new CompactSign(Buffer.from(checkpointPayload(body), 'utf8'))
        .setProtectedHeader({ alg: 'EdDSA', typ: CHECKPOINT_JWS_TYPE, kid })
        .sign(privateKey);
    },
  };
}

/**
 * Signs the next checkpoint after `previous`, covering the entries up to `head`; null when there are none.
 * `hashes` are the hashes of entries previous.toSeq + 1 … head.seq in order (the caller reads them under the
 * same lock as the head); a count or head that does not fit is STORE_CORRUPT, since it means a hole.
 */
export async function createCheckpoint(args: {
  previous: AuditCheckpoint | null;
  head: AuditHead;
  hashes: Iterable<string>;
  time: string;
  signer: CheckpointSigner;
}): Promise<AuditCheckpoint | null> {
  const { previous, head, signer } = args;
  const fromSeq = (previous?.toSeq ?? 0) + 1;
  if (head.seq < fromSeq) return null;
  const tree = new MerkleAccumulator();
  let last: string | undefined;
  for (const hash of args.hashes) {
    tree.push(hash);
    last = hash;
  }
  const expected = head.seq - fromSeq + 1;
  if (tree.size !== expected || last !== head.hash) {
    throw new AuditError(
      'STORE_CORRUPT',
      `cannot checkpoint entries ${fromSeq}–${head.seq}: found ${tree.size} entries ending in ${last ?? 'nothing'}, expected ${expected} ending in the head ${head.hash}`,
    );
  }
  const body: CheckpointBody = {
    seq: (previous?.seq ?? 0) + 1,
    fromSeq,
    toSeq: head.seq,
    headHash: head.hash,
    merkleRoot: tree.root(),
    time: args.time,
    prevCheckpointHash: previous ? checkpointHash(previous) : GENESIS_HASH,
    signer: signer.kid,
  };
  return { ...body, signature: await signer.sign(body) };
}

/**
 * The keys trusted to sign checkpoints: a map from kid (key fingerprint) to public key, a list of public keys
 * (indexed by their fingerprints), or a resolver (a key directory, the enrolment table).
 */
export type AuditPublicKeys =
  | ReadonlyMap<string, KeyObject>
  | readonly KeyObject[]
  | ((kid: string) => KeyObject | undefined | Promise<KeyObject | undefined>);

export type KeyResolver = (kid: string) => Promise<KeyObject | undefined>;

export function keyResolver(keys: AuditPublicKeys): KeyResolver {
  if (typeof keys === 'function') return async (kid) => keys(kid);
  if (Array.isArray(keys)) {
    const byKid = new Map<string, KeyObject>();
    for (const key of keys as readonly KeyObject[]) {
      try {
        byKid.set(fingerprintOfPublicKey(key), key);
      } catch (cause) {
        throw new AuditError(
          'KEY_INVALID',
          `a checkpoint key is not an Ed25519 public key: ${messageOf(cause)}`,
          {
            cause,
          },
        );
      }
    }
    return (kid) => Promise.resolve(byKid.get(kid));
  }
  const map = keys as ReadonlyMap<string, KeyObject>;
  return (kid) => Promise.resolve(map.get(kid));
}

// A checkpoint JWS is about 600 characters; anything far longer is not one of ours and is not parsed.
const MAX_JWS_LENGTH = 8192;
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;
const HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

/**
 * Why the checkpoint's signature does not hold, or null when it does: the JWS is well-formed (EdDSA, typ,
 * kid = signer, no other header parameters), the key is trusted, the signature verifies, and its payload is
 * exactly checkpointPayload(checkpoint), so no field was changed after signing.
 */
export async function checkpointSignatureProblem(
  checkpoint: AuditCheckpoint,
  resolve: KeyResolver,
): Promise<string | null> {
  const jws = checkpoint.signature;
  if (typeof jws !== 'string' || jws.length > MAX_JWS_LENGTH) return 'the signature is not a compact JWS';
  const segments = jws.split('.');
  if (segments.length !== 3 || !segments.every((s) => BASE64URL_SEGMENT.test(s))) {
    return 'the signature is not a compact JWS (three base64url segments)';
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return 'the JWS protected header is not base64url JSON';
  }
  const unexpected = Object.keys(header).filter((name) => !HEADER_PARAMETERS.has(name));
  if (unexpected.length > 0) return `the JWS header has unexpected parameters: ${unexpected.join(', ')}`;
  if (header.alg !== 'EdDSA') return `the JWS alg is ${String(header.alg)}, not EdDSA`;
  if (header.typ !== CHECKPOINT_JWS_TYPE)
    return `the JWS typ is ${String(header.typ)}, not ${CHECKPOINT_JWS_TYPE}`;
  if (header.kid !== checkpoint.signer) {
    return `the JWS kid ${String(header.kid)} is not the checkpoint's signer ${checkpoint.signer}`;
  }
  let key: KeyObject | undefined;
  try {
    key = await resolve(checkpoint.signer);
  } catch (cause) {
    return `looking up key ${checkpoint.signer} failed: ${messageOf(cause)}`;
  }
  if (key === undefined)
    return `it is signed by key ${checkpoint.signer}, which is not a trusted checkpoint key`;
  try {
    requireEd25519PublicKey(key);
  } catch (cause) {
    return `the trusted key for ${checkpoint.signer} is unusable: ${messageOf(cause)}`;
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, key, { algorithms: ['EdDSA'] }));
  } catch {
    return `the signature does not verify under key ${checkpoint.signer}`;
  }
  let expected: string;
  try {
    expected = checkpointPayload(checkpoint);
  } catch (cause) {
    return `the checkpoint's fields cannot be encoded: ${messageOf(cause)}`;
  }
  if (!Buffer.from(payload).equals(Buffer.from(expected, 'utf8'))) {
    return 'the signature is valid but over different claims: a field was changed after signing';
  }
  return null;
}

/** The shape of a checkpoint read from outside; values are judged by verification, not here. */
export function parseAuditCheckpoint(value: unknown): AuditCheckpoint {
  if (!isPlainObject(value)) throw new AuditError('CHECKPOINT_INVALID', 'a checkpoint must be a JSON object');
  const seq = value.seq;
  const integer = (name: string): number => {
    const field = value[name];
    if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < 1) {
      throw new AuditError(
        'CHECKPOINT_INVALID',
        `checkpoint ${String(seq)}: ${name} must be a positive integer, got ${JSON.stringify(field)}`,
      );
    }
    return field;
  };
  const text = (name: string): string => {
    const field = value[name];
    if (typeof field !== 'string') {
      throw new AuditError('CHECKPOINT_INVALID', `checkpoint ${String(seq)}: ${name} must be a string`);
    }
    return field;
  };
  return {
    seq: integer('seq'),
    fromSeq: integer('fromSeq'),
    toSeq: integer('toSeq'),
    headHash: text('headHash'),
    merkleRoot: text('merkleRoot'),
    time: text('time'),
    prevCheckpointHash: text('prevCheckpointHash'),
    signer: text('signer'),
    signature: text('signature'),
  };
}
