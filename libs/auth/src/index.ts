export * from './auth-error.js';
export * from './principal.js';
export * from './roles.js';
