// Cohort's roles and what each may do, as data: the gateway checks a permission per endpoint, and its tests
// walk the whole role × endpoint matrix from ROLE_MATRIX rather than from a copy of it.
import type { Principal } from './principal.js';

export const ROLES = ['researcher', 'compliance', 'site-admin', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'job.submit',
  'job.read.own',
  /** Every job's metadata (status, rounds, metrics); never its model, which is `model.download.*`. */
  'job.read.any',
  'job.cancel.own',
  'job.cancel.any',
  'model.download.own',
  'model.download.any',
  'audit.read',
  'audit.export',
  'audit.verify',
  /** Issuing a join token: the step that lets a hospital enrol. */
  'silo.invite',
  'silo.list',
  'silo.revoke',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);
const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && ROLE_SET.has(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && PERMISSION_SET.has(value);
}

function frozen<T>(values: readonly T[]): readonly T[] {
  return Object.freeze([...values]);
}

/**
 * The fixed grant of each role. Compliance reads every job's metadata and the audit trail but holds no
 * `model.download.*`: a model trained on patient records is released to the researchers who asked for it, not
 * to the people who check that the federation kept its rules.
 */
export const ROLE_MATRIX: Readonly<Record<Role, readonly Permission[]>> = Object.freeze({
  researcher: frozen<Permission>(['job.submit', 'job.read.own', 'job.cancel.own', 'model.download.own']),
  compliance: frozen<Permission>(['job.read.any', 'audit.read', 'audit.export', 'audit.verify']),
  'site-admin': frozen<Permission>(['silo.invite', 'silo.list', 'silo.revoke']),
  admin: frozen<Permission>(PERMISSIONS),
});

/** The union of the roles' permissions, in PERMISSIONS order. */
export function permissionsOf(roles: readonly Role[]): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) {
    // Roles reach here from tokens and configuration; an unknown string grants nothing rather than throwing.
    if (!isRole(role)) continue;
    for (const permission of ROLE_MATRIX[role]) granted.add(permission);
  }
  return PERMISSIONS.filter((permission) => granted.has(permission));
}

export function can(principal: Pick<Principal, 'roles'>, permission: Permission): boolean {
  return principal.roles.some((role) => isRole(role) && ROLE_MATRIX[role].includes(permission));
}

/**
 * True when the principal holds `anyPermission`, or owns the resource (its subject is `ownerSubject`) and
 * holds `ownPermission`. Ownership is compared by `sub`, never by display name, which users can often edit.
 */
export function ownsOrCan(
  principal: Pick<Principal, 'subject' | 'roles'>,
  ownerSubject: string | undefined,
  ownPermission: Permission,
  anyPermission: Permission,
): boolean {
  if (can(principal, anyPermission)) return true;
  // An empty subject on either side would otherwise make every unowned resource "owned".
  const owns =
    typeof ownerSubject === 'string' &&
    ownerSubject !== '' &&
    principal.subject !== '' &&
    principal.subject === ownerSubject;
  return owns && can(principal, ownPermission);
}
