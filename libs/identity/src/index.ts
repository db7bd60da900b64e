export * from './identity-error.js';
export * from './identity-key.js';
export * from './update-signature.js';
export * from './decision-signature.js';
export * from './receipt-signature.js';
export * from './join-token.js';
// Realm-independent error inspection, shared by the libraries that report Node and jose errors.
export { errorCodeOf, messageOf } from './realm-checks.js';
