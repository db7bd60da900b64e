// Declarative parameter specs for the aggregation rules, so a job spec is checked at submission with the same rules the aggregation applies.
import { AggregationError } from './errors.js';

/** One numeric parameter of a rule: its range, whether it must be whole, its default and what it means. */
export interface RuleParamSpec {
  readonly name: string;
  readonly description: string;
  readonly min: number;
  /** Infinity for no upper limit; the value must be finite either way. */
  readonly max: number;
  readonly minExclusive?: boolean;
  readonly maxInclusive?: boolean;
  readonly integer?: boolean;
  /** Used when the parameter is left out; a parameter without a default is required (unless `derived`). */
  readonly default?: number;
  /** How the rule fills it in from the number of updates when left out (Multi-Krum's m = n − f). */
  readonly derived?: string;
}

/** A problem with one parameter; `param` is the parameter's name, or '' for the rule as a whole. */
export interface RuleParamIssue {
  param: string;
  message: string;
}

/** Parameters as a job spec carries them: named numbers, any of which may be left out. */
export type RuleParams = Readonly<Record<string, number | undefined>>;

export interface RuleParamsSpec {
  readonly rule: string;
  readonly params: readonly RuleParamSpec[];
  /**
   * Checks that involve several parameters or the number of updates n (undefined when it is not known yet, as at
   * submission before any silo has answered). Runs only when every parameter is individually valid.
   */
  readonly check?: (params: Readonly<Record<string, number>>, n: number | undefined) => RuleParamIssue[];
}

function rangeText(p: RuleParamSpec): string {
  const kind = p.integer ? 'an integer' : 'a number';
  if (p.max === Infinity) return `${kind} ${p.minExclusive ? 'above' : 'of at least'} ${p.min}`;
  const lo = `${p.minExclusive ? '(' : '['}${p.min}`;
  const hi = `${p.max}${p.maxInclusive ? ']' : ')'}`;
  return `${kind} in ${lo}, ${hi}`;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return value === null ? 'null' : `a value of type ${typeof value}`;
}

/**
 * Every problem with `params` for this rule, each naming its parameter, plus the parameters with defaults filled
 * in. Unknown names are refused so a typo cannot silently fall back to a default.
 */
export function checkRuleParams(
  spec: RuleParamsSpec,
  params: object,
  n: number | undefined,
): { issues: RuleParamIssue[]; resolved: Record<string, number> } {
  const issues: RuleParamIssue[] = [];
  const resolved: Record<string, number> = {};
  const given = new Map(Object.entries(params).filter(([, v]) => v !== undefined));
  const known = new Set(spec.params.map((p) => p.name));
  for (const name of given.keys()) {
    if (!known.has(name)) {
      const accepted = spec.params.map((p) => p.name);
      issues.push({
        param: name,
        message:
          accepted.length === 0
            ? `is not a parameter: ${spec.rule} takes none`
            : `is not a parameter of ${spec.rule}, which accepts only: ${accepted.join(', ')}`,
      });
    }
  }
  for (const p of spec.params) {
    const value: unknown = given.get(p.name);
    if (value === undefined) {
      if (p.default !== undefined) resolved[p.name] = p.default;
      else if (p.derived === undefined)
        issues.push({ param: p.name, message: `is required (${p.description})` });
      continue;
    }
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (p.minExclusive ? value > p.min : value >= p.min) &&
      (p.maxInclusive ? value <= p.max : value < p.max) &&
      (!p.integer || Number.isInteger(value));
    if (!ok) {
      issues.push({
        param: p.name,
        message: `must be ${rangeText(p)} (${p.description}); got ${describe(value)}`,
      });
      continue;
    }
    resolved[p.name] = value;
  }
  if (issues.length === 0 && spec.check) issues.push(...spec.check(resolved, n));
  return { issues, resolved };
}

/** One sentence per issue, naming the rule and the parameter. */
export function formatRuleParamIssues(rule: string, issues: readonly RuleParamIssue[]): string {
  return issues
    .map((i) => (i.param ? `${rule}: ${i.param} ${i.message}` : `${rule}: ${i.message}`))
    .join('; ');
}

/** The parameters with defaults filled in; throws INVALID_PARAMETER listing every problem. */
export function resolveRuleParams(
  spec: RuleParamsSpec,
  params: object,
  n: number | undefined,
): Record<string, number> {
  const { issues, resolved } = checkRuleParams(spec, params, n);
  if (issues.length > 0)
    throw new AggregationError('INVALID_PARAMETER', formatRuleParamIssues(spec.rule, issues));
  return resolved;
}

/**
 * The weight cap every robust rule that averages or ranks by weight accepts; `derived` replaces the default when
 * the rule computes it from its other parameters.
 */
export function maxWeightShareParam(defaultShare: number | undefined, derived?: string): RuleParamSpec {
  return {
    name: 'maxWeightShare',
    description:
      'the largest share of the total weight one site may carry; weights are example counts capped at this share; 1 means no cap, 1/n or less means equal weights',
    min: 0,
    max: 1,
    minExclusive: true,
    maxInclusive: true,
    default: defaultShare,
    derived,
  };
}
