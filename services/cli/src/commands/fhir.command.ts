import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { badArguments, parsePositiveInt, parsePositiveNumber, report } from '../output.js';
import { readSpecFile } from './job.command.js';

/** `cohort fhir …`: sample FHIR exports, and checking a hospital's export against a job's mapping. */
export function registerFhirCommands(program: Command): void {
  const fhir = program.command('fhir').description('FHIR R4 bulk exports: sample data and mapping checks');

  fhir
    .command('heart-disease')
    .description('convert the UCI heart-disease records into one FHIR bulk export per hospital')
    .requiredOption('--out <dir>', 'folder to write <hospital>/<Type>.ndjson.gz into')
    .option('--data <dir>', 'folder of the processed.*.data files', 'data/heart-disease')
    .option('--seed <n>', 'seed of the visit and birth dates', parsePositiveInt('--seed'), 1)
    .option('--json', 'print one JSON object')
    .action(async (o: { out: string; data: string; seed: number; json?: boolean }) => {
      const { HEART_DISEASE_SITES, heartDiseaseToFhir, parseHeartDiseaseRecords, writeExport } =
        await import('@cohort/fhir/samples');
      const written: Record<string, Record<string, number>> = {};
      for (const site of HEART_DISEASE_SITES) {
        const file = join(resolve(o.data), `processed.${site.hospital}.data`);
        const { records } = parseHeartDiseaseRecords(await readFile(file, 'utf8'));
        const resources = heartDiseaseToFhir(records, site, o.seed) as unknown as Record<string, unknown[]>;
        await writeExport(join(resolve(o.out), site.hospital), resources);
        written[site.hospital] = Object.fromEntries(
          Object.entries(resources).map(([t, list]) => [t, list.length]),
        );
      }
      report(Boolean(o.json), { out: resolve(o.out), hospitals: written }, () =>
        Object.entries(written)
          .map(
            ([h, counts]) =>
              `${h}: ${Object.entries(counts)
                .map(([t, n]) => `${n} ${t}`)
                .join(', ')}`,
          )
          .join('\n'),
      );
    });

  fhir
    .command('generate')
    .description('write seeded synthetic FHIR bulk exports of four hospitals with different case mixes')
    .requiredOption('--out <dir>', 'folder to write <hospital>/<Type>.ndjson.gz into')
    .option(
      '--patients <n>',
      "patients per hospital (default: each hospital's own size)",
      parsePositiveInt('--patients'),
    )
    .option(
      '--years <n>',
      'years of history before the index date (2024-01-01)',
      parsePositiveInt('--years'),
      3,
    )
    .option('--seed <n>', 'seed', parsePositiveInt('--seed'), 1)
    .option(
      '--bad-input-rate <r>',
      'share of resources written as bad input',
      parsePositiveNumber('--bad-input-rate'),
    )
    .option('--plain', 'write .ndjson instead of .ndjson.gz')
    .option('--json', 'print one JSON object')
    .action(
      async (o: {
        out: string;
        patients?: number;
        years: number;
        seed: number;
        badInputRate?: number;
        plain?: boolean;
        json?: boolean;
      }) => {
        if (o.badInputRate !== undefined && o.badInputRate >= 1)
          throw badArguments('--bad-input-rate must be below 1');
        const { SYNTHETIC_HOSPITALS, writeSyntheticHospital } = await import('@cohort/fhir/samples');
        const hospitals: Record<string, unknown> = {};
        for (const [i, profile] of SYNTHETIC_HOSPITALS.entries()) {
          hospitals[profile.name] = await writeSyntheticHospital(
            join(resolve(o.out), profile.name),
            profile,
            {
              seed: o.seed * 1000 + i,
              patients: o.patients,
              years: o.years,
              badInputRate: o.badInputRate,
              gzip: !o.plain,
            },
          );
        }
        report(Boolean(o.json), { out: resolve(o.out), hospitals }, () =>
          Object.entries(hospitals)
            .map(([h, s]) => `${h}: ${JSON.stringify(s)}`)
            .join('\n'),
        );
      },
    );

  fhir
    .command('check <dir>')
    .description("map a FHIR bulk export with a job's mapping and report what was used and every bad input")
    .requiredOption('--job <file>', 'the job spec (JSON or YAML) whose dataset.fhir mapping to apply')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, o: { job: string; json?: boolean }) => {
      const { mapBulkExport, parseFhirMapping } = await import('@cohort/fhir');
      const spec = (await readSpecFile(o.job)) as { dataset?: { features?: unknown; fhir?: unknown } };
      if (!spec.dataset?.fhir) throw badArguments(`${o.job} has no dataset.fhir mapping`);
      const mapping = parseFhirMapping(spec.dataset.fhir, `${o.job} dataset.fhir`);
      const features = Array.isArray(spec.dataset.features)
        ? (spec.dataset.features as string[])
        : mapping.features.map((f) => f.name);
      const mapped = await mapBulkExport(resolve(dir), mapping, features);
      const r = mapped.report;
      const positives = mapped.labels.reduce((s, y) => s + y, 0);
      report(Boolean(o.json), { ...r, positives }, () =>
        [
          `${r.resourcesRead} resources read, ${r.resourcesUsed} used, ${r.resourcesExcluded} excluded by status`,
          `${r.patients} patients: ${r.rows} rows (${positives} positive), ${r.noIndexDate} without an index date, ${r.unlabelled} without a label`,
          `observed per feature: ${Object.entries(r.observed)
            .map(([f, n]) => `${f} ${n}`)
            .join(', ')}`,
          `bad input: ${r.badInputTotal}${
            r.badInputTotal > 0
              ? ` (${Object.entries(r.badInput)
                  .filter(([, n]) => n > 0)
                  .map(([k, n]) => `${k} ${n}`)
                  .join(', ')})`
              : ''
          }`,
          ...r.badInputSamples.map((b) => `  ${b.file} line ${b.line}: ${b.kind}: ${b.detail}`),
        ].join('\n'),
      );
    });
}
