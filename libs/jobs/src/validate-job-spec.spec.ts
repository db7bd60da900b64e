import type { JobSpec } from '@cohort/protocol';
import { SERVER_OPTIMIZER_DEFAULTS, jobSpecSchema, type JobSpecInput } from './job-spec.schema.js';
import {
  checkJobAgainstFederation,
  formatJobSpecIssues,
  parseJobSpec,
  type JobSpecIssue,
} from './validate-job-spec.js';

const minimal = {
  name: 'heart disease baseline',
  model: { template: 'logreg' },
  dataset: { id: 'heart-disease', features: ['age', 'sex', 'chol'] },
  rounds: 10,
} satisfies JobSpecInput;

function valid(input: unknown): JobSpec {
  const result = parseJobSpec(input);
  if (!result.ok) throw new Error(`expected a valid spec, got ${JSON.stringify(result.errors)}`);
  return result.spec;
}

function errors(input: unknown): JobSpecIssue[] {
  const result = parseJobSpec(input);
  if (result.ok) throw new Error('expected the spec to be refused');
  return result.errors;
}

/** The errors as { field: message }, which also proves there is at most one message per field. */
function errorMap(input: unknown): Record<string, string> {
  const list = errors(input);
  const map = Object.fromEntries(list.map((e) => [e.field, e.message]));
  expect(Object.keys(map)).toHaveLength(list.length);
  return map;
}

function withField(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...minimal, ...patch };
}

describe('parseJobSpec: a valid spec', () => {
  it('fills in every default of the protocol JobSpec', () => {
    const spec: JobSpec = valid(minimal);
    expect(spec).toEqual({
      name: 'heart disease baseline',
      model: { template: 'logreg', hiddenUnits: [] },
      dataset: { id: 'heart-disease', features: ['age', 'sex', 'chol'] },
      rounds: 10,
      minSilos: 1,
      roundTimeoutMs: 120_000,
      offerTimeoutMs: 30_000,
      gracePeriodMs: 30_000,
      local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
      aggregation: { rule: 'fedavg', params: {} },
      serverOptimizer: { kind: 'none', learningRate: 1, momentum: 0, beta1: 0, beta2: 0, tau: 0 },
      privacy: undefined,
      wire: { encoding: 'float32' },
      seed: 0,
    });
  });

  it('keeps every value the researcher sets', () => {
    const spec = valid({
      name: 'mlp run',
      model: { template: 'mlp', hiddenUnits: [64, 32] },
      dataset: { id: 'heart-disease', features: ['age'] },
      rounds: 10_000,
      minSilos: 3,
      roundTimeoutMs: 1000,
      offerTimeoutMs: 86_400_000,
      local: { epochs: 5, batchSize: 8, learningRate: 10 },
      aggregation: { rule: 'fedavg', params: {} },
      serverOptimizer: { kind: 'fedavgm', learningRate: 0.5, momentum: 0.8 },
      privacy: { enabled: false },
      seed: 42,
    });
    expect(spec.model).toEqual({ template: 'mlp', hiddenUnits: [64, 32] });
    expect(spec).toMatchObject({
      rounds: 10_000,
      minSilos: 3,
      roundTimeoutMs: 1000,
      offerTimeoutMs: 86_400_000,
    });
    expect(spec.local).toEqual({ epochs: 5, batchSize: 8, learningRate: 10 });
    expect(spec.serverOptimizer).toEqual({
      kind: 'fedavgm',
      learningRate: 0.5,
      momentum: 0.8,
      beta1: 0,
      beta2: 0,
      tau: 0,
    });
    expect(spec.privacy).toBeUndefined();
    expect(spec.seed).toBe(42);
  });

  it('gives an mlp one hidden layer of 16 units by default', () => {
    expect(valid(withField({ model: { template: 'mlp' } })).model).toEqual({
      template: 'mlp',
      hiddenUnits: [16],
    });
  });

  it('fills the partial local settings it is given', () => {
    expect(valid(withField({ local: { epochs: 3 } })).local).toEqual({
      epochs: 3,
      batchSize: 32,
      learningRate: 0.1,
    });
  });

  it.each(['none', 'fedavgm', 'fedadam'] as const)('uses the defaults of server optimizer %s', (kind) => {
    expect(valid(withField({ serverOptimizer: { kind } })).serverOptimizer).toEqual(
      SERVER_OPTIMIZER_DEFAULTS[kind],
    );
  });

  it('has the documented server optimizer defaults', () => {
    expect(SERVER_OPTIMIZER_DEFAULTS.fedavgm).toMatchObject({ learningRate: 1, momentum: 0.9 });
    expect(SERVER_OPTIMIZER_DEFAULTS.fedadam).toMatchObject({
      learningRate: 0.01,
      beta1: 0.9,
      beta2: 0.99,
      tau: 1e-3,
    });
  });

  it('accepts privacy switched off, or null as protocol JSON writes an absent message', () => {
    expect(valid(withField({ privacy: { enabled: false } })).privacy).toBeUndefined();
    expect(valid(withField({ privacy: null })).privacy).toBeUndefined();
  });

  it('parses a spec it returned to the same spec, so a researcher can resubmit a job as the gateway shows it', () => {
    const inputs = [
      minimal,
      withField({ model: { template: 'mlp', hiddenUnits: [8, 4] } }),
      withField({ serverOptimizer: { kind: 'fedadam', tau: 0.01 } }),
      withField({ serverOptimizer: { kind: 'fedavgm' }, local: { batchSize: 1 } }),
    ];
    for (const input of inputs) {
      const once = valid(input);
      // JSON drops undefined and protocol JSON turns an absent message into null: both must parse again.
      expect(valid(JSON.parse(JSON.stringify(once)))).toEqual(once);
      expect(valid({ ...JSON.parse(JSON.stringify(once)), privacy: null })).toEqual(once);
    }
  });

  it('is also available as a zod schema whose output is a JobSpec', () => {
    const spec: JobSpec = jobSpecSchema.parse(minimal);
    expect(spec.rounds).toBe(10);
  });
});

