export * from './errors.js';
export { SEALING_SCHEME, sealedLength } from './scheme.js';
export { generateSealingKeyPair, type SealingKeyPair } from './key-pair.js';
export { seal, open } from './seal.js';
export { updateAad, type UpdateAadFields } from './update-aad.js';
