import { basename } from 'node:path';
import { FHIR_RESOURCE_TYPES } from './codes.js';
import { BadInputLog, type BadInput, type BadInputKind } from './bad-input.js';
import { FhirError } from './errors.js';
import { listExportFiles } from './export-files.js';
import { forEachLine } from './ndjson-reader.js';

export interface ExportInspection {
  /** Lines per resource type. */
  resources: Record<string, number>;
  patients: number;
  skippedFiles: string[];
  badInput: Record<BadInputKind, number>;
  badInputSamples: BadInput[];
}

/**
 * A silo's start-up check of its export, before any job names a mapping: the folder lists, there are Patient
 * files, and the Patient lines parse as Patients with ids. Throws FhirError when no job could use the export.
 */
export async function inspectExport(dir: string): Promise<ExportInspection> {
  const files = await listExportFiles(dir);
  const bad = new BadInputLog();
  const resources: Record<string, number> = {};
  let patients = 0;
  for (const type of FHIR_RESOURCE_TYPES) {
    for (const path of files.byType[type]) {
      const file = basename(path);
      let lines = 0;
      await forEachLine(path, (text, line) => {
        lines++;
        if (type !== 'Patient') return;
        let r: unknown;
        try {
          r = JSON.parse(text);
        } catch (err) {
          bad.add('invalid-json', file, line, (err as Error).message);
          return;
        }
        const o = r as { resourceType?: unknown; id?: unknown } | null;
        if (typeof o !== 'object' || o === null || o.resourceType !== 'Patient') {
          bad.add('wrong-resource-type', file, line, 'not a Patient resource in a Patient file');
        } else if (typeof o.id !== 'string' || o.id === '') {
          bad.add('invalid-resource', file, line, 'Patient has no id');
        } else {
          patients++;
        }
      });
      resources[type] = (resources[type] ?? 0) + lines;
    }
  }
  if (patients === 0) {
    throw new FhirError('FHIR_NO_PATIENTS', `the FHIR export in ${dir} has no usable Patient resource`);
  }
  return {
    resources,
    patients,
    skippedFiles: files.skipped,
    badInput: { ...bad.counts },
    badInputSamples: bad.samples,
  };
}