describe('parseJobSpec: one message per bad field, named by its dotted path', () => {
  it('refuses an unknown model template on model.template', () => {
    expect(errorMap(withField({ model: { template: 'cnn' } }))).toEqual({
      'model.template': 'unknown model template "cnn"; this version supports: logreg, mlp',
    });
  });

  it('refuses negative rounds on rounds', () => {
    expect(errorMap(withField({ rounds: -3 }))).toEqual({
      rounds: 'must be an integer from 1 to 10000 (got -3)',
    });
  });

  it('reports a value that breaks several rules once', () => {
    expect(errorMap(withField({ rounds: -3.5 }))).toEqual({
      rounds: 'must be an integer from 1 to 10000 (got -3.5)',
    });
  });

  it('names an extra field, at the top and inside objects', () => {
    expect(errorMap(withField({ epochs: 5, model: { template: 'logreg', layers: 2 } }))).toEqual({
      epochs: 'unknown field',
      'model.layers': 'unknown field',
    });
  });

  it('reports every bad field of one spec together', () => {
    const list = errors({ ...minimal, model: { template: 'cnn' }, rounds: -1, extra: true });
    expect(list.map((e) => e.field).sort()).toEqual(['extra', 'model.template', 'rounds']);
  });

  it('says which required fields are missing', () => {
    expect(errorMap({})).toEqual({
      name: 'is required',
      model: 'is required',
      dataset: 'is required',
      rounds: 'is required',
    });
    expect(errorMap(withField({ model: {}, dataset: {} }))).toEqual({
      'model.template': 'is required',
      'dataset.id': 'is required',
      'dataset.features': 'is required',
    });
  });

  it('refuses a document that is not an object', () => {
    expect(errorMap(null)).toEqual({ '(root)': 'must be an object (got null)' });
    expect(errorMap([minimal])).toEqual({ '(root)': 'must be an object (got a list of 1)' });
  });

  it('refuses wrong JSON types rather than coercing them', () => {
    expect(errorMap(withField({ rounds: '10' }))).toEqual({
      rounds: 'must be an integer from 1 to 10000 (got "10")',
    });
    expect(errorMap(withField({ model: 'logreg' }))).toEqual({ model: 'must be an object (got "logreg")' });
  });

  describe('name', () => {
    it.each([[''], ['   '], ['x'.repeat(201)], [7]])('refuses %j', (name) => {
      expect(Object.keys(errorMap(withField({ name })))).toEqual(['name']);
    });
    it('accepts 200 characters', () => {
      expect(valid(withField({ name: 'x'.repeat(200) })).name).toHaveLength(200);
    });
  });

  describe('model.hiddenUnits', () => {
    it('is refused for logreg, which has no hidden layers', () => {
      expect(errorMap(withField({ model: { template: 'logreg', hiddenUnits: [8] } }))).toEqual({
        'model.hiddenUnits': 'applies only to the mlp template; logreg has no hidden layers',
      });
    });
    it('needs 1 to 4 layers for an mlp', () => {
      expect(Object.keys(errorMap(withField({ model: { template: 'mlp', hiddenUnits: [] } })))).toEqual([
        'model.hiddenUnits',
      ]);
      expect(
        Object.keys(errorMap(withField({ model: { template: 'mlp', hiddenUnits: [1, 2, 3, 4, 5] } }))),
      ).toEqual(['model.hiddenUnits']);
      expect(
        valid(withField({ model: { template: 'mlp', hiddenUnits: [1, 2, 3, 4] } })).model?.hiddenUnits,
      ).toEqual([1, 2, 3, 4]);
    });
    it('needs 1 to 4096 units per layer, as integers', () => {
      expect(errorMap(withField({ model: { template: 'mlp', hiddenUnits: [16, 4097, 0, 2.5] } }))).toEqual({
        'model.hiddenUnits.1': 'must be an integer from 1 to 4096 (got 4097)',
        'model.hiddenUnits.2': 'must be an integer from 1 to 4096 (got 0)',
        'model.hiddenUnits.3': 'must be an integer from 1 to 4096 (got 2.5)',
      });
      expect(
        valid(withField({ model: { template: 'mlp', hiddenUnits: [4096] } })).model?.hiddenUnits,
      ).toEqual([4096]);
    });
  });

  describe('dataset', () => {
    it('needs 1 to 1000 features', () => {
      expect(Object.keys(errorMap(withField({ dataset: { id: 'd', features: [] } })))).toEqual([
        'dataset.features',
      ]);
      const many = Array.from({ length: 1001 }, (_, i) => `f${i}`);
      expect(Object.keys(errorMap(withField({ dataset: { id: 'd', features: many } })))).toEqual([
        'dataset.features',
      ]);
      expect(
        valid(withField({ dataset: { id: 'd', features: many.slice(0, 1000) } })).dataset?.features,
      ).toHaveLength(1000);
    });
    it('refuses repeated feature names, naming them', () => {
      expect(errorMap(withField({ dataset: { id: 'd', features: ['age', 'sex', 'age'] } }))).toEqual({
        'dataset.features': 'feature names must be unique; repeated: "age"',
      });
    });
    it('refuses blank or non-string feature names and a blank dataset id', () => {
      expect(Object.keys(errorMap(withField({ dataset: { id: '', features: ['age', '', 3] } })))).toEqual([
        'dataset.id',
        'dataset.features.1',
        'dataset.features.2',
      ]);
    });
  });

  describe('quorum, timeouts and seed', () => {
    it.each([
      ['minSilos', 0],
      ['minSilos', 1.5],
      ['roundTimeoutMs', 999],
      ['roundTimeoutMs', 86_400_001],
      ['offerTimeoutMs', 999],
      ['offerTimeoutMs', 86_400_001],
      ['seed', -1],
      ['seed', 2 ** 32],
    ])('refuses %s = %j', (field, value) => {
      expect(Object.keys(errorMap(withField({ [field]: value })))).toEqual([field]);
    });
    it('refuses more than 10000 rounds', () => {
      expect(errorMap(withField({ rounds: 10_001 }))).toEqual({
        rounds: 'must be an integer from 1 to 10000 (got 10001)',
      });
    });
  });

  describe('local training', () => {
    it.each([
      ['epochs', 0],
      ['epochs', 1001],
      ['batchSize', 0],
      ['learningRate', 0],
      ['learningRate', -0.1],
      ['learningRate', 10.5],
    ])('refuses local.%s = %j', (field, value) => {
      expect(Object.keys(errorMap(withField({ local: { [field]: value } })))).toEqual([`local.${field}`]);
    });
    it('names an unknown local setting', () => {
      expect(errorMap(withField({ local: { momentum: 0.9 } }))).toEqual({
        'local.momentum': 'unknown field',
      });
    });
  });

  describe('aggregation', () => {
    it('refuses a rule this version does not have', () => {
      const errors = errorMap(withField({ aggregation: { rule: 'bulyan' } }));
      expect(Object.keys(errors)).toEqual(['aggregation.rule']);
      expect(errors['aggregation.rule']).toMatch(
        /unknown aggregation rule "bulyan".*fedavg, median, trimmed-mean, krum/,
      );
    });
    it('refuses parameters a rule does not take', () => {
      const errors = errorMap(withField({ aggregation: { rule: 'fedavg', params: { trim: 0.1 } } }));
      expect(Object.keys(errors)).toEqual(['aggregation.params.trim']);
    });
    it('refuses Krum when the quorum cannot exceed 2f + 2, and takes it when it can', () => {
      const errors = errorMap(withField({ minSilos: 4, aggregation: { rule: 'krum', params: { f: 1 } } }));
      expect(Object.keys(errors)).toEqual(['aggregation.params.f']);
      expect(errors['aggregation.params.f']).toMatch(/2f \+ 2 = 4/);
      expect(
        valid(withField({ minSilos: 5, aggregation: { rule: 'krum', params: { f: 1 } } })).aggregation?.rule,
      ).toBe('krum');
    });
    it('refuses a trimmed fraction of one half or more', () => {
      expect(
        Object.keys(errorMap(withField({ aggregation: { rule: 'trimmed-mean', params: { beta: 0.5 } } }))),
      ).toEqual(['aggregation.params.beta']);
    });
    it('refuses parameters that are not numbers', () => {
      expect(Object.keys(errorMap(withField({ aggregation: { params: { trim: 'x' } } })))).toEqual([
        'aggregation.params.trim',
      ]);
    });
  });

  describe('serverOptimizer', () => {
    it('refuses an unknown kind', () => {
      expect(errorMap(withField({ serverOptimizer: { kind: 'fedyogi' } }))).toEqual({
        'serverOptimizer.kind':
          'unknown server optimizer "fedyogi"; this version supports: none, fedavgm, fedadam',
      });
    });
    it('refuses a parameter the kind does not use', () => {
      expect(errorMap(withField({ serverOptimizer: { kind: 'fedadam', momentum: 0.9 } }))).toEqual({
        'serverOptimizer.momentum': 'does not apply to server optimizer fedadam; it is used only by fedavgm',
      });
      expect(Object.keys(errorMap(withField({ serverOptimizer: { beta1: 0.9 } })))).toEqual([
        'serverOptimizer.beta1',
      ]);
    });
    it.each([
      ['fedavgm', 'momentum', 1],
      ['fedavgm', 'learningRate', 0],
      ['fedadam', 'beta1', -0.1],
      ['fedadam', 'beta2', 1],
      ['fedadam', 'tau', 0],
      ['fedadam', 'tau', 2],
      ['none', 'learningRate', 11],
    ])('refuses %s with %s = %j', (kind, param, value) => {
      expect(Object.keys(errorMap(withField({ serverOptimizer: { kind, [param]: value } })))).toEqual([
        `serverOptimizer.${param}`,
      ]);
    });
    it('keeps fedadam parameters the researcher sets', () => {
      expect(
        valid(
          withField({
            serverOptimizer: { kind: 'fedadam', learningRate: 0.1, beta1: 0.5, beta2: 0.9, tau: 0.1 },
          }),
        ).serverOptimizer,
      ).toEqual({ kind: 'fedadam', learningRate: 0.1, momentum: 0, beta1: 0.5, beta2: 0.9, tau: 0.1 });
    });
  });

  describe('privacy', () => {
    it('fills the defaults of a DP request: central, patient level, δ 1e-5, C 1, q 0.1, σ to calibrate', () => {
      expect(valid(withField({ privacy: { enabled: true, targetEpsilon: 3 } })).privacy).toEqual({
        enabled: true,
        targetEpsilon: 3,
        delta: 1e-5,
        clipNorm: 1,
        mode: 'central',
        level: 'patient',
        samplingRate: 0.1,
        noiseMultiplier: 0,
      });
    });
    it('samples every silo at silo level', () => {
      const p = valid(
        withField({ privacy: { enabled: true, targetEpsilon: 3, level: 'silo', samplingRate: 0.2 } }),
      ).privacy;
      expect(p?.samplingRate).toBe(1);
    });
    it('names each bad DP field', () => {
      expect(
        Object.keys(
          errorMap(
            withField({
              privacy: {
                enabled: true,
                targetEpsilon: 0,
                delta: 1,
                clipNorm: -1,
                mode: 'cloud',
                samplingRate: 2,
                colour: 1,
              },
            }),
          ),
        ).sort(),
      ).toEqual(
        [
          'privacy.clipNorm',
          'privacy.colour',
          'privacy.delta',
          'privacy.mode',
          'privacy.samplingRate',
          'privacy.targetEpsilon',
        ].sort(),
      );
      expect(Object.keys(errorMap(withField({ privacy: { enabled: true } })))).toEqual([
        'privacy.targetEpsilon',
      ]);
    });
    it('names unknown privacy fields when privacy is off', () => {
      expect(errorMap(withField({ privacy: { enabled: false, delta: 1e-5 } }))).toEqual({
        'privacy.delta': 'unknown field',
      });
    });
    it('needs enabled to be a boolean', () => {
      expect(Object.keys(errorMap(withField({ privacy: { enabled: 'no' } })))).toEqual(['privacy.enabled']);
      expect(Object.keys(errorMap(withField({ privacy: {} })))).toEqual(['privacy.enabled']);
    });
    it('parses a returned DP spec to the same value', () => {
      const once = valid(withField({ privacy: { enabled: true, targetEpsilon: 2, noiseMultiplier: 1.3 } }));
      expect(valid(JSON.parse(JSON.stringify(once)))).toEqual(once);
    });
  });
});

