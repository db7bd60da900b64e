// The UCI Heart Disease records (Janosi, Steinbrunn, Pfisterer, Detrano 1988; CC BY 4.0,
// https://doi.org/10.24432/C52P4X; data/heart-disease/SOURCE.md) as FHIR R4 bulk exports, one per hospital.
// LOINC where LOINC has the measurement, SNOMED CT for the diagnosis, a local code system (FHIR's way for
// study-specific items) for the stress-test findings LOINC does not name.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HEART_DISEASE_FEATURES, mulberry32 } from '@cohort/data';
import { LOINC, SNOMED_CT, UCUM } from '../codes.js';
import { fhirDay, isoDay } from '../dates.js';
import type { FhirMappingInput } from '../mapping.schema.js';
import { NdjsonWriter } from './ndjson-writer.js';

/** Local codes for the UCI attributes that have no LOINC term of their own; documented in libs/fhir/README.md. */
export const UCI_HEART_DISEASE_SYSTEM = 'https://example.org/fhir/CodeSystem/uci-heart-disease';

export const HEART_DISEASE_CODES = {
  systolicBloodPressure: { system: LOINC, code: '8480-6', display: 'Systolic blood pressure' },
  cholesterolMass: { system: LOINC, code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma' },
  cholesterolMoles: {
    system: LOINC,
    code: '14647-2',
    display: 'Cholesterol [Moles/volume] in Serum or Plasma',
  },
  heartRate: { system: LOINC, code: '8867-4', display: 'Heart rate' },
  chestPain: { system: UCI_HEART_DISEASE_SYSTEM, code: 'cp', display: 'Chest pain type' },
  fastingGlucoseHigh: {
    system: UCI_HEART_DISEASE_SYSTEM,
    code: 'fbs',
    display: 'Fasting blood sugar > 120 mg/dL',
  },
  restingEcg: {
    system: UCI_HEART_DISEASE_SYSTEM,
    code: 'restecg',
    display: 'Resting electrocardiographic result',
  },
  exerciseAngina: { system: UCI_HEART_DISEASE_SYSTEM, code: 'exang', display: 'Exercise-induced angina' },
  stDepression: {
    system: UCI_HEART_DISEASE_SYSTEM,
    code: 'oldpeak',
    display: 'ST depression induced by exercise relative to rest',
  },
  stSlope: {
    system: UCI_HEART_DISEASE_SYSTEM,
    code: 'slope',
    display: 'Slope of the peak exercise ST segment',
  },
  vesselsColored: {
    system: UCI_HEART_DISEASE_SYSTEM,
    code: 'ca',
    display: 'Major vessels coloured by fluoroscopy',
  },
  thalliumScan: { system: UCI_HEART_DISEASE_SYSTEM, code: 'thal', display: 'Thallium scintigraphy result' },
  angiographicStatus: {
    system: UCI_HEART_DISEASE_SYSTEM,
    code: 'num',
    display: 'Angiographic disease status (0-4)',
  },
  coronaryArteriosclerosis: { system: SNOMED_CT, code: '53741008', display: 'Coronary arteriosclerosis' },
} as const;

/** Answer codes of the coded findings, and the number each stood for in the UCI files. */
export const HEART_DISEASE_ANSWERS: Record<'cp' | 'restecg' | 'slope' | 'thal', Record<string, number>> = {
  cp: { 'typical-angina': 1, 'atypical-angina': 2, 'non-anginal-pain': 3, asymptomatic: 4 },
  restecg: { normal: 0, 'st-t-wave-abnormality': 1, 'left-ventricular-hypertrophy': 2 },
  slope: { upsloping: 1, flat: 2, downsloping: 3 },
  thal: { normal: 3, 'fixed-defect': 6, 'reversible-defect': 7 },
};

/** Cholesterol (C27H46O), g/mol: converts mmol/L to mg/dL. */
export const CHOLESTEROL_MOLAR_MASS = 386.65;

export interface HeartDiseaseSite {
  /** The data file's hospital name: cleveland, hungarian, switzerland, va. */
  hospital: string;
  /** When the records were taken (the study's years at that site); each visit gets a seeded day in it. */
  from: string;
  to: string;
  /** European sites report cholesterol in mmol/L (LOINC 14647-2), the others in mg/dL (2093-3). */
  cholesterolUnit: 'mg/dL' | 'mmol/L';
}

export const HEART_DISEASE_SITES: readonly HeartDiseaseSite[] = [
  { hospital: 'cleveland', from: '1981-05-01', to: '1984-09-30', cholesterolUnit: 'mg/dL' },
  { hospital: 'hungarian', from: '1983-01-01', to: '1987-12-31', cholesterolUnit: 'mmol/L' },
  { hospital: 'switzerland', from: '1985-01-01', to: '1987-12-31', cholesterolUnit: 'mmol/L' },
  { hospital: 'va', from: '1984-01-01', to: '1987-12-31', cholesterolUnit: 'mg/dL' },
];

// The processed files' 14 columns: the 13 predictors in file order, then the label `num`.
const COLUMNS = [...HEART_DISEASE_FEATURES, 'num'];

/** One record of a processed.*.data file; NaN is a missing value ("?", and 0 for cholesterol, as the CSV schema says). */
export type HeartDiseaseRecord = Record<string, number>;

/**
 * The records of one processed file, in file order. A line that is not 14 numbers-or-"?" is skipped and counted,
 * as the CSV reader would make it a bad row.
 */
export function parseHeartDiseaseRecords(text: string): { records: HeartDiseaseRecord[]; skipped: number } {
  const records: HeartDiseaseRecord[] = [];
  let skipped = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.trim());
    const values = cells.map((c) => (c === '?' || c === '' ? Number.NaN : Number(c)));
    const bad =
      cells.length !== COLUMNS.length ||
      cells.some((c, i) => c !== '?' && c !== '' && !Number.isFinite(values[i]));
    if (bad || Number.isNaN(values[13])) {
      skipped++;
      continue;
    }
    const r: HeartDiseaseRecord = {};
    COLUMNS.forEach((name, i) => (r[name] = values[i]));
    if (r.chol === 0) r.chol = Number.NaN;
    records.push(r);
  }
  return { records, skipped };
}

