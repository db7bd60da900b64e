import { CommanderError } from 'commander';
import { ConfigurationError } from '@cohort/config';

/** Exit status for arguments a person has to fix (the CLI convention of DESIGN.md). */
export const EXIT_BAD_ARGUMENTS = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function badArguments(message: string): CliError {
  return new CliError(message, 'BAD_ARGUMENTS', EXIT_BAD_ARGUMENTS);
}

/** With --json the last line of standard output is one JSON object; people get the human text instead. */
export function report(json: boolean, result: object, human: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${human()}\n`);
}

export function reportError(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_BAD_ARGUMENTS;
  const e =
    err instanceof CliError
      ? err
      : err instanceof ConfigurationError
        ? new CliError(err.message, 'CONFIG_INVALID', EXIT_BAD_ARGUMENTS)
        : new CliError((err as Error).message ?? String(err), 'ERROR');
  process.stderr.write(`cohort: ${e.message}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
  return e.exitCode;
}

export function parsePositiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw badArguments(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function parsePositiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw badArguments(`${name} must be a positive number, got "${value}"`);
    return n;
  };
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw badArguments(`port must be 0-65535, got "${value}"`);
  return n;
}

/** Rows as left-aligned columns two spaces apart; the first row is the heading. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((r) => r[column].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
