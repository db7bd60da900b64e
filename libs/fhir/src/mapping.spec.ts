import { LOINC, SNOMED_CT } from './codes.js';
import { FhirError } from './errors.js';
import {
  describeFhirMapping,
  fhirMappingFromProto,
  fhirMappingToProto,
  mappingFeatureIssues,
  parseFhirMapping,
} from './mapping.js';
import { reviewFhirMapping, fhirPolicySchema } from './mapping-policy.js';
import type { FhirMappingInput } from './mapping.schema.js';

const full: FhirMappingInput = {
  indexDate: { kind: 'fixed', date: '2024-01-01' },
  features: [
    { name: 'age', source: 'patient', field: 'age' },
    {
      name: 'sbp',
      source: 'observation',
      codes: [{ system: LOINC, code: '8480-6' }],
      aggregate: 'mean',
      unit: 'mm[Hg]',
      lookbackDays: 0,
    },
    {
      name: 'chol',
      source: 'observation',
      codes: [{ system: LOINC, code: '14647-2' }],
      aggregate: 'latest',
      unit: 'mg/dL',
      molarMass: 386.65,
      type: 'number',
    },
    {
      name: 'cp',
      source: 'observation',
      codes: [{ system: LOINC, code: '1-1' }],
      aggregate: 'latest',
      valueMap: [{ system: SNOMED_CT, code: '1', value: 0 }],
    },
    {
      name: 'htn',
      source: 'condition',
      codes: [{ system: SNOMED_CT, code: '38341003' }],
      aggregate: 'count',
      lookbackDays: 365,
    },
    { name: 'visits', source: 'encounter', aggregate: 'count' },
  ],
  label: {
    kind: 'observation',
    codes: [{ system: LOINC, code: '4548-4' }],
    operator: 'atLeast',
    value: 0,
    unit: '%',
    horizonDays: 30,
  },
};

describe('FHIR mappings', () => {
  it('fill in defaults and survive the trip through the protocol message unchanged', () => {
    const m = parseFhirMapping(full);
    expect(m.features.map((f) => f.type)).toEqual([
      'number',
      'number',
      'number',
      'number',
      'integer',
      'integer',
    ]);
    expect(m.label).toMatchObject({ aggregate: 'latest', horizonDays: 30 });
    expect(parseFhirMapping(fhirMappingFromProto(fhirMappingToProto(m)))).toEqual(m);
    const conditionLabel = parseFhirMapping({
      ...full,
      label: { kind: 'condition', codes: [{ system: SNOMED_CT, code: '53741008' }] },
    });
    expect(parseFhirMapping(fhirMappingFromProto(fhirMappingToProto(conditionLabel)))).toEqual(
      conditionLabel,
    );
    const lastEncounter = parseFhirMapping({ ...full, indexDate: { kind: 'lastEncounter' } });
    expect(parseFhirMapping(fhirMappingFromProto(fhirMappingToProto(lastEncounter)))).toEqual(lastEncounter);
  });

  it('list every bad field by path', () => {
    const bad = {
      indexDate: { kind: 'fixed', date: '2024-13-01' },
      features: [
        { name: 'a', source: 'patient', field: 'weight' },
        { name: 'a', source: 'observation', codes: [], aggregate: 'latest' },
        { name: 'b', source: 'condition', codes: [{ system: 'loinc', code: 'x' }], aggregate: 'mean' },
        {
          name: 'c',
          source: 'observation',
          codes: [{ system: LOINC, code: 'x' }],
          aggregate: 'latest',
          molarMass: 10,
        },
      ],
      label: { kind: 'observation', codes: [{ system: LOINC, code: 'x' }], operator: 'above', value: 1 },
    };
    let message = '';
    try {
      parseFhirMapping(bad, 'job.json dataset.fhir');
    } catch (err) {
      expect(err).toBeInstanceOf(FhirError);
      message = (err as Error).message;
    }
    for (const path of [
      'indexDate.date',
      'features.0.field',
      'features.1.codes',
      'features.2.codes.0.system',
      'features.2.aggregate',
      'label.operator',
    ]) {
      expect(message).toContain(`${path}:`);
    }
    expect(message).toMatch(/^job.json dataset.fhir is invalid/);
    const dup = { ...full, features: [full.features[0], full.features[0]] };
    expect(() => parseFhirMapping(dup)).toThrow(/duplicate feature "age"/);
    expect(() => parseFhirMapping({ ...full, features: [full.features[0], bad.features[3]] })).toThrow(
      /features.1.molarMass: applies only with a unit/,
    );
  });

  it('must define exactly the features the job names', () => {
    const m = parseFhirMapping(full);
    expect(mappingFeatureIssues(m, ['visits', 'htn', 'cp', 'chol', 'sbp', 'age'])).toEqual([]);
    expect(mappingFeatureIssues(m, ['age', 'sbp', 'chol', 'cp', 'htn', 'visits', 'bmi'])).toEqual([
      'the mapping does not define "bmi"',
    ]);
    expect(mappingFeatureIssues(m, ['age'])).toEqual([
      'the mapping defines "sbp", "chol", "cp", "htn", "visits", which the job does not use',
    ]);
  });
});

describe('reviewFhirMapping', () => {
  const m = parseFhirMapping(full);
  it('accepts under the default policy', () => {
    expect(reviewFhirMapping(m, fhirPolicySchema.parse({}))).toEqual([]);
  });

  it('names each refused source, code system, withheld code, window and unit', () => {
    const policy = fhirPolicySchema.parse({
      allowedSources: ['patient', 'observation'],
      allowedCodeSystems: [LOINC],
      deniedCodes: [{ system: LOINC, code: '4548-4' }],
      maxLookbackDays: 100,
    });
    expect(reviewFhirMapping(m, policy)).toEqual([
      // sbp looks back 0 days, within the limit.
      'feature "chol" reads the whole history; this silo allows at most 100 days back',
      'feature "cp" reads the whole history; this silo allows at most 100 days back',
      `feature "cp" uses code system ${SNOMED_CT}, which this silo does not allow`,
      'feature "htn" reads condition data, which this silo does not allow',
      `feature "htn" uses code system ${SNOMED_CT}, which this silo does not allow`,
      'feature "htn" looks back 365 days; this silo allows at most 100',
      'feature "visits" reads encounter data, which this silo does not allow',
      'feature "visits" reads the whole history; this silo allows at most 100 days back',
      `the label reads ${LOINC}|4548-4, which this silo withholds`,
      'the label reads the whole history; this silo allows at most 100 days back',
    ]);
    const badUnit = parseFhirMapping({ ...full, features: [{ ...full.features[1], unit: 'mmHg' }] });
    expect(reviewFhirMapping(badUnit, fhirPolicySchema.parse({}))).toEqual([
      expect.stringMatching(/^feature "sbp": "mmHg" is not a valid UCUM unit/),
    ]);
  });
});

describe('describeFhirMapping', () => {
  it('says what each feature and the label read, for the person approving the job', () => {
    expect(describeFhirMapping(parseFhirMapping(full))).toEqual([
      'index date: 2024-01-01',
      'age: Patient age',
      'sbp: mean of observation http://loinc.org|8480-6 in mm[Hg], 0 days before',
      'chol: latest of observation http://loinc.org|14647-2 in mg/dL, the whole history before',
      'cp: latest of observation http://loinc.org|1-1, the whole history before',
      'htn: count of condition http://snomed.info/sct|38341003, 365 days before',
      'visits: count of encounter (any), the whole history before',
      'label: latest Observation atLeast 0 % with http://loinc.org|4548-4, the whole history before to 30 days after',
    ]);
  });
});
