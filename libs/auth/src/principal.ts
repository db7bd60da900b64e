import type { Role } from './roles.js';

/** Who is calling, as established by a verified token. */
export interface Principal {
  /** The token's `sub`: stable per issuer, and what ownership of a job is recorded against. */
  subject: string;
  /** For display and audit lines only (never for decisions): the username claim, else `sub`. */
  name: string;
  /** The known roles in the token's role claim; never empty. */
  roles: Role[];
  issuer: string;
  expiresAt: Date;
}
