import type { Command } from 'commander';
import { DEFAULT_DEV_ISSUER_URL, DevIssuer, ROLES, isRole } from '@cohort/auth';
import { DEFAULT_FEDERATION_DIR, federationPaths } from '../federation-init.js';
import { badArguments, parsePositiveInt, report } from '../output.js';

/** The gateway's audience unless it was started with another. */
const DEFAULT_AUDIENCE = 'cohort-gateway';

/** `cohort dev token`: a sign-in token from the federation's development issuer, for the demo and tests. */
export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('development helpers (never for real patient data)');
  dev
    .command('token')
    .description("print a bearer token from the federation's development issuer")
    .requiredOption('--role <role...>', `one or more of ${ROLES.join(', ')}`)
    .option('--subject <sub>', 'who the token names (the owner of the jobs it submits)')
    .option('--name <name>', 'a display name')
    .option('--ttl <seconds>', 'lifetime', parsePositiveInt('--ttl'), 8 * 3600)
    .option('--audience <aud>', "the gateway's audience", DEFAULT_AUDIENCE)
    .option('--federation <dir>', 'the files of `cohort init`', DEFAULT_FEDERATION_DIR)
    .option('--dev-issuer-dir <dir>', "the issuer's key folder (default: <federation>/dev-issuer)")
    .option('--json', 'print JSON')
    .action(
      async (o: {
        role: string[];
        subject?: string;
        name?: string;
        ttl: number;
        audience: string;
        federation: string;
        devIssuerDir?: string;
        json?: boolean;
      }) => {
        const unknown = o.role.filter((r) => !isRole(r));
        if (unknown.length > 0) {
          throw badArguments(`unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
        }
        const issuer = await DevIssuer.create({
          issuer: DEFAULT_DEV_ISSUER_URL,
          keyDir: o.devIssuerDir ?? federationPaths(o.federation).devIssuerDir,
        });
        const subject = o.subject ?? o.role[0];
        const token = await issuer.mint({
          subject,
          name: o.name,
          roles: o.role,
          audience: o.audience,
          ttlSeconds: o.ttl,
        });
        const expiresAt = new Date(Date.now() + o.ttl * 1000).toISOString();
        report(Boolean(o.json), { token, subject, roles: o.role, expiresAt }, () => token);
      },
    );
}
