import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { parseJobSpec } from '@cohort/jobs';
import type { JobSpec } from '@cohort/protocol';
import { SiloConfig } from './config.js';
import { DatasetsService } from './datasets.service.js';
import { PolicyService } from './policy.service.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const fhirDir = join(root, 'examples/heart-disease-fhir');
const read = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const fhirSilo = read(join(fhirDir, 'silo-va.json'));
const fhirJob = read(join(fhirDir, 'job.json'));

function silo(raw: Record<string, unknown>, policy: Record<string, unknown> = {}): SiloConfig {
  return SiloConfig.fromObject({ ...raw, policy: { ...(raw.policy as object), ...policy } }, fhirDir, {
    aggregatorUrl: 'aggregator:50051',
  });
}

function spec(raw: Record<string, unknown>): JobSpec {
  const parsed = parseJobSpec(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.spec;
}

describe('PolicyService: a job on a FHIR dataset', () => {
  it('accepts the example job, whose mapping the example silo allows', () => {
    expect(new PolicyService(silo(fhirSilo)).judgeJob(spec(fhirJob), 'ada')).toEqual({
      accept: true,
      reason: 'policy checks passed',
    });
  });

  it('declines a job without a mapping, saying what is missing', () => {
    const dataset = fhirJob.dataset as Record<string, unknown>;
    const decision = new PolicyService(silo(fhirSilo)).judgeJob(
      spec({ ...fhirJob, dataset: { id: dataset.id, features: dataset.features } }),
      'ada',
    );
    expect(decision).toEqual({
      accept: false,
      reason:
        'dataset "uci-heart-disease" is a FHIR export here: the job must give a feature mapping (dataset.fhir)',
    });
  });

  it('declines a mapping its policy does not accept, naming each reason', () => {
    const policy = silo(fhirSilo, {
      fhir: {
        allowedCodeSystems: ['http://loinc.org', 'http://snomed.info/sct'],
        deniedCodes: [{ system: 'http://loinc.org', code: '2093-3' }],
        maxLookbackDays: 365,
      },
    });
    const decision = new PolicyService(policy).judgeJob(spec(fhirJob), 'ada');
    expect(decision.accept).toBe(false);
    expect(decision.reason).toMatch(/^the FHIR mapping is not accepted: /);
    expect(decision.reason).toContain(
      'feature "cp" uses code system https://example.org/fhir/CodeSystem/uci-heart-disease, which this silo does not allow',
    );
    expect(decision.reason).toContain(
      'feature "chol" reads http://loinc.org|2093-3, which this silo withholds',
    );
    expect(decision.reason).toContain(
      'feature "trestbps" reads the whole history; this silo allows at most 365 days back',
    );
    expect(decision.reason).toContain('the label reads the whole history');
  });

  it('lets a CSV silo take a job that carries a mapping for the FHIR sites', () => {
    const csvSilo = SiloConfig.fromObject(
      read(join(root, 'examples/heart-disease/silo-va.json')),
      join(root, 'examples/heart-disease'),
      {
        aggregatorUrl: 'aggregator:50051',
      },
    );
    expect(new PolicyService(csvSilo).judgeJob(spec(fhirJob), 'ada').accept).toBe(true);
  });
});

describe('PolicyService: the wire encoding', () => {
  it('accepts each encoding this agent produces and declines one it does not, naming them', () => {
    const policy = new PolicyService(silo(fhirSilo));
    for (const encoding of ['float32', 'float16', 'int8']) {
      expect(policy.judgeJob(spec({ ...fhirJob, wire: { encoding } }), 'ada').accept).toBe(true);
    }
    // As an aggregator of a later version might send it: its parser knows an encoding this agent does not.
    const later = { ...spec(fhirJob), wire: { encoding: 'int4' } };
    expect(policy.judgeJob(later, 'ada')).toEqual({
      accept: false,
      reason: 'the job\'s wire encoding "int4" is not one this agent produces (float32, float16, int8)',
    });
  });
});

describe('DatasetsService: a FHIR dataset', () => {
  const quiet = pino({ level: 'silent' });

  it("maps the export with the job's mapping to the CSV dataset's split", async () => {
    const job = spec(fhirJob);
    const fhirConfig = silo(fhirSilo);
    const policy = new PolicyService(fhirConfig);
    const fromFhir = await new DatasetsService(fhirConfig, quiet).load(
      'uci-heart-disease',
      job.dataset?.features ?? [],
      policy.mappingOf(job),
    );
    const csvConfig = SiloConfig.fromObject(
      read(join(root, 'examples/heart-disease/silo-va.json')),
      join(root, 'examples/heart-disease'),
      {
        aggregatorUrl: 'aggregator:50051',
      },
    );
    const fromCsv = await new DatasetsService(csvConfig, quiet).load(
      'uci-heart-disease',
      job.dataset?.features ?? [],
    );
    expect(fromFhir.train.n).toBe(fromCsv.train.n);
    expect(fromFhir.test.n).toBe(fromCsv.test.n);
    expect(Array.from(fromFhir.test.y)).toEqual(Array.from(fromCsv.test.y));
    expect(policy.judgeData(fromFhir).accept).toBe(true);
  });

  it('refuses to load a FHIR dataset without a mapping, and passes its start-up check', async () => {
    const datasets = new DatasetsService(silo(fhirSilo), quiet);
    await expect(datasets.load('uci-heart-disease', ['age'])).rejects.toThrow(/must give a feature mapping/);
    await datasets.check('uci-heart-disease', []);
    expect(datasets.status()).toEqual({ loaded: ['uci-heart-disease'], failed: [], pending: [] });
  });
});
