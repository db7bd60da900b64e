import { execFile } from 'node:child_process';
import os from 'node:os';
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { badArguments, parsePositiveInt } from '../output.js';
import { round3 as round } from './measure.js';
import type { BenchSuite } from './suite.js';

const TARGET_RESOURCES_PER_SECOND = 50_000;

function parseYears(value: string): number[] {
  const years = value.split(',').map((v) => Number(v.trim()));
  if (years.length === 0 || years.some((y) => !Number.isInteger(y) || y <= 0)) {
    throw badArguments(`--years must be positive integers separated by commas, got "${value}"`);
  }
  return years;
}

interface Measurement {
  resources: number;
  patients: number;
  badInput: number;
  seconds: number;
  cpuSeconds: number;
  retainedHeapMB: number;
  maxRssMB: number;
}

/**
 * Parse-and-map throughput of a gzipped FHIR bulk export (the cardiology centre's case mix, the synthetic
 * hospitals' mapping of 13 features and a label), at one patient count and a growing history: the export grows
 * by the resources per patient, and each size is mapped in a fresh process so its memory is its own. The
 * retained heap is sampled after full collections (what the mapping holds), the throughput from a second,
 * unsampled pass.
 */
async function benchFhir(patients: number, yearsList: number[]): Promise<Record<string, unknown>> {
  const { SYNTHETIC_HOSPITALS, syntheticHospitalMapping, writeSyntheticHospital } =
    await import('@cohort/fhir/samples');
  const { parseFhirMapping } = await import('@cohort/fhir');
  const mapping = parseFhirMapping(syntheticHospitalMapping());
  const worker = fileURLToPath(new URL('./fhir-map.worker.js', import.meta.url));
  const root = await mkdtemp(join(tmpdir(), 'cohort-bench-fhir-'));
  const sizes: Record<string, unknown>[] = [];
  try {
    for (const years of yearsList) {
      const dir = join(root, `years-${years}`);
      const generated = await writeSyntheticHospital(dir, SYNTHETIC_HOSPITALS[1], {
        seed: 7,
        patients,
        years,
        badInputRate: 0.001,
      });
      let bytes = 0;
      for (const f of await readdir(dir)) bytes += (await stat(join(dir, f))).size;
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', worker, dir, JSON.stringify(mapping)],
        {
          maxBuffer: 1 << 20,
        },
      );
      const m = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measurement;
      sizes.push({
        years,
        resources: m.resources,
        gzipBytes: bytes,
        injectedBadInput: Object.values(generated.injected).reduce((s, n) => s + n, 0),
        badInputFound: m.badInput,
        seconds: round(m.seconds),
        resourcesPerSecond: Math.round(m.resources / m.seconds),
        cpuSeconds: round(m.cpuSeconds),
        resourcesPerCpuSecond: Math.round(m.resources / m.cpuSeconds),
        retainedHeapMB: round(m.retainedHeapMB),
        maxRssMB: round(m.maxRssMB),
      });
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const rates = sizes.map((s) => s.resourcesPerSecond as number);
  const cpuRates = sizes.map((s) => s.resourcesPerCpuSecond as number);
  const heaps = sizes.map((s) => s.retainedHeapMB as number);
  const resources = sizes.map((s) => s.resources as number);
  return {
    suite: 'fhir',
    patients,
    features: mapping.features.length,
    sizes,
    minResourcesPerSecond: Math.min(...rates),
    minResourcesPerCpuSecond: Math.min(...cpuRates),
    // Wall-clock figures depend on what else runs; the load average says how much did.
    loadAverage: os.loadavg()[0],
    cpus: os.availableParallelism(),
    resourcesGrowth: round(Math.max(...resources) / Math.min(...resources)),
    retainedHeapGrowth: round(Math.max(...heaps) / Math.min(...heaps)),
    targets: { resourcesPerSecond: TARGET_RESOURCES_PER_SECOND },
  };
}

export const suite: BenchSuite = {
  description:
    'FHIR bulk export: resources parsed and mapped per second, and peak memory as the export grows',
  options: [
    {
      flags: '--patients <n>',
      description: 'patients in each export',
      parse: parsePositiveInt('--patients'),
      default: 1000,
    },
    {
      flags: '--years <list>',
      description: 'years of history of each export, comma-separated (the export grows with them)',
      parse: parseYears,
      default: [2, 6, 18],
    },
  ],
  run: (o) => benchFhir(o.patients as number, o.years as number[]),
};