describe('parseJobSpec: secure aggregation', () => {
  it('fills its defaults and keeps what the researcher sets', () => {
    expect(valid(withField({ minSilos: 3, secureAggregation: {} })).secureAggregation).toEqual({
      protocol: 'secagg+',
      threshold: 2 / 3,
      bits: 32,
      clipRange: 8,
      maxWeight: 1000,
    });
    const set = { protocol: 'secagg', threshold: 0.8, bits: 20, clipRange: 2, maxWeight: 50 };
    expect(valid(withField({ minSilos: 3, secureAggregation: set })).secureAggregation).toEqual(set);
    expect(valid(minimal).secureAggregation).toBeUndefined();
    expect(valid(withField({ secureAggregation: null })).secureAggregation).toBeUndefined();
  });

  it('refuses robust rules, naming the enclave mode as the alternative', () => {
    const map = errorMap(withField({ minSilos: 3, aggregation: { rule: 'median' }, secureAggregation: {} }));
    expect(map['aggregation.rule']).toMatch(/"median" needs each silo's update/);
    expect(map['aggregation.rule']).toMatch(/enclave mode \(omit "secureAggregation"\)/);
  });

  it('refuses a threshold at or below 1/2, bits outside 16..32, fewer than 3 silos and another wire encoding', () => {
    const map = errorMap(
      withField({ secureAggregation: { threshold: 0.5, bits: 8 }, wire: { encoding: 'int8' } }),
    );
    expect(map['secureAggregation.threshold']).toMatch(/above 1\/2/);
    expect(map['secureAggregation.bits']).toMatch(/from 16 to 32/);
    expect(map.minSilos).toMatch(/at least 3 under secure aggregation/);
    expect(map['wire.encoding']).toMatch(/quantizes updates itself/);
  });

  it('takes DP only as distributed silo-level noise, and distributed noise only with secure aggregation', () => {
    const dp = { enabled: true, targetEpsilon: 3, level: 'silo', mode: 'distributed' };
    expect(valid(withField({ minSilos: 3, secureAggregation: {}, privacy: dp })).privacy?.mode).toBe(
      'distributed',
    );
    const central = errorMap(
      withField({ minSilos: 3, secureAggregation: {}, privacy: { enabled: true, targetEpsilon: 3 } }),
    );
    expect(central['privacy.mode']).toMatch(/must be "distributed" under secure aggregation/);
    expect(central['privacy.level']).toMatch(/must be "silo" under secure aggregation/);
    expect(errorMap(withField({ privacy: dp }))['privacy.mode']).toMatch(/needs "secureAggregation"/);
  });
});

describe('checkJobAgainstFederation', () => {
  const spec = (minSilos: number) => valid(withField({ minSilos }));

  it('refuses a quorum above the number of silos', () => {
    expect(checkJobAgainstFederation(spec(5), { connectedSilos: 4 })).toEqual([
      { field: 'minSilos', message: 'quorum 5 is above the 4 silos in the federation' },
    ]);
    expect(checkJobAgainstFederation(spec(2), { connectedSilos: 1 })).toEqual([
      { field: 'minSilos', message: 'quorum 2 is above the 1 silo in the federation' },
    ]);
    expect(checkJobAgainstFederation(spec(1), { connectedSilos: 0 })).toHaveLength(1);
  });

  it('accepts a quorum the federation can meet', () => {
    expect(checkJobAgainstFederation(spec(4), { connectedSilos: 4 })).toEqual([]);
    expect(checkJobAgainstFederation(spec(1), { connectedSilos: 9 })).toEqual([]);
  });
});

describe('formatJobSpecIssues', () => {
  it('prints one "field: message" line per issue', () => {
    expect(formatJobSpecIssues(errors(withField({ rounds: 0, extra: 1 })))).toEqual([
      'rounds: must be an integer from 1 to 10000 (got 0)',
      'extra: unknown field',
    ]);
  });
});

describe('parseJobSpec: the wire encoding', () => {
  it('defaults to float32 and takes float16 or int8', () => {
    expect(valid(minimal).wire).toEqual({ encoding: 'float32' });
    expect(valid(withField({ wire: {} })).wire).toEqual({ encoding: 'float32' });
    expect(valid(withField({ wire: null })).wire).toEqual({ encoding: 'float32' });
    expect(valid(withField({ wire: { encoding: 'float16' } })).wire).toEqual({ encoding: 'float16' });
    const int8 = valid(withField({ wire: { encoding: 'int8' } }));
    expect(valid(JSON.parse(JSON.stringify(int8)))).toEqual(int8);
  });

  it('refuses an unknown encoding or field with one message on its path', () => {
    expect(errorMap(withField({ wire: { encoding: 'bf16' } }))).toEqual({
      'wire.encoding': 'unknown wire encoding "bf16"; this version supports: float32, float16, int8',
    });
    expect(errorMap(withField({ wire: { encoding: 8 } }))).toEqual({
      'wire.encoding': 'must be one of: float32, float16, int8 (got 8)',
    });
    expect(errorMap(withField({ wire: { bits: 8 } }))).toEqual({ 'wire.bits': 'unknown field' });
  });

  it('allows quantization where it is post-processing under DP, and refuses it before central patient-level noise', () => {
    const dp = (privacy: Record<string, unknown>, encoding: string) =>
      withField({
        privacy: { enabled: true, targetEpsilon: 4, ...privacy },
        wire: { encoding },
        minSilos: 1,
      });
    expect(valid(dp({ mode: 'local' }, 'int8')).wire?.encoding).toBe('int8');
    expect(valid(dp({ level: 'silo' }, 'float16')).wire?.encoding).toBe('float16');
    expect(valid(dp({}, 'float32')).wire?.encoding).toBe('float32');
    expect(Object.keys(errorMap(dp({}, 'int8')))).toEqual(['wire.encoding']);
    expect(errorMap(dp({}, 'float16'))['wire.encoding']).toMatch(
      /^must be "float32" under central patient-level differential privacy \(got "float16"\)/,
    );
  });
});

describe('parseJobSpec: a FHIR feature mapping', () => {
  const LOINC = 'http://loinc.org';
  const fhir = {
    indexDate: { kind: 'lastEncounter' },
    features: [
      { name: 'age', source: 'patient', field: 'age' },
      { name: 'sex', source: 'patient', field: 'sex' },
      {
        name: 'chol',
        source: 'observation',
        codes: [{ system: LOINC, code: '2093-3' }],
        aggregate: 'latest',
        unit: 'mg/dL',
      },
    ],
    label: { kind: 'condition', codes: [{ system: 'http://snomed.info/sct', code: '53741008' }] },
  };
  const withFhir = (mapping: unknown) => withField({ dataset: { ...minimal.dataset, fhir: mapping } });

  it('carries the validated mapping in the protocol message and parses a returned spec to the same spec', () => {
    const spec = valid(withFhir(fhir));
    expect(spec.dataset?.fhir?.features.map((f) => [f.name, f.type])).toEqual([
      ['age', 'number'],
      ['sex', 'integer'],
      ['chol', 'number'],
    ]);
    expect(spec.dataset?.fhir?.label).toMatchObject({ kind: 'condition', horizonDays: 0, operator: '' });
    expect(valid(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(valid(withField({ dataset: { ...minimal.dataset, fhir: null } })).dataset?.fhir).toBeUndefined();
  });

  it('names the mapping field at fault, and features the job names but the mapping does not define', () => {
    expect(errorMap(withFhir({ ...fhir, features: fhir.features.slice(0, 2) }))).toEqual({
      'dataset.fhir.features': 'the mapping does not define "chol"',
    });
    expect(
      errorMap(
        withFhir({
          ...fhir,
          label: { kind: 'observation', codes: fhir.label.codes, operator: 'over', value: 1 },
        }),
      ),
    ).toEqual({
      'dataset.fhir.label.operator': expect.stringMatching(/^Invalid option/),
    });
    expect(errorMap(withFhir({ ...fhir, extra: 1 }))).toEqual({ 'dataset.fhir.extra': 'unknown field' });
  });
});
