import { parseCsvDatasetConfig, type ColumnSpec, type CsvDatasetConfig } from './schema.js';

/** The four hospitals of the UCI Heart Disease data shipped in data/heart-disease (see SOURCE.md there). */
export const HEART_DISEASE_HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'] as const;
export type HeartDiseaseHospital = (typeof HEART_DISEASE_HOSPITALS)[number];

/** The 13 predictors, in file order; `num` is the label. */
export const HEART_DISEASE_FEATURES: readonly string[] = [
  'age',
  'sex',
  'cp',
  'trestbps',
  'chol',
  'fbs',
  'restecg',
  'thalach',
  'exang',
  'oldpeak',
  'slope',
  'ca',
  'thal',
];

/** The 14 columns of the processed files. Categorical codes are integers so imputation uses their mode. */
export function heartDiseaseColumns(): ColumnSpec[] {
  const integer = new Set(['sex', 'cp', 'fbs', 'restecg', 'exang', 'slope', 'ca', 'thal', 'num']);
  return [...HEART_DISEASE_FEATURES, 'num'].map((name) => {
    const column: ColumnSpec = { name, type: integer.has(name) ? 'integer' : 'number' };
    // 0 mg/dl cholesterol is not a measurement: the files use it as a missing marker (all of Switzerland).
    if (name === 'chol') column.missingValues = ['?', '0'];
    return column;
  });
}

export interface HeartDiseaseConfigOptions {
  /** Folder holding the processed.*.data files, relative to the loader's baseDir; default "data/heart-disease". */
  dataDir?: string;
  missingRule?: CsvDatasetConfig['missingRule'];
  split?: CsvDatasetConfig['split'];
}

/**
 * The dataset configuration of one heart-disease hospital, as its silo agent would hold it in JSON.
 * All four share the id "uci-heart-disease" because a job names one dataset that every silo maps locally.
 */
export function heartDiseaseDatasetConfig(
  hospital: HeartDiseaseHospital,
  opts: HeartDiseaseConfigOptions = {},
): CsvDatasetConfig {
  return parseCsvDatasetConfig({
    id: 'uci-heart-disease',
    format: 'csv',
    file: `${opts.dataDir ?? 'data/heart-disease'}/processed.${hospital}.data`,
    header: false,
    delimiter: ',',
    columns: heartDiseaseColumns(),
    missingValues: ['?', ''],
    missingRule: opts.missingRule ?? 'impute',
    label: { column: 'num', rule: { kind: 'greaterThan', value: 0 } },
    split: opts.split ?? { testFraction: 0.25, seed: 42 },
    maxBadRowFraction: 0.1,
  });
}
