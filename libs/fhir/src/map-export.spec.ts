import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LOINC, SNOMED_CT, UCUM } from './codes.js';
import { mapBulkExport } from './map-export.js';
import { parseFhirMapping } from './mapping.js';
import type { FhirMappingInput } from './mapping.schema.js';

const SBP = { system: LOINC, code: '8480-6' };
const CHOL_MASS = { system: LOINC, code: '2093-3' };
const CHOL_MOLES = { system: LOINC, code: '14647-2' };
const SMOKING = { system: LOINC, code: '72166-2' };
const CAD = { system: SNOMED_CT, code: '53741008' };
const HTN = { system: SNOMED_CT, code: '38341003' };
const STATIN = { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '83367' };

const patient = (id: string, gender: unknown, birthDate: unknown) => ({
  resourceType: 'Patient',
  id,
  gender,
  birthDate,
});
const encounter = (id: string, pid: string, start: string) => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: `Patient/${pid}` },
  period: { start },
});
const quantity = (
  id: string,
  pid: string,
  code: { system: string; code: string },
  date: string,
  value: number,
  unit?: string,
) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [code] },
  subject: { reference: `Patient/${pid}` },
  effectiveDateTime: date,
  valueQuantity: unit === undefined ? { value } : { value, unit, system: UCUM, code: unit },
});
const condition = (
  id: string,
  pid: string,
  code: { system: string; code: string },
  onset: string,
  extra = {},
) => ({
  resourceType: 'Condition',
  id,
  code: { coding: [code] },
  subject: { reference: `Patient/${pid}` },
  onsetDateTime: onset,
  ...extra,
});

const lines = (resources: unknown[]): string =>
  resources.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

const mappingInput: FhirMappingInput = {
  indexDate: { kind: 'fixed', date: '2020-01-01' },
  features: [
    { name: 'age', source: 'patient', field: 'age' },
    { name: 'sex', source: 'patient', field: 'sex' },
    {
      name: 'sbp_latest',
      source: 'observation',
      codes: [SBP],
      aggregate: 'latest',
      unit: 'mm[Hg]',
      lookbackDays: 365,
    },
    {
      name: 'sbp_mean',
      source: 'observation',
      codes: [SBP],
      aggregate: 'mean',
      unit: 'mm[Hg]',
      lookbackDays: 365,
    },
    { name: 'sbp_max', source: 'observation', codes: [SBP], aggregate: 'max', unit: 'mm[Hg]' },
    { name: 'sbp_count', source: 'observation', codes: [SBP], aggregate: 'count', lookbackDays: 365 },
    {
      name: 'chol',
      source: 'observation',
      codes: [CHOL_MASS, CHOL_MOLES],
      aggregate: 'latest',
      unit: 'mg/dL',
      molarMass: 386.65,
    },
    {
      name: 'smoker',
      source: 'observation',
      codes: [SMOKING],
      aggregate: 'latest',
      valueMap: [
        { system: SNOMED_CT, code: '77176002', value: 1 },
        { system: SNOMED_CT, code: '8517006', value: 0.5 },
        { system: SNOMED_CT, code: '266919005', value: 0 },
      ],
    },
    { name: 'htn', source: 'condition', codes: [HTN], aggregate: 'present' },
    { name: 'statin', source: 'medication', codes: [STATIN], aggregate: 'present', lookbackDays: 365 },
    { name: 'visits', source: 'encounter', aggregate: 'count', lookbackDays: 730 },
  ],
  label: { kind: 'condition', codes: [CAD], horizonDays: 365 },
};
const FEATURES = mappingInput.features.map((f) => f.name);

async function writeExport(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fhir-export-'));
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), name.endsWith('.gz') ? gzipSync(Buffer.from(text)) : text);
  }
  return dir;
}

