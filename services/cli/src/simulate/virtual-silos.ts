// The datasets of a simulated federation's virtual silos, written as each silo's own CSV file and configuration,
// so every virtual silo reads its records through the same loader, schema checks and policy as a hospital's.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  dirichletPartition,
  iidPartition,
  labelMapper,
  mlpShapeFor,
  parseCsvDatasetConfig,
  syntheticRows,
  type CsvDatasetConfig,
} from '@cohort/data';
import { CliError } from '../output.js';

export const SPLITS = ['natural', 'iid', 'dirichlet', 'synthetic'] as const;
export type Split = (typeof SPLITS)[number];

export interface VirtualSilo {
  siloId: string;
  /** The silo's configuration, as a hospital would write it, minus the federation's files. */
  config: Record<string, unknown>;
  rows: number;
}

export interface SiloPlan {
  silos: VirtualSilo[];
  /** The job the plan's data fits: the given spec's dataset, or the synthetic MLP. */
  datasetId: string;
  features: string[];
  /** With the synthetic generator: the MLP hidden layer that gives the requested parameter count. */
  hiddenUnits?: number;
  parameters?: number;
}

/** A policy that admits the simulation's own jobs: every template, every researcher. */
function simulationPolicy(minTrainExamples: number): Record<string, unknown> {
  return { allowedModelTemplates: ['logreg', 'mlp'], allowedResearchers: ['*'], minTrainExamples };
}

interface SourceSilo {
  siloId: string;
  config: Record<string, unknown> & { datasets: Record<string, unknown>[] };
  baseDir: string;
}

/** The natural split: the source silo configurations themselves, one virtual silo per hospital. */
async function readSources(files: string[]): Promise<SourceSilo[]> {
  return Promise.all(
    files.map(async (file) => {
      const config = JSON.parse(await readFile(file, 'utf8')) as SourceSilo['config'];
      if (
        typeof config.siloId !== 'string' ||
        !Array.isArray(config.datasets) ||
        config.datasets.length === 0
      ) {
        throw new CliError(
          `${file} is not a silo configuration with a siloId and a dataset`,
          'SIMULATE_BAD_SOURCE',
        );
      }
      return { siloId: config.siloId, config, baseDir: resolve(file, '..') };
    }),
  );
}

function absolute(baseDir: string, p: unknown): string | undefined {
  return typeof p === 'string' ? (isAbsolute(p) ? p : resolve(baseDir, p)) : undefined;
}

/** Every data line of every source's first dataset, with the label the dataset's rule gives it (-1 if none). */
async function pooledRows(
  sources: SourceSilo[],
): Promise<{ dataset: CsvDatasetConfig; header: string | undefined; lines: string[]; labels: number[] }> {
  const dataset = parseCsvDatasetConfig(sources[0].config.datasets[0], `${sources[0].siloId}'s dataset`);
  const labelColumn = dataset.columns.findIndex((c) => c.name === dataset.label.column);
  const label = labelMapper(dataset.label.column, dataset.label.rule);
  const lines: string[] = [];
  const labels: number[] = [];
  let header: string | undefined;
  for (const source of sources) {
    const file = absolute(source.baseDir, source.config.datasets[0].file);
    if (!file) {
      throw new CliError(
        `${source.siloId}'s dataset has no single "file" to split (train/test files cannot be pooled)`,
        'SIMULATE_BAD_SOURCE',
      );
    }
    const text = await readFile(file, 'utf8');
    const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (dataset.header) header = rows.shift();
    for (const line of rows) {
      lines.push(line);
      const outcome = label(Number(line.split(dataset.delimiter)[labelColumn]));
      labels.push(outcome.ok ? outcome.label : -1);
    }
  }
  return { dataset, header, lines, labels };
}

export interface PlanOptions {
  split: Split;
  silos: number;
  alpha: number;
  seed: number;
  /** Source silo configurations (natural, iid, dirichlet). */
  sources: string[];
  /** Synthetic: the model's size and each silo's records. */
  parameters: number;
  rowsPerSilo: number;
}