type Resource = Record<string, unknown>;

export interface HeartDiseaseExport {
  Patient: Resource[];
  Encounter: Resource[];
  Observation: Resource[];
  Condition: Resource[];
}

const concept = (c: { system: string; code: string; display: string }) => ({
  coding: [{ system: c.system, code: c.code, display: c.display }],
  text: c.display,
});

function answerOf(item: keyof typeof HEART_DISEASE_ANSWERS, value: number): string | undefined {
  return Object.entries(HEART_DISEASE_ANSWERS[item]).find(([, v]) => v === value)?.[0];
}

/**
 * A site's records as FHIR resources: per record a Patient (gender; a birth date that makes the recorded age
 * the age at the visit), the visit's Encounter, one Observation per recorded finding, and — for a positive
 * angiogram (num > 0) — a confirmed Condition "Coronary arteriosclerosis". Missing values are not written.
 * Dates come from a PRNG seeded by `seed`: same records and seed, same export, byte for byte.
 */
export function heartDiseaseToFhir(
  records: readonly HeartDiseaseRecord[],
  site: HeartDiseaseSite,
  seed: number,
): HeartDiseaseExport {
  const random = mulberry32(seed);
  const first = fhirDay(site.from) ?? 0;
  const last = fhirDay(site.to) ?? first;
  const out: HeartDiseaseExport = { Patient: [], Encounter: [], Observation: [], Condition: [] };
  records.forEach((r, i) => {
    const n = String(i + 1).padStart(4, '0');
    const pid = `${site.hospital}-${n}`;
    const visit = first + Math.floor(random() * (last - first + 1));
    const visitDate = isoDay(visit);
    // Born between age+1 years minus a day and age years before the visit: the completed years at the visit are the age.
    const birthDate = Number.isNaN(r.age) ? undefined : birthDateFor(visitDate, r.age, random());
    const subject = { reference: `Patient/${pid}` };
    const encounter = { reference: `Encounter/${pid}-visit` };
    out.Patient.push({
      resourceType: 'Patient',
      id: pid,
      identifier: [{ system: `https://example.org/fhir/sid/uci-heart-disease/${site.hospital}`, value: n }],
      ...(Number.isNaN(r.sex) ? {} : { gender: r.sex === 1 ? 'male' : 'female' }),
      ...(birthDate === undefined ? {} : { birthDate }),
    });
    out.Encounter.push({
      resourceType: 'Encounter',
      id: `${pid}-visit`,
      status: 'finished',
      class: {
        system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        code: 'AMB',
        display: 'ambulatory',
      },
      subject,
      period: { start: visitDate, end: visitDate },
    });
    const observation = (
      key: string,
      code: (typeof HEART_DISEASE_CODES)[keyof typeof HEART_DISEASE_CODES],
      value: Resource,
      category = 'exam',
    ) => {
      out.Observation.push({
        resourceType: 'Observation',
        id: `${pid}-${key}`,
        status: 'final',
        category: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category },
            ],
          },
        ],
        code: concept(code),
        subject,
        encounter,
        effectiveDateTime: visitDate,
        ...value,
      });
    };
    const quantity = (value: number, unit: string) => ({
      valueQuantity: { value, unit, system: UCUM, code: unit },
    });
    const coded = (item: keyof typeof HEART_DISEASE_ANSWERS, value: number): Resource | undefined => {
      const answer = answerOf(item, value);
      return answer === undefined
        ? undefined
        : {
            valueCodeableConcept: {
              coding: [{ system: UCI_HEART_DISEASE_SYSTEM, code: `${item}-${answer}`, display: answer }],
            },
          };
    };
    const C = HEART_DISEASE_CODES;
    const has = (k: string) => !Number.isNaN(r[k]);
    if (has('cp')) emitCoded('cp', C.chestPain);
    if (has('trestbps'))
      observation('trestbps', C.systolicBloodPressure, quantity(r.trestbps, 'mm[Hg]'), 'vital-signs');
    if (has('chol')) {
      if (site.cholesterolUnit === 'mg/dL')
        observation('chol', C.cholesterolMass, quantity(r.chol, 'mg/dL'), 'laboratory');
      else
        observation(
          'chol',
          C.cholesterolMoles,
          quantity((r.chol * 10) / CHOLESTEROL_MOLAR_MASS, 'mmol/L'),
          'laboratory',
        );
    }
    if (has('fbs')) observation('fbs', C.fastingGlucoseHigh, { valueBoolean: r.fbs === 1 }, 'laboratory');
    if (has('restecg')) emitCoded('restecg', C.restingEcg);
    if (has('thalach')) observation('thalach', C.heartRate, quantity(r.thalach, '/min'), 'vital-signs');
    if (has('exang')) observation('exang', C.exerciseAngina, { valueBoolean: r.exang === 1 });
    if (has('oldpeak')) observation('oldpeak', C.stDepression, quantity(r.oldpeak, 'mm'));
    if (has('slope')) emitCoded('slope', C.stSlope);
    if (has('ca')) observation('ca', C.vesselsColored, { valueInteger: r.ca }, 'imaging');
    if (has('thal')) emitCoded('thal', C.thalliumScan, 'imaging');
    observation('num', C.angiographicStatus, { valueInteger: r.num }, 'imaging');
    if (r.num > 0) {
      out.Condition.push({
        resourceType: 'Condition',
        id: `${pid}-cad`,
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
        },
        verificationStatus: {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' },
          ],
        },
        category: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/condition-category',
                code: 'encounter-diagnosis',
              },
            ],
          },
        ],
        code: concept(C.coronaryArteriosclerosis),
        subject,
        encounter,
        onsetDateTime: visitDate,
        recordedDate: visitDate,
      });
    }

    function emitCoded(
      item: keyof typeof HEART_DISEASE_ANSWERS,
      code: (typeof HEART_DISEASE_CODES)[keyof typeof HEART_DISEASE_CODES],
      category = 'exam',
    ) {
      const value = coded(item, r[item]);
      // A number outside the documented answers is kept as it was recorded rather than dropped.
      observation(item, code, value ?? { valueInteger: r[item] }, category);
    }
  });
  return out;
}

