// One measurement of `cohort bench fhir`, in its own process so its peak memory is its own.
// argv: <export dir> <mapping JSON>; prints one JSON line.
import { mapBulkExport, parseFhirMapping } from '@cohort/fhir';

const [dir, mappingJson] = process.argv.slice(2);
const mapping = parseFhirMapping(JSON.parse(mappingJson));
let peakHeap = 0;
const sample = (): void => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};
const timer = setInterval(sample, 5);
const started = performance.now();
const mapped = await mapBulkExport(
  dir,
  mapping,
  mapping.features.map((f) => f.name),
);
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
sample();
process.stdout.write(
  `${JSON.stringify({
    resources: mapped.report.resourcesRead,
    patients: mapped.report.patients,
    badInput: mapped.report.badInputTotal,
    seconds,
    peakHeapMB: peakHeap / 2 ** 20,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
