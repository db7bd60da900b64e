/**
 * One benchmark suite per file (`<name>.bench.ts` in this folder, exporting `suite`): `cohort bench <name>` finds
 * it by its file name. Suites print figures, not pass/fail verdicts. A suite module is imported whenever the
 * `cohort` command starts, so it imports heavy libraries inside `run`, not at the top.
 */
export interface BenchOption {
  /** Commander flags, e.g. `--parameters <n>`; the long name becomes the key in `run`'s options. */
  flags: string;
  description: string;
  parse?: (value: string) => unknown;
  default?: unknown;
}

export interface BenchSuite {
  description: string;
  options?: readonly BenchOption[];
  /** Called with this suite's options only (parsed, defaults filled in); returns one JSON-able object. */
  run(options: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The key commander stores an option under: `--database-url <url>` → `databaseUrl`. */
export function optionKey(flags: string): string {
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1];
  if (long === undefined) throw new Error(`bench option "${flags}" has no long name`);
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
