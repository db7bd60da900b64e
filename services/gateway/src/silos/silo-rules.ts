// The rules of a silo invitation, without dependencies: the gateway enforces them and the CLI checks them first so
// that a mistyped argument exits with status 2 before any request is made.

/** A silo name is a DNS label in spirit (it ends up in certificates and file names), dots and underscores allowed. */
export const SILO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const SILO_NAME_RULE =
  'must be 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit';

export const MIN_INVITATION_TTL_SECONDS = 60;
/** A week: long enough for a hospital's change process, short enough that a leaked token soon goes stale. */
export const MAX_INVITATION_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_INVITATION_TTL_SECONDS = 24 * 3600;
export const INVITATION_TTL_RULE = `must be a whole number of seconds from ${MIN_INVITATION_TTL_SECONDS} to ${MAX_INVITATION_TTL_SECONDS}`;

export function isSiloName(value: string): boolean {
  return SILO_NAME_PATTERN.test(value);
}

export function isInvitationTtl(value: number): boolean {
  return (
    Number.isInteger(value) && value >= MIN_INVITATION_TTL_SECONDS && value <= MAX_INVITATION_TTL_SECONDS
  );
}
