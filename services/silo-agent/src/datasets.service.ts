import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { resolve } from 'node:path';
import { loadCsvDataset, type SiloDataset } from '@cohort/data';
import { inspectExport, loadFhirDataset, type FhirMapping } from '@cohort/fhir';
import { SiloConfig } from './config.js';
import { LOGGER } from './logger.provider.js';

/** Loads each (dataset, feature list) once: parsing, splitting and standardising are not redone every round. */
@Injectable()
export class DatasetsService {
  private readonly cache = new Map<string, Promise<SiloDataset>>();
  /** The start-up check of each configured dataset: undefined while it runs, else null (usable) or the reason. */
  private readonly checked = new Map<string, string | null>();

  constructor(
    private readonly config: SiloConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  servedIds(): string[] {
    return this.config.datasets.map((d) => d.id);
  }

  /**
   * Reads a configured dataset at start, so a broken file is reported before any job arrives; the outcome is
   * what readiness reports. Never throws: the reason is logged and kept.
   */
  async check(datasetId: string, features: string[]): Promise<void> {
    try {
      const config = this.config.datasets.find((d) => d.id === datasetId);
      // A FHIR export has no features until a job's mapping names them: check that it reads and has patients.
      if (config?.format === 'fhir') await this.inspect(datasetId, resolve(this.config.baseDir, config.dir));
      else await this.load(datasetId, features);
      this.checked.set(datasetId, null);
    } catch (err) {
      const reason = (err as Error).message;
      this.checked.set(datasetId, reason);
      this.log.error({ datasetId, reason }, 'dataset cannot be used');
    }
  }

  /** Which configured datasets passed their start-up check, which failed (and why), which are still being read. */
  status(): { loaded: string[]; failed: { datasetId: string; reason: string }[]; pending: string[] } {
    const ids = this.servedIds();
    return {
      loaded: ids.filter((id) => this.checked.get(id) === null),
      failed: ids.flatMap((id) => {
        const reason = this.checked.get(id);
        return typeof reason === 'string' ? [{ datasetId: id, reason }] : [];
      }),
      pending: ids.filter((id) => !this.checked.has(id)),
    };
  }

  /** `fhir`: the job's mapping, already accepted by the policy (required for a FHIR dataset, unused for CSV). */
  async load(datasetId: string, features: string[], fhir?: FhirMapping): Promise<SiloDataset> {
    const key = `${datasetId}\u0000${features.join('\u0000')}\u0000${fhir ? JSON.stringify(fhir) : ''}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.read(datasetId, features, fhir);
      this.cache.set(key, pending);
      // A failure is not cached: the operator may fix the file and the next offer reads it again.
      pending.catch(() => this.cache.delete(key));
    }
    return pending;
  }

  private async inspect(datasetId: string, dir: string): Promise<void> {
    const r = await inspectExport(dir);
    this.log.info(
      {
        datasetId,
        dir,
        resources: r.resources,
        patients: r.patients,
        skippedFiles: r.skippedFiles,
        badInput: r.badInput,
        badInputSamples: r.badInputSamples,
      },
      'FHIR export checked',
    );
  }

  private async read(
    datasetId: string,
    features: string[],
    fhir: FhirMapping | undefined,
  ): Promise<SiloDataset> {
    const config = this.config.datasets.find((d) => d.id === datasetId);
    if (!config) throw new Error(`this silo does not serve dataset "${datasetId}"`);
    let dataset: SiloDataset;
    if (config.format === 'csv') {
      dataset = await loadCsvDataset(config, features, { baseDir: this.config.baseDir });
    } else {
      if (fhir === undefined)
        throw new Error(`dataset "${datasetId}" is a FHIR export: the job must give a feature mapping`);
      const loaded = await loadFhirDataset(config, features, fhir, { baseDir: this.config.baseDir });
      const f = loaded.fhir;
      // Counts per kind with file and line: what the hospital's operator needs to fix the export.
      this.log.info(
        {
          datasetId,
          resourcesRead: f.resourcesRead,
          resourcesUsed: f.resourcesUsed,
          resourcesExcluded: f.resourcesExcluded,
          patients: f.patients,
          noIndexDate: f.noIndexDate,
          unlabelled: f.unlabelled,
          badInput: f.badInput,
          badInputSamples: f.badInputSamples,
          skippedFiles: f.skippedFiles,
        },
        'FHIR export mapped',
      );
      dataset = loaded;
    }
    const r = dataset.report;
    this.log.info(
      {
        datasetId,
        files: r.files,
        rowsRead: r.rowsRead,
        rowsUsed: r.rowsUsed,
        badRows: r.badRows,
        badRowSamples: r.badRowSamples,
        droppedMissing: r.droppedMissing,
        warnings: r.warnings,
        train: r.train,
        test: r.test,
      },
      'dataset loaded',
    );
    return dataset;
  }
}
