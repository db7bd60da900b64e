// One measurement of `cohort bench fhir`, in its own process (run with --expose-gc) so its memory is its own.
// argv: <export dir> <mapping JSON>; prints one JSON line. The export is mapped twice: first with the heap
// sampled after a full collection every 100 ms (what the mapping holds, not garbage awaiting collection; this
// pass also warms the JIT), then timed without sampling.
import { mapBulkExport, parseFhirMapping } from '@cohort/fhir';

const [dir, mappingJson] = process.argv.slice(2);
const mapping = parseFhirMapping(JSON.parse(mappingJson));
const features = mapping.features.map((f) => f.name);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

gc();
const baseline = process.memoryUsage().heapUsed;
let retained = 0;
const timer = setInterval(() => {
  gc();
  retained = Math.max(retained, process.memoryUsage().heapUsed - baseline);
}, 100);
const sampled = await mapBulkExport(dir, mapping, features);
clearInterval(timer);

const started = performance.now();
const cpu = process.cpuUsage();
const mapped = await mapBulkExport(dir, mapping, features);
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({
    resources: mapped.report.resourcesRead,
    patients: mapped.report.patients,
    badInput: mapped.report.badInputTotal,
    rows: sampled.rows.length,
    seconds,
    // Process-wide (the inflate threads included): a figure that a busy machine does not distort.
    cpuSeconds: (used.user + used.system) / 1e6,
    retainedHeapMB: retained / 2 ** 20,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  })}\n`,
);
