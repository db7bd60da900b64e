import { z } from 'zod';
import { GatewayErrorCode, GatewayException, type FieldProblem } from './gateway.exception.js';

/**
 * Zod issues as the gateway reports them: one message per field (a value can break several rules at once, and a
 * person fixing a request wants the one thing to change, not a list of restatements), and each unknown key named
 * as its own field.
 */
export function fieldProblems(
  issues: readonly z.core.$ZodIssue[],
  unknownField = 'unknown field',
): FieldProblem[] {
  const byField = new Map<string, string>();
  for (const issue of issues) {
    const problems: FieldProblem[] =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: unknownField }))
        : [{ field: issue.path.join('.'), message: issue.message }];
    for (const p of problems) if (!byField.has(p.field)) byField.set(p.field, p.message);
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}

/** Parses a request part (body, query) or throws REQUEST_INVALID with the problems per field. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  input: unknown,
  message: string,
  unknownField?: string,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new GatewayException(
      GatewayErrorCode.REQUEST_INVALID,
      message,
      fieldProblems(parsed.error.issues, unknownField),
    );
  }
  return parsed.data;
}
