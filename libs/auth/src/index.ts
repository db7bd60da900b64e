export * from './auth-error.js';
export * from './principal.js';
export * from './roles.js';
export { DEV_TOKEN_CLAIM, MAX_TOKEN_LENGTH, claimAt, extractToken } from './claims.js';
export * from './token-verifier.js';
export * from './dev-issuer.js';
export * from './token-store.js';
