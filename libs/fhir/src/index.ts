export * from './errors.js';
export * from './codes.js';
export * from './bad-input.js';
export { fhirDay, isoDay, ageInYears } from './dates.js';
export { UnitConverter, type Conversion } from './ucum.js';
export { forEachLine } from './ndjson-reader.js';
export { listExportFiles, type ExportFiles } from './export-files.js';
export * from './mapping.schema.js';
export {
  parseFhirMapping,
  mappingFeatureIssues,
  fhirMappingToProto,
  fhirMappingFromProto,
  describeMappingIssues,
  describeFhirMapping,
} from './mapping.js';
export * from './mapping-policy.js';
export * from './fhir-dataset-config.schema.js';
export { mapBulkExport, type MappedExport, type FhirMapReport, type FhirFileSummary } from './map-export.js';
export { loadFhirDataset, type FhirSiloDataset, type LoadFhirDatasetOptions } from './fhir-dataset.js';
export { inspectExport, type ExportInspection } from './inspect-export.js';
