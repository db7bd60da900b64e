import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { HEART_DISEASE_FEATURES, heartDiseaseDatasetConfig, loadCsvDataset } from '@cohort/data';
import { loadFhirDataset } from '../fhir-dataset.js';
import { mapBulkExport } from '../map-export.js';
import { parseFhirMapping } from '../mapping.js';
import { parseFhirDatasetConfig } from '../fhir-dataset-config.schema.js';
import {
  HEART_DISEASE_CODES,
  HEART_DISEASE_SITES,
  heartDiseaseFhirMapping,
  heartDiseaseToFhir,
  parseHeartDiseaseRecords,
  writeExport,
} from './heart-disease.js';

const ROOT = join(import.meta.dirname, '../../../..');

describe('the UCI heart-disease records as FHIR', () => {
  it.each(HEART_DISEASE_SITES.map((s) => [s.hospital, s]))(
    "%s: the export gives the CSV loader's matrices, value for value (all 13 features)",
    async (_, site) => {
      const text = await readFile(
        join(ROOT, 'data/heart-disease', `processed.${site.hospital}.data`),
        'utf8',
      );
      const { records, skipped } = parseHeartDiseaseRecords(text);
      expect(skipped).toBe(0);
      const dir = await mkdtemp(join(tmpdir(), `fhir-hd-${site.hospital}-`));
      await writeExport(dir, { ...heartDiseaseToFhir(records, site, 1) });
      const features = [...HEART_DISEASE_FEATURES];
      const mapping = parseFhirMapping(heartDiseaseFhirMapping(features));
      const fhir = await loadFhirDataset(
        parseFhirDatasetConfig({ id: 'hd', format: 'fhir', dir }),
        features,
        mapping,
        {
          baseDir: '/',
        },
      );
      const csv = await loadCsvDataset(heartDiseaseDatasetConfig(site.hospital as 'va'), features, {
        baseDir: ROOT,
      });
      expect(fhir.fhir.badInputTotal).toBe(0);
      expect(fhir.fhir.rows).toBe(records.length);
      for (const part of ['train', 'test'] as const) {
        expect(fhir[part].n).toBe(csv[part].n);
        expect(Array.from(fhir[part].y)).toEqual(Array.from(csv[part].y));
        const a = fhir[part].x;
        const b = csv[part].x;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        expect(worst).toBeLessThan(1e-5);
      }
      expect(fhir.report.imputed).toEqual(csv.report.imputed);
    },
  );

  it('writes the same bytes for the same records and seed, and the Observation threshold label agrees with the Condition', async () => {
    const site = HEART_DISEASE_SITES[1];
    const text = await readFile(join(ROOT, 'data/heart-disease', `processed.${site.hospital}.data`), 'utf8');
    const { records } = parseHeartDiseaseRecords(text);
    const a = heartDiseaseToFhir(records, site, 5);
    expect(JSON.stringify(heartDiseaseToFhir(records, site, 5))).toBe(JSON.stringify(a));
    expect(JSON.stringify(heartDiseaseToFhir(records, site, 6))).not.toBe(JSON.stringify(a));
    const dir = await mkdtemp(join(tmpdir(), 'fhir-hd-label-'));
    await writeExport(dir, { ...a }, false);
    const byCondition = await mapBulkExport(dir, parseFhirMapping(heartDiseaseFhirMapping(['age'])), ['age']);
    const num = HEART_DISEASE_CODES.angiographicStatus;
    const byThreshold = await mapBulkExport(
      dir,
      parseFhirMapping({
        ...heartDiseaseFhirMapping(['age']),
        label: {
          kind: 'observation',
          codes: [{ system: num.system, code: num.code }],
          operator: 'greaterThan',
          value: 0,
        },
      }),
      ['age'],
    );
    expect(byThreshold.labels).toEqual(byCondition.labels);
    expect(byCondition.labels).toEqual(records.map((r) => (r.num > 0 ? 1 : 0)));
  });
});

describe('the shipped examples/heart-disease-fhir exports', () => {
  it.each(HEART_DISEASE_SITES.map((s) => [s.hospital, s]))(
    '%s: are what the converter writes (seed 1)',
    async (_, site) => {
      const text = await readFile(
        join(ROOT, 'data/heart-disease', `processed.${site.hospital}.data`),
        'utf8',
      );
      const expected = heartDiseaseToFhir(
        parseHeartDiseaseRecords(text).records,
        site,
        1,
      ) as unknown as Record<string, unknown[]>;
      for (const [type, resources] of Object.entries(expected)) {
        const shipped = gunzipSync(
          await readFile(
            join(ROOT, 'examples/heart-disease-fhir/exports', site.hospital, `${type}.ndjson.gz`),
          ),
        );
        expect(shipped.toString('utf8')).toBe(resources.map((r) => `${JSON.stringify(r)}\n`).join(''));
      }
    },
  );
});
