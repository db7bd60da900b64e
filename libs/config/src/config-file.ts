import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigurationError } from './environment.js';

/** Formats zod issues as one line per field, naming where the value came from. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/**
 * Reads a JSON configuration file and validates it; relative paths inside it are the caller's to resolve
 * against the returned `baseDir` (the file's folder), so a config works from any working directory.
 */
export async function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
): Promise<{ config: z.output<S>; baseDir: string; path: string }> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`cannot read configuration file ${absolute}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigurationError(
      `configuration file ${absolute} is not valid JSON: ${(err as Error).message}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigurationError(
      `configuration file ${absolute} is invalid:\n  ${describeIssues(parsed.error.issues).join('\n  ')}`,
    );
  }
  return { config: parsed.data, baseDir: resolve(absolute, '..'), path: absolute };
}
