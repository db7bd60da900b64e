// File naming of a Bulk Data export (HL7 FHIR Bulk Data Access IG, "Bulk Data Output File Organization"): one
// or more NDJSON files per resource type, "<Type>.ndjson" or "<Type>.<n>.ndjson" (or "-"/"_" separated), and
// ".ndjson.gz" when the server compressed them.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FHIR_RESOURCE_TYPES, type FhirResourceType } from './codes.js';
import { FhirError } from './errors.js';

const FILE = /^([A-Za-z]+)(?:[._-][A-Za-z0-9._-]*)?\.ndjson(?:\.gz)?$/;

export interface ExportFiles {
  byType: Record<FhirResourceType, string[]>;
  /** NDJSON files of resource types the silo does not read (Procedure, AllergyIntolerance…). */
  skipped: string[];
}

export async function listExportFiles(dir: string): Promise<ExportFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new FhirError(
      'FHIR_EXPORT_UNREADABLE',
      `cannot list the FHIR export folder ${dir}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const byType = Object.fromEntries(FHIR_RESOURCE_TYPES.map((t) => [t, [] as string[]])) as Record<
    FhirResourceType,
    string[]
  >;
  const skipped: string[] = [];
  for (const name of names.sort()) {
    const type = FILE.exec(name)?.[1];
    if (type === undefined) continue;
    if ((FHIR_RESOURCE_TYPES as readonly string[]).includes(type))
      byType[type as FhirResourceType].push(join(dir, name));
    else skipped.push(join(dir, name));
  }
  return { byType, skipped };
}
