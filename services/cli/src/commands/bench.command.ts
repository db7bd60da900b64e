import type { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionKey, type BenchOption, type BenchSuite } from '../bench/suite.js';
import { badArguments, report } from '../output.js';

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '../bench');
const SUITE_FILE = /^([a-z0-9-]+)\.bench\.(?:js|ts)$/;

/** Every `<name>.bench.{js,ts}` beside the command: a new suite is a new file, not an edit here. */
async function loadSuites(): Promise<Map<string, BenchSuite>> {
  const names = readdirSync(BENCH_DIR)
    .map((f) => SUITE_FILE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null && !m[0].endsWith('.d.ts'))
    .map((m) => [m[1], m[0]] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  const suites = new Map<string, BenchSuite>();
  for (const [name, file] of names) {
    if (suites.has(name)) continue;
    const mod = (await import(join(BENCH_DIR, file))) as { suite?: BenchSuite };
    if (mod.suite !== undefined) suites.set(name, mod.suite);
  }
  return suites;
}

/** `cohort bench <suite>`: figures, not pass/fail tests; with --json the last line is one JSON object. */
export async function registerBenchCommand(program: Command): Promise<void> {
  const suites = await loadSuites();
  const names = [...suites.keys()];
  // One commander option per flag, whichever suites share it; defaults are each suite's own, applied after parsing.
  const options = new Map<string, { option: BenchOption; suites: string[] }>();
  for (const [name, s] of suites) {
    for (const option of s.options ?? []) {
      const key = optionKey(option.flags);
      const entry = options.get(key) ?? { option, suites: [] };
      entry.suites.push(name);
      options.set(key, entry);
    }
  }
  const command = program
    .command('bench')
    .description(
      `print benchmark figures:\n${names.map((n) => `  ${n}: ${suites.get(n)?.description}`).join('\n')}`,
    )
    .argument('<suite>', `one of ${names.join(', ')}`);
  for (const { option, suites: users } of options.values()) {
    command.option(option.flags, `${users.join(', ')}: ${option.description}`);
  }
  command
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (name: string, given: Record<string, unknown>) => {
      const chosen = suites.get(name);
      if (chosen === undefined)
        throw badArguments(`unknown suite "${name}"; choose one of ${names.join(', ')}`);
      const own = new Map((chosen.options ?? []).map((o) => [optionKey(o.flags), o]));
      for (const key of Object.keys(given)) {
        if (key !== 'json' && !own.has(key)) {
          throw badArguments(
            `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to ${name}`,
          );
        }
      }
      const values: Record<string, unknown> = {};
      for (const [key, option] of own) {
        const raw = given[key];
        values[key] =
          raw === undefined
            ? option.default
            : option.parse && typeof raw === 'string'
              ? option.parse(raw)
              : raw;
      }
      const result = await chosen.run(values);
      report(Boolean(given.json), result, () =>
        Object.entries(result)
          .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
          .join('\n'),
      );
    });
}
