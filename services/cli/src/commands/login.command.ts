import type { Command } from 'commander';
import { saveToken } from '@cohort/auth';
import { rm } from 'node:fs/promises';
import { GatewayClient, connectGateway, tokenFile } from '../gateway-client.js';
import { badArguments, report } from '../output.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** `cohort login` / `cohort logout`: the bearer token every other command sends to the gateway. */
export function registerLoginCommands(program: Command): void {
  program
    .command('login')
    .description(
      'check a token with the gateway and keep it for the other commands (<COHORT_HOME>/token, 0600)',
    )
    .option(
      '--token <token>',
      'the bearer token (default: read from standard input, so it stays out of shell history)',
    )
    .option('--gateway <url>', 'the gateway (default: COHORT_GATEWAY_URL, else http://127.0.0.1:8080)')
    .option('--json', 'print JSON')
    .action(async (o: { token?: string; gateway?: string; json?: boolean }) => {
      const token = o.token ?? (await readStdin());
      if (!token)
        throw badArguments(
          'no token: pass --token, or pipe it in (cohort dev token --role researcher | cohort login)',
        );
      const base = connectGateway(o.gateway);
      // Checked before it is kept: a mistyped or expired token fails here, not on the next command.
      const me = await new GatewayClient(base.url, token).me();
      await saveToken(tokenFile(), token);
      report(Boolean(o.json), { ...me, tokenFile: tokenFile() }, () =>
        [
          `Signed in as ${me.name} (${me.subject}), roles ${me.roles.join(', ')}; the token expires ${me.expiresAt}.`,
          `Kept in ${tokenFile()}.`,
        ].join('\n'),
      );
    });
  program
    .command('logout')
    .description('forget the stored token')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await rm(tokenFile(), { force: true });
      report(Boolean(o.json), { tokenFile: tokenFile(), removed: true }, () => `Removed ${tokenFile()}.`);
    });
}
