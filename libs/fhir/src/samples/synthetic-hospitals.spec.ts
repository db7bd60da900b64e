import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapBulkExport } from '../map-export.js';
import { parseFhirMapping } from '../mapping.js';
import {
  SYNTHETIC_HOSPITALS,
  syntheticHospitalMapping,
  writeSyntheticHospital,
} from './synthetic-hospitals.js';

const mapping = parseFhirMapping(syntheticHospitalMapping());
const features = mapping.features.map((f) => f.name);

function column(rows: Float64Array[], name: string): number[] {
  const j = features.indexOf(name);
  return rows.map((r) => r[j]).filter((v) => !Number.isNaN(v));
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('synthetic hospital exports', () => {
  it('read back with every injected bad resource counted, by kind, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fhir-synth-bad-'));
    const summary = await writeSyntheticHospital(dir, SYNTHETIC_HOSPITALS[0], {
      seed: 3,
      patients: 300,
      badInputRate: 0.03,
    });
    expect(Object.values(summary.injected).reduce((s, n) => s + n, 0)).toBeGreaterThan(50);
    const mapped = await mapBulkExport(dir, mapping, features);
    const found = Object.fromEntries(Object.entries(mapped.report.badInput).filter(([, n]) => n > 0));
    expect(found).toEqual(summary.injected);
    expect(mapped.report.resourcesRead).toBe(Object.values(summary.resources).reduce((s, n) => s + n, 0));
    expect(mapped.report.rows).toBe(300);
  });

  it('are seeded, differ in case mix, and land in the same units whatever the site reports in', async () => {
    const results = [];
    for (const profile of SYNTHETIC_HOSPITALS) {
      const dir = await mkdtemp(join(tmpdir(), `fhir-synth-${profile.name}-`));
      const summary = await writeSyntheticHospital(dir, profile, { seed: 11, patients: 400, gzip: false });
      const again = await mkdtemp(join(tmpdir(), `fhir-synth-${profile.name}-`));
      expect(await writeSyntheticHospital(again, profile, { seed: 11, patients: 400, gzip: false })).toEqual(
        summary,
      );
      expect((await readdir(dir)).sort()).toEqual(
        ['Condition', 'Encounter', 'MedicationStatement', 'Observation', 'Patient'].map((t) => `${t}.ndjson`),
      );
      const mapped = await mapBulkExport(dir, mapping, features);
      expect(mapped.report.badInputTotal).toBe(0);
      results.push({ profile, mapped, prevalence: mean(mapped.labels) });
    }
    const prevalence = results.map((r) => r.prevalence);
    // The cardiology referral centre sees the most coronary disease, the young city hospital the least.
    expect(Math.max(...prevalence)).toBe(prevalence[1]);
    expect(Math.min(...prevalence)).toBe(prevalence[3]);
    for (const { mapped, profile } of results) {
      // Cholesterol ~200-215 mg/dL, weight ~70-85 kg and age near the profile's mean, whether the site wrote
      // mg/dL or mmol/L, kg or pounds: the UCUM conversion is what makes these comparable.
      expect(mean(column(mapped.rows, 'chol'))).toBeGreaterThan(190);
      expect(mean(column(mapped.rows, 'chol'))).toBeLessThan(225);
      expect(mean(column(mapped.rows, 'weight'))).toBeGreaterThan(65);
      expect(mean(column(mapped.rows, 'weight'))).toBeLessThan(95);
      expect(Math.abs(mean(column(mapped.rows, 'age')) - profile.ageMean)).toBeLessThan(3);
    }
  });
});
