// Checks a container's command line against the `cohort` command's own definitions (commander), so that a
// manifest cannot pass a flag the services do not take, miss a required one, or name a command that is gone.
import { Command, type Option } from 'commander';
import { registerDevCommands } from '../../services/cli/src/commands/dev.command.js';
import { registerInitCommand } from '../../services/cli/src/commands/init.command.js';
import { registerServiceCommands } from '../../services/cli/src/commands/services.command.js';
import {
  registerSiloAdminCommands,
  siloCommandOf,
} from '../../services/cli/src/commands/silo-admin.command.js';

function program(): Command {
  const p = new Command('cohort');
  registerInitCommand(p);
  registerServiceCommands(p);
  registerSiloAdminCommands(siloCommandOf(p));
  registerDevCommands(p);
  return p;
}

export interface ParsedArgs {
  /** The subcommand path, e.g. ["aggregator", "start"]. */
  command: string[];
  /** Long flag → its value (true for a switch). */
  options: Map<string, string | true>;
  positionals: string[];
}

/** Parses args (what follows `node bin/cohort.js`) the way commander would, or lists what is wrong with them. */
export function checkCohortArgs(args: readonly string[]): { parsed?: ParsedArgs; problems: string[] } {
  let cmd = program();
  const command: string[] = [];
  let i = 0;
  while (i < args.length) {
    const sub = cmd.commands.find((c) => c.name() === args[i]);
    if (!sub) break;
    cmd = sub;
    command.push(args[i]);
    i += 1;
  }
  const problems: string[] = [];
  if (command.length === 0) return { problems: [`"${args[0]}" is not a cohort command`] };
  if (cmd.commands.length > 0) {
    problems.push(
      `"cohort ${command.join(' ')}" needs a subcommand (${cmd.commands.map((c) => c.name()).join(', ')})`,
    );
  }
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (; i < args.length; i += 1) {
    const arg = args[i];
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const option: Option | undefined = cmd.options.find((o) => o.long === flag || o.short === flag);
    if (!option) {
      problems.push(`cohort ${command.join(' ')} has no option ${flag}`);
      continue;
    }
    const takesValue = option.required || option.optional;
    if (!takesValue) {
      options.set(option.long ?? flag, true);
      continue;
    }
    const value = inline ?? args[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      problems.push(`cohort ${command.join(' ')}: ${flag} needs a value`);
      continue;
    }
    if (inline === undefined) i += 1;
    try {
      // The option's own parser (ports, integers, names) refuses what the service would refuse.
      const parsed: unknown = option.parseArg ? option.parseArg(value, undefined) : value;
      if (parsed === undefined) problems.push(`cohort ${command.join(' ')}: ${flag} ${value} is refused`);
    } catch (err) {
      problems.push(`cohort ${command.join(' ')}: ${flag} ${value}: ${(err as Error).message}`);
    }
    options.set(option.long ?? flag, value);
  }
  for (const option of cmd.options) {
    if (option.mandatory && !options.has(option.long ?? '')) {
      problems.push(`cohort ${command.join(' ')} requires ${option.long}`);
    }
  }
  const expected = cmd.registeredArguments.filter((a) => a.required).length;
  if (positionals.length < expected) {
    problems.push(`cohort ${command.join(' ')} takes ${expected} argument(s), got ${positionals.length}`);
  }
  return { parsed: { command, options, positionals }, problems };
}
