import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Logger } from 'pino';
import { SiloConfig } from '../config.js';
import { DatasetsService } from '../datasets.service.js';
import type { SessionService } from '../session.service.js';
import { SiloHealthIndicators } from './silo.health.js';

const EXAMPLE = resolve('examples/heart-disease/silo-cleveland.json');
const quiet = { info: () => undefined, error: () => undefined } as unknown as Logger;

/** The example hospital's configuration, with its one dataset served twice: as shipped, and from `file`. */
async function config(file: string, extra: Record<string, unknown> = {}): Promise<SiloConfig> {
  const raw = JSON.parse(await readFile(EXAMPLE, 'utf8')) as { datasets: Record<string, unknown>[] };
  const broken = { ...raw.datasets[0], id: 'second', file };
  return SiloConfig.fromObject({ ...raw, ...extra, datasets: [raw.datasets[0], broken] }, dirname(EXAMPLE), {
    aggregatorUrl: '127.0.0.1:1',
    insecureTransport: true,
  });
}

function session(connected: boolean): SessionService {
  return { connected } as unknown as SessionService;
}

async function checkAll(datasets: DatasetsService, c: SiloConfig): Promise<void> {
  for (const d of c.datasets) {
    await datasets.check(
      d.id,
      d.format === 'csv' ? d.columns.map((col) => col.name).filter((n) => n !== d.label.column) : [],
    );
  }
}

describe('silo readiness indicators', () => {
  it('is down while a dataset is unread, up once every dataset loaded', async () => {
    const c = await config('../../data/heart-disease/processed.cleveland.data');
    const datasets = new DatasetsService(c, quiet);
    const indicators = new SiloHealthIndicators(datasets, session(true), new HealthIndicatorService());
    expect(indicators.datasetsLoaded()).toEqual({
      datasets: {
        status: 'down',
        message: 'uci-heart-disease: still being read; second: still being read',
        loaded: [],
      },
    });
    await checkAll(datasets, c);
    expect(indicators.datasetsLoaded()).toEqual({
      datasets: { status: 'up', loaded: ['uci-heart-disease', 'second'] },
    });
  });

  it('names the dataset that cannot be used and why', async () => {
    const c = await config('no-such-file.csv');
    const datasets = new DatasetsService(c, quiet);
    await checkAll(datasets, c);
    const result = new SiloHealthIndicators(
      datasets,
      session(true),
      new HealthIndicatorService(),
    ).datasetsLoaded();
    expect(result.datasets.status).toBe('down');
    expect(result.datasets.loaded).toEqual(['uci-heart-disease']);
    expect(String(result.datasets.message)).toMatch(/^second: .*no-such-file\.csv/);
  });

  it('follows the session to the aggregator', async () => {
    const c = await config('../../data/heart-disease/processed.cleveland.data');
    const datasets = new DatasetsService(c, quiet);
    expect(
      new SiloHealthIndicators(datasets, session(true), new HealthIndicatorService()).sessionOpen(),
    ).toEqual({ aggregatorSession: { status: 'up' } });
    expect(
      new SiloHealthIndicators(datasets, session(false), new HealthIndicatorService()).sessionOpen(),
    ).toEqual({
      aggregatorSession: { status: 'down', message: 'no open task stream to the aggregator; reconnecting' },
    });
  });

  it('keeps the listener off unless configured; a flag turns it on or moves it', async () => {
    const raw = JSON.parse(await readFile(EXAMPLE, 'utf8')) as Record<string, unknown>;
    const base = { aggregatorUrl: '127.0.0.1:1', insecureTransport: true };
    expect(SiloConfig.fromObject(raw, dirname(EXAMPLE), base).health).toBeUndefined();
    expect(SiloConfig.fromObject({ ...raw, health: { port: 9465 } }, dirname(EXAMPLE), base).health).toEqual({
      host: '127.0.0.1',
      port: 9465,
    });
    expect(
      SiloConfig.fromObject({ ...raw, health: { host: '0.0.0.0', port: 9465 } }, dirname(EXAMPLE), {
        ...base,
        healthPort: 9500,
      }).health,
    ).toEqual({ host: '0.0.0.0', port: 9500 });
    expect(() => SiloConfig.fromObject({ ...raw, health: { port: 70000 } }, dirname(EXAMPLE), base)).toThrow(
      /invalid silo configuration: .*health\.port/,
    );
  });
});
