import { HEART_DISEASE_HOSPITALS, heartDiseaseColumns, heartDiseaseDatasetConfig } from './heart-disease.js';
import { parseCsvDatasetConfig } from './schema.js';

describe('heart-disease helpers', () => {
  it('describes the 14 columns of the processed files, chol treating 0 as missing', () => {
    const columns = heartDiseaseColumns();
    expect(columns.map((c) => c.name)).toEqual([
      'age', 'sex', 'cp', 'trestbps', 'chol', 'fbs', 'restecg',
      'thalach', 'exang', 'oldpeak', 'slope', 'ca', 'thal', 'num',
    ]);
    expect(columns.find((c) => c.name === 'chol')).toEqual({ name: 'chol', type: 'number', missingValues: ['?', '0'] });
    expect(columns.find((c) => c.name === 'oldpeak')?.type).toBe('number');
    expect(columns.find((c) => c.name === 'cp')?.type).toBe('integer');
  });

  it('gives each hospital a configuration that survives a JSON round trip', () => {
    for (const hospital of HEART_DISEASE_HOSPITALS) {
      const cfg = heartDiseaseDatasetConfig(hospital);
      expect(cfg.file).toBe(`data/heart-disease/processed.${hospital}.data`);
      expect(parseCsvDatasetConfig(JSON.parse(JSON.stringify(cfg)))).toEqual(cfg);
    }
    expect(heartDiseaseDatasetConfig('va', { dataDir: '/srv/data', missingRule: 'drop' })).toMatchObject({
      file: '/srv/data/processed.va.data',
      missingRule: 'drop',
    });
  });
});
