/** @cohort/auth's TokenVerifier for the configured issuer. */
export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');
/** The built-in development issuer, or null when an OpenID Connect provider is configured. */
export const DEV_ISSUER = Symbol('DEV_ISSUER');
