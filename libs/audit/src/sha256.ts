// SHA-256 to hex for the hot paths (one hash per entry and per Merkle node). crypto.hash skips the Hash
// object createHash allocates, about twice as fast for small inputs; it exists from Node 20.12.
import * as crypto from 'node:crypto';

type OneShot = (algorithm: string, data: Uint8Array, outputEncoding: 'hex') => string;
const oneShot = (crypto as { hash?: OneShot }).hash;

export const sha256Hex: (data: Uint8Array) => string =
  typeof oneShot === 'function'
    ? (data) => oneShot('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');
