import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { COHORT_BIN } from '../services/cli/src/demo/processes.js';

const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function cohort(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [COHORT_BIN, 'privacy', ...args], {
      timeout: 300_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err: any) {
    if (typeof err.code !== 'number') throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

// tensorflow/privacy tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
// test_compute_dp_sgd_example_privacy 'no_microbatching_with_subsampling_rdp': q = 0.01, σ = 0.7, ceil(1.2 / 0.01) = 120
// steps, δ = 1e-5 → ε = 3.2392676 with dp-accounting's default orders (the CLI's grid).
const TF_EXAMPLE = [
  '--sampling-rate',
  '0.01',
  '--noise-multiplier',
  '0.7',
  '--steps',
  '120',
  '--delta',
  '1e-5',
];

describe('cohort privacy', () => {
  beforeAll(async () => {
    // The first call may rebuild dist; do it once, outside the timed checks.
    await cohort('--help');
  }, 300_000);

  it('epsilon --json: the last line is one JSON object with epsilon and the optimal order', async () => {
    const r = await cohort('epsilon', ...TF_EXAMPLE, '--json');
    expect(r.code).toBe(0);
    const result = lastJson(r.stdout);
    expect(Math.abs(result.epsilon / 3.2392676 - 1)).toBeLessThan(1e-6);
    expect(result).toEqual({
      epsilon: result.epsilon,
      order: 4.4,
      delta: 1e-5,
      samplingRate: 0.01,
      noiseMultiplier: 0.7,
      steps: 120,
    });
  });

  it('epsilon without --json prints ε and the order for a person', async () => {
    const r = await cohort('epsilon', ...TF_EXAMPLE);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ε = 3\.23927 at δ = 0\.00001 \(optimal Rényi order 4\.4\)/);
  });

  // pytorch/opacus opacus/tests/accountants_test.py, test_get_noise_multiplier_rdp_steps: ε = 8, δ = 1e-5, q = 0.04,
  // 2000 steps → σ ≈ 1.3562 (Opacus orders there; the CLI's default grid lands within 1e-3 as well).
  it('calibrate --json: the smallest noise multiplier and the epsilon it reaches', async () => {
    const args = ['--target-epsilon', '8', '--delta', '1e-5', '--sampling-rate', '0.04', '--steps', '2000'];
    const r = await cohort('calibrate', ...args, '--json');
    expect(r.code).toBe(0);
    const result = lastJson(r.stdout);
    expect(Math.abs(result.noiseMultiplier / 1.3562 - 1)).toBeLessThan(1e-3);
    expect(result.epsilon).toBeLessThanOrEqual(8);
    expect(result).toMatchObject({ targetEpsilon: 8, delta: 1e-5, samplingRate: 0.04, steps: 2000 });
    expect(typeof result.order).toBe('number');

    // Feeding the answer back gives the same epsilon.
    const back = await cohort(
      'epsilon',
      '--sampling-rate',
      '0.04',
      '--noise-multiplier',
      String(result.noiseMultiplier),
      '--steps',
      '2000',
      '--delta',
      '1e-5',
      '--json',
    );
    expect(lastJson(back.stdout).epsilon).toBe(result.epsilon);

    const human = await cohort('calibrate', ...args);
    expect(human.stdout).toMatch(/noise multiplier σ = 1\.35\d+: ε = [\d.]+ ≤ 8 at δ = 0\.00001/);
  });

  it.each([
    [['--sampling-rate', '0'], '--sampling-rate'],
    [['--sampling-rate', '1.5'], '--sampling-rate'],
    [['--sampling-rate', 'x'], '--sampling-rate'],
    [['--noise-multiplier', '0'], '--noise-multiplier'],
    [['--noise-multiplier', '-1'], '--noise-multiplier'],
    [['--steps', '0'], '--steps'],
    [['--steps', '-3'], '--steps'],
    [['--steps', '2.5'], '--steps'],
    [['--delta', '0'], '--delta'],
    [['--delta', '1'], '--delta'],
    [['--delta', '1e-5x'], '--delta'],
  ])('epsilon with %p → exit 2 naming %s', async (override, flag) => {
    const options = new Map<string, string>();
    for (let i = 0; i < TF_EXAMPLE.length; i += 2) options.set(TF_EXAMPLE[i], TF_EXAMPLE[i + 1]);
    options.set(override[0], override[1]);
    const r = await cohort('epsilon', ...[...options].flat(), '--json');
    expect(r.code).toBe(2);
    const { error } = lastJson(r.stdout);
    expect(error.code).toBe('BAD_ARGUMENTS');
    expect(error.message).toContain(`${flag} must be`);
    expect(r.stderr).toContain(flag);
  });

  it('names every missing option', async () => {
    const r = await cohort('epsilon', '--sampling-rate', '0.01', '--json');
    expect(r.code).toBe(2);
    const { error } = lastJson(r.stdout);
    for (const flag of ['--noise-multiplier', '--steps', '--delta'])
      expect(error.message).toContain(`${flag} is required`);
    expect(error.message).not.toContain('--sampling-rate');
  });

  it.each([
    [['--target-epsilon', '0'], '--target-epsilon'],
    [['--target-epsilon', 'abc'], '--target-epsilon'],
    [['--delta', '2'], '--delta'],
    [['--sampling-rate', '-0.1'], '--sampling-rate'],
    [['--steps', '1e3'], '--steps'],
  ])('calibrate with %p → exit 2 naming %s', async (override, flag) => {
    const base: Record<string, string> = {
      '--target-epsilon': '1',
      '--delta': '1e-5',
      '--sampling-rate': '0.01',
      '--steps': '100',
      [override[0]]: override[1],
    };
    const r = await cohort('calibrate', ...Object.entries(base).flat());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${flag} must be`);
  });

  it('calibrate reports an unreachable target clearly, exit 2', async () => {
    const r = await cohort(
      'calibrate',
      '--target-epsilon',
      '0.0001',
      '--delta',
      '1e-5',
      '--sampling-rate',
      '1',
      '--steps',
      '1000000',
      '--json',
    );
    expect(r.code).toBe(2);
    const { error } = lastJson(r.stdout);
    expect(error.code).toBe('TARGET_UNREACHABLE');
    expect(error.message).toContain('out of reach');
  });
});