/** A birth date `age` completed years before the visit, on a day chosen by `u` in [0, 1) within that year. */
function birthDateFor(visitDate: string, age: number, u: number): string {
  const [y, m, d] = visitDate.split('-').map(Number);
  // Latest possible birth date: the visit day, `age` years earlier; earliest: the day after, age + 1 years earlier.
  const latest = Math.round(Date.UTC(y - age, m - 1, d) / 86_400_000);
  const earliest = Math.round(Date.UTC(y - age - 1, m - 1, d) / 86_400_000) + 1;
  return isoDay(earliest + Math.floor(u * (latest - earliest + 1)));
}

/** Writes an export (one gzipped NDJSON file per resource type) into `dir`. */
export async function writeExport(
  dir: string,
  resources: Record<string, readonly unknown[]>,
  gzip = true,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [type, list] of Object.entries(resources)) {
    const path = join(dir, `${type}.ndjson${gzip ? '.gz' : ''}`);
    const w = new NdjsonWriter(path, gzip);
    for (const r of list) await w.write(r);
    await w.close();
    files.push(path);
  }
  return files;
}

/**
 * The job-side mapping for the converted exports: each UCI attribute read back from its code, in the features
 * asked for. Cholesterol reads either LOINC code and converts to mg/dL; the label is the Condition.
 */
