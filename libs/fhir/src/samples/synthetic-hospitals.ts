// Seeded synthetic FHIR R4 bulk exports of hospitals with different case mixes, for demos, tests and the bench.
// Risk factors and their effect on coronary disease follow the shape (not the coefficients) of the Framingham
// risk functions (D'Agostino et al., Circulation 2008): age, sex, systolic pressure, total and HDL cholesterol,
// smoking and diabetes raise the odds of a coronary diagnosis in the year after the index date.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32 } from '@cohort/data';
import { LOINC, RXNORM, SNOMED_CT, UCUM } from '../codes.js';
import type { BadInputKind } from '../bad-input.js';
import { fhirDay, isoDay } from '../dates.js';
import type { FhirMappingInput } from '../mapping.schema.js';
import { CHOLESTEROL_MOLAR_MASS } from './heart-disease.js';
import { NdjsonWriter } from './ndjson-writer.js';

const GLUCOSE_MOLAR_MASS = 180.16;

export const SYNTHETIC_CODES = {
  systolic: { system: LOINC, code: '8480-6', display: 'Systolic blood pressure' },
  diastolic: { system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' },
  heartRate: { system: LOINC, code: '8867-4', display: 'Heart rate' },
  weight: { system: LOINC, code: '29463-7', display: 'Body weight' },
  height: { system: LOINC, code: '8302-2', display: 'Body height' },
  bmi: { system: LOINC, code: '39156-5', display: 'Body mass index (BMI) [Ratio]' },
  cholesterolMass: { system: LOINC, code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma' },
  cholesterolMoles: {
    system: LOINC,
    code: '14647-2',
    display: 'Cholesterol [Moles/volume] in Serum or Plasma',
  },
  hdlMass: { system: LOINC, code: '2085-9', display: 'Cholesterol in HDL [Mass/volume] in Serum or Plasma' },
  hdlMoles: {
    system: LOINC,
    code: '14646-4',
    display: 'Cholesterol in HDL [Moles/volume] in Serum or Plasma',
  },
  hba1c: { system: LOINC, code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' },
  glucoseMass: { system: LOINC, code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma' },
  glucoseMoles: { system: LOINC, code: '14749-6', display: 'Glucose [Moles/volume] in Serum or Plasma' },
  smoking: { system: LOINC, code: '72166-2', display: 'Tobacco smoking status' },
  hypertension: { system: SNOMED_CT, code: '38341003', display: 'Hypertensive disorder' },
  diabetes: { system: SNOMED_CT, code: '44054006', display: 'Diabetes mellitus type 2' },
  hyperlipidemia: { system: SNOMED_CT, code: '55822004', display: 'Hyperlipidemia' },
  coronary: { system: SNOMED_CT, code: '53741008', display: 'Coronary arteriosclerosis' },
  atorvastatin: { system: RXNORM, code: '83367', display: 'atorvastatin' },
  metformin: { system: RXNORM, code: '6809', display: 'metformin' },
  lisinopril: { system: RXNORM, code: '29046', display: 'lisinopril' },
} as const;

export const SMOKING_ANSWERS = {
  current: { system: SNOMED_CT, code: '77176002', display: 'Smoker' },
  former: { system: SNOMED_CT, code: '8517006', display: 'Ex-smoker' },
  never: { system: SNOMED_CT, code: '266919005', display: 'Never smoked tobacco' },
} as const;

export interface HospitalProfile {
  name: string;
  patients: number;
  ageMean: number;
  ageSd: number;
  maleFraction: number;
  /** Odds multipliers of the comorbidities against the reference mix. */
  hypertension: number;
  diabetes: number;
  smoking: number;
  /** Added to the coronary log-odds: referral centres see sicker patients than their risk factors say. */
  baselineShift: number;
  visitsPerYear: number;
  /** Units as the site's systems report them (SI in Europe). */
  units: {
    lipids: 'mg/dL' | 'mmol/L';
    glucose: 'mg/dL' | 'mmol/L';
    weight: 'kg' | '[lb_av]';
    height: 'cm' | '[in_i]';
  };
}

/** Four hospitals: a US teaching hospital, a European cardiology referral centre, a rural clinic, a city hospital. */
export const SYNTHETIC_HOSPITALS: readonly HospitalProfile[] = [
  {
    name: 'northbrook-university',
    patients: 900,
    ageMean: 58,
    ageSd: 12,
    maleFraction: 0.5,
    hypertension: 1,
    diabetes: 1,
    smoking: 1,
    baselineShift: 0,
    visitsPerYear: 3,
    units: { lipids: 'mg/dL', glucose: 'mg/dL', weight: '[lb_av]', height: '[in_i]' },
  },
  {
    name: 'rheinland-herzzentrum',
    patients: 600,
    ageMean: 64,
    ageSd: 9,
    maleFraction: 0.68,
    hypertension: 1.6,
    diabetes: 1.3,
    smoking: 1.2,
    baselineShift: 0.8,
    visitsPerYear: 4,
    units: { lipids: 'mmol/L', glucose: 'mmol/L', weight: 'kg', height: 'cm' },
  },
  {
    name: 'prairie-county-clinic',
    patients: 400,
    ageMean: 52,
    ageSd: 15,
    maleFraction: 0.45,
    hypertension: 1.2,
    diabetes: 1.5,
    smoking: 1.6,
    baselineShift: -0.2,
    visitsPerYear: 2,
    units: { lipids: 'mg/dL', glucose: 'mg/dL', weight: '[lb_av]', height: '[in_i]' },
  },
  {
    name: 'lagune-city-hospital',
    patients: 700,
    ageMean: 47,
    ageSd: 14,
    maleFraction: 0.48,
    hypertension: 0.7,
    diabetes: 0.8,
    smoking: 0.9,
    baselineShift: -0.4,
    visitsPerYear: 2.5,
    units: { lipids: 'mmol/L', glucose: 'mmol/L', weight: 'kg', height: 'cm' },
  },
];

export interface SyntheticExportOptions {
  seed: number;
  /** Overrides the profile's patient count. */
  patients?: number;
  indexDate?: string;
  /** Years of history before the index date. */
  years?: number;
  /** Share of resources written as bad input (spread over the kinds the reader must catch). */
  badInputRate?: number;
  gzip?: boolean;
}

export interface SyntheticExportSummary {
  resources: Record<string, number>;
  /** What was injected, per kind: the reader must report exactly these counts. */
  injected: Partial<Record<BadInputKind, number>>;
  coronaryCases: number;
}

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

const concept = (c: { system: string; code: string; display: string }) => ({
  coding: [{ system: c.system, code: c.code, display: c.display }],
});

/**
 * Writes one hospital's export into `dir` (Patient, Encounter, Observation, Condition, MedicationStatement),
 * streaming: memory does not grow with the number of patients or the length of their history.
 */
export async function writeSyntheticHospital(
  dir: string,
  profile: HospitalProfile,
  opts: SyntheticExportOptions,
): Promise<SyntheticExportSummary> {
  const random = mulberry32(opts.seed);
  const gzip = opts.gzip ?? true;
  const indexDay = fhirDay(opts.indexDate ?? '2024-01-01') ?? 0;
  const years = opts.years ?? 3;
  const badRate = opts.badInputRate ?? 0;
  await mkdir(dir, { recursive: true });
  const types = ['Patient', 'Encounter', 'Observation', 'Condition', 'MedicationStatement'] as const;
  const writers = Object.fromEntries(
    types.map((t) => [t, new NdjsonWriter(join(dir, `${t}.ndjson${gzip ? '.gz' : ''}`), gzip)]),
  ) as Record<(typeof types)[number], NdjsonWriter>;
  const injected: Partial<Record<BadInputKind, number>> = {};
  let coronaryCases = 0;
  /** The last encounter of the previous patient: what a mismatched reference points at. */
  let previousEncounter: string | undefined;
  let lastEncounter: string | undefined;
  let serial = 0;

  /** Writes a resource, or (at the bad-input rate) a broken version of it the reader must catch. */
  const emit = async (
    type: (typeof types)[number],
    r: Record<string, unknown>,
    breakable: BadInputKind[],
  ) => {
    const kinds = breakable.filter((k) => k !== 'mismatched-reference' || previousEncounter !== undefined);
    if (badRate > 0 && kinds.length > 0 && random() < badRate) {
      const kind = kinds[Math.floor(random() * kinds.length)];
      injected[kind] = (injected[kind] ?? 0) + 1;
      switch (kind) {
        case 'invalid-json':
          return writers[type].write(JSON.stringify(r).slice(0, -7));
        case 'wrong-resource-type':
          return writers[type].write({
            ...r,
            resourceType: type === 'Observation' ? 'Condition' : 'Observation',
          });
        case 'unknown-code':
          return writers[type].write({
            ...r,
            valueCodeableConcept: { coding: [{ system: SNOMED_CT, code: '999999999', display: 'unmapped' }] },
          });
        case 'missing-unit': {
          const q = r.valueQuantity as Record<string, unknown>;
          return writers[type].write({ ...r, valueQuantity: { value: q.value } });
        }
        case 'dangling-reference':
          return writers[type].write({ ...r, subject: { reference: `Patient/unknown-${serial++}` } });
        default:
          return writers[type].write({ ...r, encounter: { reference: `Encounter/${previousEncounter}` } });
      }
    }
    return writers[type].write(r);
  };

  const n = opts.patients ?? profile.patients;
  for (let i = 0; i < n; i++) {
    const pid = `${profile.name}-${String(i + 1).padStart(6, '0')}`;
    const subject = { reference: `Patient/${pid}` };
    previousEncounter = lastEncounter;
    const male = random() < profile.maleFraction;
    const age = Math.min(95, Math.max(18, profile.ageMean + profile.ageSd * normal(random)));
    const birthDay = indexDay - Math.round(age * 365.25) - Math.floor(random() * 365);
    const odds = (base: number, m: number, shift = 0) => sigmoid(Math.log((base * m) / (1 - base)) + shift);
    const htn = random() < odds(0.3, profile.hypertension, 0.05 * (age - 55));
    const dm = random() < odds(0.12, profile.diabetes, 0.03 * (age - 55));
    const smoke = random();
    const smoker = smoke < odds(0.18, profile.smoking) ? 'current' : smoke < 0.45 ? 'former' : 'never';
    const lipid = random() < 0.35;
    const height = (male ? 176 : 163) + 7 * normal(random);
    const bmi = 27 + (dm ? 3 : 0) + 4 * normal(random);
    const sbpBase = 118 + 0.45 * (age - 50) + (htn ? 18 : 0) + 8 * normal(random);
    const chol = 195 + (lipid ? 45 : 0) + 30 * normal(random);
    const hdl = (male ? 46 : 56) - (dm ? 5 : 0) + 9 * normal(random);
    const a1c = 5.4 + (dm ? 1.9 : 0) + 0.35 * normal(random);
    const logit =
      -3.1 +
      profile.baselineShift +
      0.065 * (age - 55) +
      (male ? 0.6 : 0) +
      0.018 * (sbpBase - 130) +
      0.008 * (chol - 200) -
      0.03 * (hdl - 50) +
      (smoker === 'current' ? 0.7 : smoker === 'former' ? 0.25 : 0) +
      (dm ? 0.6 : 0);
    const cad = random() < sigmoid(logit);

    await writers.Patient.write({
      resourceType: 'Patient',
      id: pid,
      gender: male ? 'male' : 'female',
      birthDate: isoDay(birthDay),
    });
    const visits = Math.max(1, Math.round(years * profile.visitsPerYear * (0.5 + random())));
    for (let v = 0; v < visits; v++) {
      const day = indexDay - 1 - Math.floor(random() * years * 365);
      const date = isoDay(day);
      const eid = `${pid}-e${v}`;
      await emit(
        'Encounter',
        {
          resourceType: 'Encounter',
          id: eid,
          status: 'finished',
          class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
          subject,
          period: { start: date, end: date },
        },
        [],
      );
      const encounter = { reference: `Encounter/${eid}` };
      const obs = (
        key: string,
        code: { system: string; code: string; display: string },
        value: Record<string, unknown>,
      ) => ({
        resourceType: 'Observation',
        id: `${eid}-${key}`,
        status: 'final',
        code: concept(code),
        subject,
        encounter,
        effectiveDateTime: date,
        ...value,
      });
      const qty = (value: number, unit: string) => ({
        valueQuantity: { value, unit, system: UCUM, code: unit },
      });
      const sbp = sbpBase + 9 * normal(random);
      await emit('Observation', obs('sbp', SYNTHETIC_CODES.systolic, qty(Math.round(sbp), 'mm[Hg]')), [
        'invalid-json',
        'wrong-resource-type',
        'missing-unit',
        'dangling-reference',
        'mismatched-reference',
      ]);
      await emit(
        'Observation',
        obs('dbp', SYNTHETIC_CODES.diastolic, qty(Math.round(sbp * 0.62 + 4 * normal(random)), 'mm[Hg]')),
        [],
      );
      await emit(
        'Observation',
        obs('hr', SYNTHETIC_CODES.heartRate, qty(Math.round(72 + 10 * normal(random)), '/min')),
        [],
      );
      const weightKg = bmi * (height / 100) ** 2 + 1.5 * normal(random);
      await emit(
        'Observation',
        obs(
          'weight',
          SYNTHETIC_CODES.weight,
          qty(
            profile.units.weight === 'kg' ? round(weightKg, 1) : round(weightKg / 0.45359237, 1),
            profile.units.weight,
          ),
        ),
        [],
      );
      await emit(
        'Observation',
        obs('bmi', SYNTHETIC_CODES.bmi, qty(round(weightKg / (height / 100) ** 2, 1), 'kg/m2')),
        [],
      );
      if (v % 2 === 0) {
        const si = profile.units.lipids === 'mmol/L';
        const c = chol + 12 * normal(random);
        const h = hdl + 4 * normal(random);
        await emit(
          'Observation',
          obs(
            'chol',
            si ? SYNTHETIC_CODES.cholesterolMoles : SYNTHETIC_CODES.cholesterolMass,
            qty(si ? round((c * 10) / CHOLESTEROL_MOLAR_MASS, 2) : Math.round(c), profile.units.lipids),
          ),
          [],
        );
        await emit(
          'Observation',
          obs(
            'hdl',
            si ? SYNTHETIC_CODES.hdlMoles : SYNTHETIC_CODES.hdlMass,
            qty(si ? round((h * 10) / CHOLESTEROL_MOLAR_MASS, 2) : Math.round(h), profile.units.lipids),
          ),
          [],
        );
        await emit(
          'Observation',
          obs('a1c', SYNTHETIC_CODES.hba1c, qty(round(a1c + 0.2 * normal(random), 1), '%')),
          [],
        );
        const g = 95 + (dm ? 55 : 0) + 12 * normal(random);
        const gsi = profile.units.glucose === 'mmol/L';
        await emit(
          'Observation',
          obs(
            'glucose',
            gsi ? SYNTHETIC_CODES.glucoseMoles : SYNTHETIC_CODES.glucoseMass,
            qty(gsi ? round((g * 10) / GLUCOSE_MOLAR_MASS, 1) : Math.round(g), profile.units.glucose),
          ),
          [],
        );
      }
      if (v === 0) {
        await emit(
          'Observation',
          obs('smoking', SYNTHETIC_CODES.smoking, { valueCodeableConcept: concept(SMOKING_ANSWERS[smoker]) }),
          ['unknown-code'],
        );
      }
      lastEncounter = eid;
    }
    const onset = isoDay(indexDay - 200 - Math.floor(random() * 2000));
    const condition = (
      key: string,
      code: { system: string; code: string; display: string },
      when: string,
    ) => ({
      resourceType: 'Condition',
      id: `${pid}-${key}`,
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
      },
      code: concept(code),
      subject,
      onsetDateTime: when,
    });
    const medication = (key: string, code: { system: string; code: string; display: string }) => ({
      resourceType: 'MedicationStatement',
      id: `${pid}-${key}`,
      status: 'active',
      medicationCodeableConcept: concept(code),
      subject,
      effectivePeriod: { start: onset },
    });
    if (htn) {
      await emit('Condition', condition('htn', SYNTHETIC_CODES.hypertension, onset), ['dangling-reference']);
      if (random() < 0.75)
        await emit('MedicationStatement', medication('lisinopril', SYNTHETIC_CODES.lisinopril), []);
    }
    if (dm) {
      await emit('Condition', condition('dm', SYNTHETIC_CODES.diabetes, onset), []);
      if (random() < 0.8)
        await emit('MedicationStatement', medication('metformin', SYNTHETIC_CODES.metformin), []);
    }
    if (lipid) {
      await emit('Condition', condition('lipid', SYNTHETIC_CODES.hyperlipidemia, onset), []);
      if (random() < 0.6)
        await emit('MedicationStatement', medication('statin', SYNTHETIC_CODES.atorvastatin), []);
    }
    if (cad) {
      coronaryCases++;
      await writers.Condition.write(
        condition('cad', SYNTHETIC_CODES.coronary, isoDay(indexDay + 1 + Math.floor(random() * 364))),
      );
    }
  }
  const resources: Record<string, number> = {};
  for (const t of types) {
    await writers[t].close();
    resources[t] = writers[t].count;
  }
  return { resources, injected, coronaryCases };
}

/** The job mapping for the synthetic hospitals: risk factors before the index date, coronary disease in the year after. */
export function syntheticHospitalMapping(): FhirMappingInput {
  const C = SYNTHETIC_CODES;
  const code = (...cs: { system: string; code: string }[]) =>
    cs.map((c) => ({ system: c.system, code: c.code }));
  const twoYears = 730;
  return {
    indexDate: { kind: 'fixed', date: '2024-01-01' },
    features: [
      { name: 'age', source: 'patient', field: 'age' },
      { name: 'sex', source: 'patient', field: 'sex' },
      {
        name: 'sbp_mean',
        source: 'observation',
        codes: code(C.systolic),
        aggregate: 'mean',
        unit: 'mm[Hg]',
        lookbackDays: twoYears,
      },
      {
        name: 'sbp_latest',
        source: 'observation',
        codes: code(C.systolic),
        aggregate: 'latest',
        unit: 'mm[Hg]',
        lookbackDays: twoYears,
      },
      {
        name: 'chol',
        source: 'observation',
        codes: code(C.cholesterolMass, C.cholesterolMoles),
        aggregate: 'latest',
        unit: 'mg/dL',
        molarMass: CHOLESTEROL_MOLAR_MASS,
        lookbackDays: twoYears,
      },
      {
        name: 'hdl',
        source: 'observation',
        codes: code(C.hdlMass, C.hdlMoles),
        aggregate: 'latest',
        unit: 'mg/dL',
        molarMass: CHOLESTEROL_MOLAR_MASS,
        lookbackDays: twoYears,
      },
      {
        name: 'hba1c',
        source: 'observation',
        codes: code(C.hba1c),
        aggregate: 'max',
        unit: '%',
        lookbackDays: twoYears,
      },
      {
        name: 'weight',
        source: 'observation',
        codes: code(C.weight),
        aggregate: 'latest',
        unit: 'kg',
        lookbackDays: twoYears,
      },
      {
        name: 'smoking',
        source: 'observation',
        codes: code(C.smoking),
        aggregate: 'latest',
        valueMap: [
          { ...code(SMOKING_ANSWERS.current)[0], value: 2 },
          { ...code(SMOKING_ANSWERS.former)[0], value: 1 },
          { ...code(SMOKING_ANSWERS.never)[0], value: 0 },
        ],
        type: 'integer',
      },
      { name: 'hypertension', source: 'condition', codes: code(C.hypertension), aggregate: 'present' },
      { name: 'diabetes', source: 'condition', codes: code(C.diabetes), aggregate: 'present' },
      { name: 'statin', source: 'medication', codes: code(C.atorvastatin), aggregate: 'present' },
      { name: 'visits', source: 'encounter', aggregate: 'count', lookbackDays: 365 },
    ],
    label: { kind: 'condition', codes: code(C.coronary), lookbackDays: 0, horizonDays: 365 },
  };
}
