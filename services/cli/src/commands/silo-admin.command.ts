import type { Command } from 'commander';
import {
  DEFAULT_INVITATION_TTL_SECONDS,
  INVITATION_TTL_RULE,
  SILO_NAME_RULE,
  isInvitationTtl,
  isSiloName,
} from '../../../gateway/src/silos/silo-rules.js';
import type { SiloInvitationView, SiloView } from '../../../gateway/src/silos/silo-view.js';
import { connectGateway, DEFAULT_GATEWAY_URL } from '../gateway-client.js';
import { badArguments, formatTable, report } from '../output.js';

/** Enough of the SHA-256 fingerprint to tell keys apart in a table; the full one is in --json. */
const FINGERPRINT_PREFIX = 16;

interface GatewayOption {
  gateway?: string;
  json?: boolean;
}

/** The silo command the service commands declared (`silo start`), so that all of `cohort silo` lives in one place. */
export function siloCommandOf(program: Command): Command {
  const silo = program.commands.find((c) => c.name() === 'silo');
  return silo ?? program.command('silo').description("a hospital's silo");
}

function siloName(value: string): string {
  if (!isSiloName(value)) throw badArguments(`silo name "${value}" ${SILO_NAME_RULE}`);
  return value;
}

function parseTtl(value: string): number {
  // Digits only: Number() would also take "1e3", "0x3c" or " 60 ", which nobody means as a number of seconds.
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!isInvitationTtl(n)) throw badArguments(`--ttl ${INVITATION_TTL_RULE}, got "${value}"`);
  return n;
}

/** "2024-05-01 12:00:00Z": ISO 8601 without milliseconds, readable in a terminal. */
function formatTime(unixMs: number | null): string {
  if (unixMs === null || unixMs <= 0) return 'never';
  return new Date(unixMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

function formatDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function formatInvitation(invitation: SiloInvitationView, ttlSeconds: number): string {
  return [
    `Invited silo ${invitation.siloName}. Its join token is shown this once; hand it to the hospital's IT securely:`,
    '',
    `  ${invitation.joinToken}`,
    '',
    `It can be used once, until ${formatTime(invitation.expiresAtUnixMs)} (${formatDuration(ttlSeconds)}).`,
    'At the hospital, start the silo with it:',
    `  cohort silo start --config <file> --join-token ${invitation.joinToken}`,
  ].join('\n');
}

export function formatSilos(silos: readonly SiloView[]): string {
  if (silos.length === 0) return 'No silos yet. Invite one with: cohort silo invite <name>';
  return formatTable([
    ['NAME', 'STATUS', 'CONNECTED', 'LAST SEEN', 'KEY'],
    ...silos.map((s) => [
      s.siloId,
      s.status || 'unknown',
      s.connected ? 'yes' : 'no',
      formatTime(s.lastSeenUnixMs),
      s.keyFingerprint ? `${s.keyFingerprint.slice(0, FINGERPRINT_PREFIX)}…` : '-',
    ]),
  ]);
}

/**
 * `cohort silo invite|revoke|list`: the site admin's side of enrolment, through the gateway. Added to the existing
 * `silo` command because commander allows one command per name and `silo start` is already there.
 */
export function registerSiloAdminCommands(silo: Command): void {
  silo
    .command('invite')
    .description('create a one-time, expiring join token for a named silo (shown once)')
    .argument('<name>', 'the silo name: letters, digits, ".", "_", "-"; at most 63', siloName)
    .option(
      '--ttl <seconds>',
      `how long the token stays valid, 60 to 604800 s (default ${DEFAULT_INVITATION_TTL_SECONDS})`,
      parseTtl,
    )
    .option('--gateway <url>', `the gateway (default: COHORT_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})`)
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (name: string, o: GatewayOption & { ttl?: number }) => {
      const invitation = await connectGateway(o.gateway).inviteSilo(name, o.ttl);
      report(Boolean(o.json), invitation, () =>
        formatInvitation(invitation, o.ttl ?? DEFAULT_INVITATION_TTL_SECONDS),
      );
    });

  silo
    .command('revoke')
    .description('revoke a silo: it is refused from its next message on')
    .argument('<name>', 'the silo name', siloName)
    .option('--reason <text>', 'why, for the audit trail')
    .option('--gateway <url>', `the gateway (default: COHORT_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})`)
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (name: string, o: GatewayOption & { reason?: string }) => {
      const revoked = await connectGateway(o.gateway).revokeSilo(name, o.reason);
      report(
        Boolean(o.json),
        revoked,
        () =>
          `Revoked silo ${revoked.siloId} (status: ${revoked.status}); it is refused from its next message on.`,
      );
    });

  silo
    .command('list')
    .description('list silos: enrolment status, connection, last seen, key fingerprint')
    .option('--gateway <url>', `the gateway (default: COHORT_GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})`)
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (o: GatewayOption) => {
      const listed = await connectGateway(o.gateway).listSilos();
      report(Boolean(o.json), listed, () => formatSilos(listed.silos));
    });
}
