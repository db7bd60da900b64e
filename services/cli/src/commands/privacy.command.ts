import type { Command } from 'commander';
import { badArguments, CliError, EXIT_BAD_ARGUMENTS, report } from '../output.js';

/** A plain decimal or scientific number: Number() alone would also take "", " 1 ", "0x10" or "Infinity". */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Steps are counted, so digits only: "1e3" or "10.0" are more likely typos than intent. */
const DIGITS = /^\d+$/;

interface Rule {
  flag: string;
  /** Completes "<flag> must be …". */
  text: string;
  ok: (n: number) => boolean;
  pattern?: RegExp;
}

const SAMPLING_RATE: Rule = {
  flag: '--sampling-rate',
  text: 'a number in (0, 1] (the Poisson sampling rate of one step, e.g. batch size / records)',
  ok: (n) => n > 0 && n <= 1,
};
const NOISE_MULTIPLIER: Rule = {
  flag: '--noise-multiplier',
  text: 'a number > 0 (noise standard deviation / clip norm)',
  ok: (n) => n > 0 && Number.isFinite(n),
};
const STEPS: Rule = {
  flag: '--steps',
  text: 'a positive integer (the number of noised steps)',
  ok: (n) => Number.isSafeInteger(n) && n > 0,
  pattern: DIGITS,
};
const DELTA: Rule = { flag: '--delta', text: 'a number in (0, 1), e.g. 1e-5', ok: (n) => n > 0 && n < 1 };
const TARGET_EPSILON: Rule = {
  flag: '--target-epsilon',
  text: 'a number > 0',
  ok: (n) => n > 0 && Number.isFinite(n),
};

/** Checks every option so that one run names every mistake, each with its flag. */
function parseAll<K extends string>(
  raw: Record<K, string | undefined>,
  rules: Record<K, Rule>,
): Record<K, number> {
  const problems: string[] = [];
  const out = {} as Record<K, number>;
  for (const key of Object.keys(rules) as K[]) {
    const rule = rules[key];
    const value = raw[key];
    if (value === undefined) {
      problems.push(`${rule.flag} is required: ${rule.text}`);
      continue;
    }
    const n = (rule.pattern ?? DECIMAL).test(value.trim()) ? Number(value) : Number.NaN;
    if (!rule.ok(n)) problems.push(`${rule.flag} must be ${rule.text}, got "${value}"`);
    else out[key] = n;
  }
  if (problems.length > 0) throw badArguments(problems.join('; '));
  return out;
}

const formatNumber = (n: number): string => (Number.isFinite(n) ? String(Number(n.toPrecision(6))) : '∞');

/** Rounded up, so that a person who copies the printed noise multiplier still meets the target. */
function formatNoiseUp(n: number): string {
  const digits = 6;
  const rounded = Number(n.toPrecision(digits));
  if (rounded >= n) return String(rounded);
  const unit = 10 ** (Math.floor(Math.log10(n)) - digits + 1);
  return String(Number((rounded + unit).toPrecision(digits)));
}

/** An optimum at the end of the order grid means a wider grid could tighten epsilon; worth a line for a person. */
function edgeNote(order: number, orders: readonly number[]): string[] {
  return order === orders[0] || order === orders[orders.length - 1]
    ? [`  note: order ${order} is at the edge of the order grid; epsilon may be loose`]
    : [];
}

/**
 * Library refusals become CLI errors: an out-of-reach target is something the person has to change (exit 2),
 * like a bad argument.
 */
async function privacyCall<T>(f: () => T): Promise<T> {
  const { PrivacyError } = await import('@cohort/privacy');
  try {
    return f();
  } catch (err) {
    if (err instanceof PrivacyError) throw new CliError(err.message, err.code, EXIT_BAD_ARGUMENTS);
    throw err;
  }
}

/** `cohort privacy epsilon|calibrate`: plan a DP budget before a job runs. */
export function registerPrivacyCommand(program: Command): void {
  const privacy = program
    .command('privacy')
    .description(
      'plan a differential-privacy budget: RDP accountant of the Poisson-subsampled Gaussian mechanism (DP-SGD)',
    );

  privacy
    .command('epsilon')
    .description('epsilon spent by T steps of the subsampled Gaussian mechanism at a given delta')
    .option('--sampling-rate <q>', 'Poisson sampling rate of one step, in (0, 1]')
    .option('--noise-multiplier <sigma>', 'noise standard deviation / clip norm, > 0')
    .option('--steps <T>', 'number of steps (rounds × local steps), a positive integer')
    .option('--delta <d>', 'target delta, in (0, 1)')
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(
      async (o: {
        samplingRate?: string;
        noiseMultiplier?: string;
        steps?: string;
        delta?: string;
        json?: boolean;
      }) => {
        const a = parseAll(
          {
            samplingRate: o.samplingRate,
            noiseMultiplier: o.noiseMultiplier,
            steps: o.steps,
            delta: o.delta,
          },
          { samplingRate: SAMPLING_RATE, noiseMultiplier: NOISE_MULTIPLIER, steps: STEPS, delta: DELTA },
        );
        const { DEFAULT_ORDERS, dpSgdEpsilon } = await import('@cohort/privacy');
        const { epsilon, order } = await privacyCall(() => dpSgdEpsilon(a, a.delta));
        const result = { epsilon, order, ...a };
        report(Boolean(o.json), result, () =>
          [
            `ε = ${formatNumber(epsilon)} at δ = ${a.delta} (optimal Rényi order ${order})`,
            `  ${a.steps} steps, sampling rate ${a.samplingRate}, noise multiplier ${a.noiseMultiplier}`,
            ...edgeNote(order, DEFAULT_ORDERS),
          ].join('\n'),
        );
      },
    );

  privacy
    .command('calibrate')
    .description('the smallest noise multiplier that keeps T steps within a target (epsilon, delta)')
    .option('--target-epsilon <e>', 'the epsilon to stay within, > 0')
    .option('--delta <d>', 'target delta, in (0, 1)')
    .option('--sampling-rate <q>', 'Poisson sampling rate of one step, in (0, 1]')
    .option('--steps <T>', 'number of steps (rounds × local steps), a positive integer')
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(
      async (o: {
        targetEpsilon?: string;
        delta?: string;
        samplingRate?: string;
        steps?: string;
        json?: boolean;
      }) => {
        const a = parseAll(
          { targetEpsilon: o.targetEpsilon, delta: o.delta, samplingRate: o.samplingRate, steps: o.steps },
          { targetEpsilon: TARGET_EPSILON, delta: DELTA, samplingRate: SAMPLING_RATE, steps: STEPS },
        );
        const { DEFAULT_ORDERS, calibrateNoiseMultiplier } = await import('@cohort/privacy');
        const c = await privacyCall(() => calibrateNoiseMultiplier(a));
        const result = { ...c, ...a };
        report(Boolean(o.json), result, () =>
          [
            `noise multiplier σ = ${formatNoiseUp(c.noiseMultiplier)}: ε = ${formatNumber(c.epsilon)} ≤ ${a.targetEpsilon} ` +
              `at δ = ${a.delta} (optimal Rényi order ${c.order})`,
            `  ${a.steps} steps, sampling rate ${a.samplingRate}`,
            ...edgeNote(c.order, DEFAULT_ORDERS),
          ].join('\n'),
        );
      },
    );
}
