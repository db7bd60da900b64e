import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { loadCsvDataset, type SiloDataset } from '@cohort/data';
import { SiloConfig } from './config.js';
import { LOGGER } from './logger.provider.js';

/** Loads each (dataset, feature list) once: parsing, splitting and standardising are not redone every round. */
@Injectable()
export class DatasetsService {
  private readonly cache = new Map<string, Promise<SiloDataset>>();

  constructor(
    private readonly config: SiloConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  servedIds(): string[] {
    return this.config.datasets.map((d) => d.id);
  }

  async load(datasetId: string, features: string[]): Promise<SiloDataset> {
    const key = `${datasetId}\u0000${features.join('\u0000')}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.read(datasetId, features);
      this.cache.set(key, pending);
      // A failure is not cached: the operator may fix the file and the next offer reads it again.
      pending.catch(() => this.cache.delete(key));
    }
    return pending;
  }

  private async read(datasetId: string, features: string[]): Promise<SiloDataset> {
    const config = this.config.datasets.find((d) => d.id === datasetId);
    if (!config) throw new Error(`this silo does not serve dataset "${datasetId}"`);
    const dataset = await loadCsvDataset(config, features, { baseDir: this.config.baseDir });
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
