import type { Principal } from './principal.js';
import {
  can,
  isPermission,
  isRole,
  ownsOrCan,
  PERMISSIONS,
  permissionsOf,
  ROLE_MATRIX,
  ROLES,
  type Permission,
  type Role,
} from './roles.js';

const principal = (subject: string, ...roles: Role[]): Principal => ({
  subject,
  name: subject,
  roles,
  issuer: 'https://idp.example',
  expiresAt: new Date(Date.now() + 60_000),
});

describe('the role matrix', () => {
  // The whole matrix, written out once more by hand: a change to ROLE_MATRIX must be a change to this table too.
  const expected: Record<Role, Permission[]> = {
    researcher: ['job.submit', 'job.read.own', 'job.cancel.own', 'model.download.own'],
    compliance: ['job.read.any', 'audit.read', 'audit.export', 'audit.verify'],
    'site-admin': ['silo.invite', 'silo.list', 'silo.revoke'],
    admin: [...PERMISSIONS],
  };

  it.each(ROLES.flatMap((role) => PERMISSIONS.map((permission) => [role, permission] as const)))(
    '%s / %s',
    (role, permission) => {
      expect(can(principal('u', role), permission)).toBe(expected[role].includes(permission));
    },
  );

  it('covers every role, with permissions that exist', () => {
    expect(Object.keys(ROLE_MATRIX).sort()).toEqual([...ROLES].sort());
    for (const permissions of Object.values(ROLE_MATRIX)) {
      expect(permissions.every(isPermission)).toBe(true);
    }
  });

  it('never lets compliance download a model, whatever the ownership', () => {
    const auditor = principal('carol', 'compliance');

    expect(permissionsOf(['compliance']).filter((p) => p.startsWith('model.'))).toEqual([]);
    expect(ownsOrCan(auditor, 'carol', 'model.download.own', 'model.download.any')).toBe(false);
    expect(ownsOrCan(auditor, 'alice', 'model.download.own', 'model.download.any')).toBe(false);
    expect(ownsOrCan(auditor, 'alice', 'job.read.own', 'job.read.any')).toBe(true);
  });

  it('is frozen, so no caller can grant a role more at run time', () => {
    expect(Object.isFrozen(ROLE_MATRIX)).toBe(true);
    expect(Object.isFrozen(ROLE_MATRIX.compliance)).toBe(true);
    expect(() => (ROLE_MATRIX.compliance as Permission[]).push('model.download.any')).toThrow(TypeError);
  });
});

describe('permissionsOf', () => {
  it('unites the roles in PERMISSIONS order without duplicates', () => {
    expect(permissionsOf(['site-admin', 'researcher', 'researcher'])).toEqual([
      'job.submit',
      'job.read.own',
      'job.cancel.own',
      'model.download.own',
      'silo.invite',
      'silo.list',
      'silo.revoke',
    ]);
  });

  it('grants nothing for no role or an unknown one', () => {
    expect(permissionsOf([])).toEqual([]);
    expect(permissionsOf(['superuser' as Role])).toEqual([]);
  });
});

describe('ownsOrCan', () => {
  const alice = principal('alice', 'researcher');

  it('lets a researcher read and download her own job, not another researcher’s', () => {
    expect(ownsOrCan(alice, 'alice', 'model.download.own', 'model.download.any')).toBe(true);
    expect(ownsOrCan(alice, 'bob', 'model.download.own', 'model.download.any')).toBe(false);
    expect(ownsOrCan(alice, 'bob', 'job.read.own', 'job.read.any')).toBe(false);
    expect(ownsOrCan(alice, 'bob', 'job.cancel.own', 'job.cancel.any')).toBe(false);
  });

  it('lets an admin act on anyone’s job through the any-permission', () => {
    expect(ownsOrCan(principal('root', 'admin'), 'bob', 'model.download.own', 'model.download.any')).toBe(
      true,
    );
  });

  it('does not count an unowned resource or an empty subject as owned', () => {
    expect(ownsOrCan(alice, undefined, 'job.read.own', 'job.read.any')).toBe(false);
    expect(ownsOrCan(principal('', 'researcher'), '', 'job.read.own', 'job.read.any')).toBe(false);
  });

  it('needs the own-permission as well as ownership', () => {
    expect(ownsOrCan(principal('sam', 'site-admin'), 'sam', 'job.cancel.own', 'job.cancel.any')).toBe(false);
  });
});

describe('isRole', () => {
  it('knows exactly the four roles', () => {
    expect(ROLES.every(isRole)).toBe(true);
    expect(['Researcher', 'owner', '', undefined, 3].some(isRole)).toBe(false);
  });
});