/** Writes each virtual silo's data under `dir` and returns their configurations. */
export async function planSilos(dir: string, o: PlanOptions): Promise<SiloPlan> {
  await mkdir(dir, { recursive: true });
  if (o.split === 'synthetic') return syntheticPlan(dir, o);
  const sources = await readSources(o.sources);
  if (o.split === 'natural') {
    return {
      silos: sources.map((s) => ({
        siloId: s.siloId,
        config: {
          ...s.config,
          datasets: s.config.datasets.map((d) => ({
            ...d,
            file: absolute(s.baseDir, d.file),
            trainFile: absolute(s.baseDir, d.trainFile),
            testFile: absolute(s.baseDir, d.testFile),
          })),
        },
        rows: Number.NaN,
      })),
      datasetId: parseCsvDatasetConfig(sources[0].config.datasets[0]).id,
      features: [],
    };
  }
  const { dataset, header, lines, labels } = await pooledRows(sources);
  const testFraction = dataset.split?.testFraction ?? 0.25;
  const policy = simulationPolicy(10);
  // Enough rows that a silo's training part meets the policy's minimum after the held-out split.
  const minRows = Math.ceil(10 / (1 - testFraction)) + 1;
  if (lines.length < o.silos * minRows) {
    throw new CliError(
      `${lines.length} records cannot give each of ${o.silos} silos the ${minRows} a silo needs; use fewer silos`,
      'SIMULATE_TOO_MANY_SILOS',
    );
  }
  const parts =
    o.split === 'iid'
      ? iidPartition(lines.length, o.silos, o.seed)
      : dirichletPartition(labels, o.silos, o.alpha, o.seed, minRows);
  const width = String(o.silos).length;
  const silos = await Promise.all(
    parts.map(async (rows, i) => {
      const siloId = `${o.split}-${String(i + 1).padStart(width, '0')}`;
      const file = join(dir, `${siloId}.csv`);
      const body = rows.map((r) => lines[r]);
      await writeFile(file, `${[...(header === undefined ? [] : [header]), ...body].join('\n')}\n`);
      return {
        siloId,
        config: { siloId, datasets: [{ ...sources[0].config.datasets[0], file }], policy },
        rows: rows.length,
      };
    }),
  );
  return { silos, datasetId: dataset.id, features: [] };
}

async function syntheticPlan(dir: string, o: PlanOptions): Promise<SiloPlan> {
  const shape = mlpShapeFor(o.parameters);
  const features = Array.from({ length: shape.features }, (_, j) => `f${j}`);
  const columns = [...features.map((name) => ({ name, type: 'number' })), { name: 'label', type: 'integer' }];
  const width = String(o.silos).length;
  const silos: VirtualSilo[] = [];
  for (let s = 0; s < o.silos; s++) {
    const siloId = `synthetic-${String(s + 1).padStart(width, '0')}`;
    const rows = syntheticRows(o.rowsPerSilo, shape.features, o.seed, s);
    const lines = [[...features, 'label'].join(',')];
    for (let i = 0; i < rows.rows; i++) {
      const values: string[] = [];
      for (let j = 0; j < rows.features; j++) values.push(rows.x[i * rows.features + j].toFixed(3));
      values.push(String(rows.y[i]));
      lines.push(values.join(','));
    }
    const file = join(dir, `${siloId}.csv`);
    await writeFile(file, `${lines.join('\n')}\n`);
    silos.push({
      siloId,
      rows: rows.rows,
      config: {
        siloId,
        datasets: [
          {
            id: 'synthetic',
            format: 'csv',
            file,
            header: true,
            delimiter: ',',
            columns,
            label: { column: 'label', rule: { kind: 'binary' } },
            split: { testFraction: 0.25, seed: 42 },
          },
        ],
        policy: simulationPolicy(1),
      },
    });
  }
  return {
    silos,
    datasetId: 'synthetic',
    features,
    hiddenUnits: shape.hiddenUnits,
    parameters: shape.parameters,
  };
}