describe('mapBulkExport', () => {
  it('computes each aggregate over its window, converts units and reads the label forward from the index date', async () => {
    const dir = await writeExport({
      'Patient.ndjson': lines([patient('p1', 'male', '1960-06-15'), patient('p2', 'female', '1970-01-01')]),
      'Encounter.ndjson.gz': lines([
        encounter('e1', 'p1', '2019-05-01'),
        encounter('e2', 'p1', '2017-01-01'), // outside the 730-day window
        encounter('e3', 'p2', '2019-12-31T23:00:00Z'),
      ]),
      'Observation.000.ndjson': lines([
        quantity('o1', 'p1', SBP, '2019-06-01', 140, 'mm[Hg]'),
        quantity('o2', 'p1', SBP, '2019-12-01', 16, 'kPa'), // 120.0102 mm[Hg], the latest
        quantity('o3', 'p1', SBP, '2015-01-01', 200, 'mm[Hg]'), // outside 365 days: only the max sees it
        quantity('o4', 'p1', SBP, '2020-02-01', 300, 'mm[Hg]'), // after the index date: never
        quantity('o5', 'p1', CHOL_MOLES, '2019-03-01', 5, 'mmol/L'),
        quantity('o6', 'p2', CHOL_MASS, '2019-03-01', 180, 'mg/dL'),
        {
          resourceType: 'Observation',
          id: 'o7',
          status: 'final',
          code: { coding: [SMOKING] },
          subject: { reference: 'Patient/p1' },
          effectiveDateTime: '2019-01-01',
          valueCodeableConcept: { coding: [{ system: SNOMED_CT, code: '8517006' }] },
        },
      ]),
      'Observation.001.ndjson': lines([quantity('o8', 'p2', SBP, '2019-07-01', 110, 'mm[Hg]')]),
      'Condition.ndjson': lines([
        condition('c1', 'p1', HTN, '2010-01-01'),
        condition('c2', 'p1', CAD, '2020-06-01'), // within the 365-day horizon
        condition('c3', 'p2', CAD, '2021-06-01'), // beyond it
        condition('c4', 'p2', HTN, '2012-01-01', {
          verificationStatus: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'refuted' },
            ],
          },
        }),
      ]),
      'MedicationStatement.ndjson': lines([
        {
          resourceType: 'MedicationStatement',
          id: 'm1',
          status: 'active',
          medicationCodeableConcept: { coding: [STATIN] },
          subject: { reference: 'Patient/p2' },
          effectivePeriod: { start: '2019-02-01' },
        },
      ]),
      'Procedure.ndjson': lines([{ resourceType: 'Procedure', id: 'x' }]),
    });
    const mapped = await mapBulkExport(dir, parseFhirMapping(mappingInput), FEATURES);
    expect(mapped.report.badInputTotal).toBe(0);
    expect(mapped.labels).toEqual([1, 0]);
    const [p1, p2] = mapped.rows.map((r) => Object.fromEntries(FEATURES.map((f, j) => [f, r[j]])));
    expect(p1.age).toBe(59);
    expect(p1.sex).toBe(1);
    expect(p1.sbp_latest).toBeCloseTo(16000 / 133.322, 6);
    expect(p1.sbp_mean).toBeCloseTo((140 + 16000 / 133.322) / 2, 6);
    expect(p1.sbp_max).toBe(200);
    expect(p1.sbp_count).toBe(2);
    expect(p1.chol).toBeCloseTo(193.325, 9);
    expect(p1.smoker).toBe(0.5);
    expect(p1.htn).toBe(1);
    expect(p1.statin).toBe(0);
    expect(p1.visits).toBe(1);
    expect(p2.age).toBe(50);
    expect(p2.sex).toBe(0);
    expect(p2.sbp_latest).toBe(110);
    expect(p2.sbp_count).toBe(1);
    expect(p2.chol).toBe(180);
    expect(p2.smoker).toBeNaN();
    expect(p2.htn).toBe(0); // refuted
    expect(p2.statin).toBe(1);
    expect(p2.visits).toBe(1);
    expect(mapped.types).toEqual([
      'number',
      'integer',
      'number',
      'number',
      'number',
      'integer',
      'number',
      'number',
      'integer',
      'integer',
      'integer',
    ]);
    expect(mapped.report.skippedFiles).toEqual([join(dir, 'Procedure.ndjson')]);
    expect(mapped.report.resourcesExcluded).toBe(1);
    expect(mapped.report.observed.smoker).toBe(1);
  });

  it('counts every kind of bad input with file and line, uses none of it and crashes on none', async () => {
    const dir = await writeExport({
      'Patient.ndjson': lines([
        patient('p1', 'male', '1960-06-15'),
        '{"resourceType":"Patient","id":"p2"', // line 2: cut off
        patient('p1', 'female', '1961-01-01'), // line 3: duplicate id
        patient('p3', 'man', '1999-02-30'), // line 4: unknown gender and impossible date (both counted)
        '[1,2]', // line 5: not an object
        { resourceType: 'Patient' }, // line 6: no id
      ]),
      'Encounter.ndjson': lines([encounter('e1', 'p1', '2019-05-01'), encounter('e3', 'p3', '2019-05-01')]),
      'Observation.ndjson': lines([
        quantity('o1', 'p1', SBP, '2019-06-01', 140, 'mm[Hg]'),
        condition('c9', 'p1', CAD, '2019-01-01'), // line 2: a Condition in the Observation file
        quantity('o2', 'p1', SBP, '2019-07-01', 150), // line 3: no unit
        quantity('o3', 'p1', SBP, '2019-08-01', 150, 'kg'), // line 4: incommensurable unit
        quantity('o4', 'ghost', SBP, '2019-08-01', 150, 'mm[Hg]'), // line 5: no such patient
        {
          ...quantity('o5', 'p1', SBP, '2019-09-01', 150, 'mm[Hg]'),
          encounter: { reference: 'Encounter/e3' },
        }, // line 6: p3's encounter
        { ...quantity('o6', 'p1', SBP, 'last week', 150, 'mm[Hg]') }, // line 7: bad date
        {
          resourceType: 'Observation',
          id: 'o7',
          status: 'final',
          code: { coding: [SMOKING] },
          subject: { reference: 'Patient/p1' },
          effectiveDateTime: '2019-01-01',
          valueCodeableConcept: { coding: [{ system: SNOMED_CT, code: '999999' }] },
        }, // line 8: answer not in the valueMap
        { ...quantity('o8', 'p1', SBP, '2019-06-01', 150, 'mm[Hg]'), valueQuantity: { value: 'high' } }, // line 9
        { ...quantity('o9', 'p1', SBP, '2019-06-01', 150, 'mm[Hg]'), subject: { reference: 'Group/g1' } }, // line 10
        quantity('o10', 'p1', { system: LOINC, code: '0000-0' }, '2019-06-01', 1, 'foo'), // line 11: not mapped: ignored
        'not json at all', // line 12
      ]),
      'Condition.ndjson': lines([condition('c1', 'p1', CAD, '2020-02-01')]),
    });
    const mapped = await mapBulkExport(dir, parseFhirMapping(mappingInput), FEATURES);
    const r = mapped.report;
    expect(r.badInput).toEqual({
      'invalid-json': 3,
      'wrong-resource-type': 1,
      'invalid-resource': 2,
      'invalid-date': 2,
      'unknown-code': 2,
      'missing-unit': 1,
      'invalid-unit': 1,
      'dangling-reference': 2,
      'mismatched-reference': 1,
      'duplicate-id': 1,
    });
    expect(r.badInputTotal).toBe(16);
    const at = (kind: string) =>
      r.badInputSamples.filter((s) => s.kind === kind).map((s) => `${s.file}:${s.line}`);
    expect(at('invalid-json')).toEqual(['Patient.ndjson:2', 'Patient.ndjson:5', 'Observation.ndjson:12']);
    expect(at('wrong-resource-type')).toEqual(['Observation.ndjson:2']);
    expect(at('duplicate-id')).toEqual(['Patient.ndjson:3']);
    expect(at('unknown-code')).toEqual(['Patient.ndjson:4', 'Observation.ndjson:8']);
    expect(at('invalid-date')).toEqual(['Patient.ndjson:4', 'Observation.ndjson:7']);
    expect(at('missing-unit')).toEqual(['Observation.ndjson:3']);
    expect(at('invalid-unit')).toEqual(['Observation.ndjson:4']);
    expect(at('dangling-reference')).toEqual(['Observation.ndjson:5', 'Observation.ndjson:10']);
    expect(at('mismatched-reference')).toEqual(['Observation.ndjson:6']);
    expect(at('invalid-resource')).toEqual(['Patient.ndjson:6', 'Observation.ndjson:9']);
    // Only the one good SBP reading of p1 counts; p3 has no birth date or sex, and no label event.
    expect(mapped.rows).toHaveLength(2);
    expect(mapped.rows[0][FEATURES.indexOf('sbp_count')]).toBe(1);
    expect(mapped.rows[0][FEATURES.indexOf('sbp_mean')]).toBe(140);
    expect(mapped.rows[1][FEATURES.indexOf('age')]).toBeNaN();
    expect(mapped.rows[1][FEATURES.indexOf('sex')]).toBeNaN();
    expect(mapped.labels).toEqual([1, 0]);
  });

  it("sets the index date from each patient's last encounter and reads an Observation threshold label", async () => {
    const dir = await writeExport({
      'Patient.ndjson': lines([
        patient('a', 'female', '1950-01-01'),
        patient('b', 'male', '1950-01-01'),
        patient('c', 'male', '1950-01-01'),
      ]),
      'Encounter.ndjson': lines([
        encounter('e1', 'a', '2000-01-01'),
        encounter('e2', 'a', '2010-01-01'),
        encounter('e3', 'b', '2005-01-01'),
      ]),
      'Observation.ndjson': lines([
        quantity('h1', 'a', { system: LOINC, code: '4548-4' }, '2010-01-01', 7.1, '%'),
        quantity('h2', 'a', { system: LOINC, code: '4548-4' }, '2000-01-01', 5.0, '%'),
        quantity('h3', 'b', { system: LOINC, code: '4548-4' }, '2005-01-01', 5.5, '%'),
        quantity('h4', 'b', { system: LOINC, code: '4548-4' }, '2006-01-01', 9.9, '%'), // after b's index date
      ]),
    });
    const mapping = parseFhirMapping({
      indexDate: { kind: 'lastEncounter' },
      features: [{ name: 'age', source: 'patient', field: 'age' }],
      label: {
        kind: 'observation',
        codes: [{ system: LOINC, code: '4548-4' }],
        operator: 'atLeast',
        value: 6.5,
        unit: '%',
      },
    });
    const mapped = await mapBulkExport(dir, mapping, ['age']);
    expect(mapped.rows.map((r) => r[0])).toEqual([60, 55]);
    expect(mapped.labels).toEqual([1, 0]);
    expect(mapped.report.noIndexDate).toBe(1);
    expect(mapped.report.unlabelled).toBe(0);
  });

  it('counts a repeated Encounter id once, wherever the repeat is, and checks encounters across files', async () => {
    const dir = await writeExport({
      'Patient.ndjson': lines([patient('a', 'female', '1950-01-01'), patient('b', 'male', '1950-01-01')]),
      'Encounter.000.ndjson': lines(['{"broken', encounter('e1', 'a', '2019-01-01')]),
      'Encounter.001.ndjson.gz': lines([
        encounter('e1', 'b', '2019-02-01'),
        encounter('e2', 'b', '2019-03-01'),
      ]),
      'Observation.ndjson': lines([
        {
          ...quantity('o1', 'b', SBP, '2019-03-01', 120, 'mm[Hg]'),
          encounter: { reference: 'Encounter/e2' },
        },
        {
          ...quantity('o2', 'b', SBP, '2019-03-02', 130, 'mm[Hg]'),
          encounter: { reference: 'Encounter/e1' },
        },
      ]),
    });
    const mapped = await mapBulkExport(dir, parseFhirMapping(mappingInput), FEATURES);
    const visits = FEATURES.indexOf('visits');
    expect(mapped.rows.map((r) => r[visits])).toEqual([1, 1]);
    expect(mapped.rows[1][FEATURES.indexOf('sbp_count')]).toBe(1);
    expect(mapped.report.badInputSamples.map((b) => `${b.kind} ${b.file}:${b.line}`)).toEqual([
      'invalid-json Encounter.000.ndjson:1',
      'duplicate-id Encounter.001.ndjson.gz:1',
      'mismatched-reference Observation.ndjson:2',
    ]);
  });

  it('checks the lines no feature reads for framing, type and references without parsing them', async () => {
    const HR = { system: LOINC, code: '8867-4' };
    const dir = await writeExport({
      'Patient.ndjson': lines([patient('a', 'female', '1950-01-01'), patient('b', 'male', '1950-01-01')]),
      'Encounter.ndjson': lines([encounter('ea', 'a', '2019-01-01')]),
      'Observation.ndjson': lines([
        quantity('h1', 'a', HR, '2019-01-01', 70, '/min'), // fine, and unused
        quantity('h2', 'ghost', HR, '2019-01-01', 70, '/min'),
        { ...quantity('h3', 'b', HR, '2019-01-01', 70, '/min'), encounter: { reference: 'Encounter/ea' } },
        { ...quantity('h4', 'a', HR, '2019-01-01', 70, '/min'), resourceType: 'Procedure' },
        JSON.stringify(quantity('h5', 'a', HR, '2019-01-01', 70, '/min')).slice(0, -3),
        // A layout the patterns do not cover (display before reference) takes the parsing path: still checked.
        {
          ...quantity('h6', 'ghost', HR, '2019-01-01', 70, '/min'),
          subject: { display: 'x', reference: 'Patient/ghost' },
        },
        quantity('h7', 'a', HR, '2019-01-01', 70, 'a\\b'), // an escape: parsed
      ]),
    });
    const mapped = await mapBulkExport(dir, parseFhirMapping(mappingInput), FEATURES);
    expect(mapped.report.badInputSamples.map((b) => `${b.kind} ${b.line}`)).toEqual([
      'dangling-reference 2',
      'mismatched-reference 3',
      'wrong-resource-type 4',
      'invalid-json 5',
      'dangling-reference 6',
    ]);
    expect(mapped.report.resourcesRead).toBe(2 + 1 + 7);
  });

  it('throws only when there is no Patient file or no usable patient', async () => {
    const empty = await writeExport({ 'Observation.ndjson': '' });
    await expect(mapBulkExport(empty, parseFhirMapping(mappingInput), FEATURES)).rejects.toMatchObject({
      code: 'FHIR_NO_PATIENTS',
    });
    const garbage = await writeExport({ 'Patient.ndjson': 'x\ny\n' });
    await expect(mapBulkExport(garbage, parseFhirMapping(mappingInput), FEATURES)).rejects.toThrow(
      /Patient.ndjson line 1: invalid-json/,
    );
  });
});