export function heartDiseaseFhirMapping(features: readonly string[]): FhirMappingInput {
  const C = HEART_DISEASE_CODES;
  const code = (c: { system: string; code: string }) => [{ system: c.system, code: c.code }];
  const answers = (item: keyof typeof HEART_DISEASE_ANSWERS) =>
    Object.entries(HEART_DISEASE_ANSWERS[item]).map(([answer, value]) => ({
      system: UCI_HEART_DISEASE_SYSTEM,
      code: `${item}-${answer}`,
      value,
    }));
  const latest = { source: 'observation', aggregate: 'latest' } as const;
  const all: Record<string, FhirMappingInput['features'][number]> = {
    age: { name: 'age', source: 'patient', field: 'age' },
    sex: { name: 'sex', source: 'patient', field: 'sex' },
    cp: { name: 'cp', ...latest, codes: code(C.chestPain), valueMap: answers('cp'), type: 'integer' },
    trestbps: { name: 'trestbps', ...latest, codes: code(C.systolicBloodPressure), unit: 'mm[Hg]' },
    chol: {
      name: 'chol',
      ...latest,
      codes: [...code(C.cholesterolMass), ...code(C.cholesterolMoles)],
      unit: 'mg/dL',
      molarMass: CHOLESTEROL_MOLAR_MASS,
    },
    fbs: { name: 'fbs', ...latest, codes: code(C.fastingGlucoseHigh), type: 'integer' },
    restecg: {
      name: 'restecg',
      ...latest,
      codes: code(C.restingEcg),
      valueMap: answers('restecg'),
      type: 'integer',
    },
    thalach: {
      name: 'thalach',
      source: 'observation',
      aggregate: 'max',
      codes: code(C.heartRate),
      unit: '/min',
    },
    exang: { name: 'exang', ...latest, codes: code(C.exerciseAngina), type: 'integer' },
    oldpeak: { name: 'oldpeak', ...latest, codes: code(C.stDepression), unit: 'mm' },
    slope: { name: 'slope', ...latest, codes: code(C.stSlope), valueMap: answers('slope'), type: 'integer' },
    ca: { name: 'ca', ...latest, codes: code(C.vesselsColored), type: 'integer' },
    thal: {
      name: 'thal',
      ...latest,
      codes: code(C.thalliumScan),
      valueMap: answers('thal'),
      type: 'integer',
    },
  };
  return {
    indexDate: { kind: 'lastEncounter' },
    features: features.map((f) => {
      const spec = all[f];
      if (spec === undefined) throw new RangeError(`"${f}" is not a heart-disease attribute`);
      return spec;
    }),
    label: { kind: 'condition', codes: code(C.coronaryArteriosclerosis) },
  };
}
