import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { EnclaveHost } from '../enclave/enclave-host.service.js';
import { HealthRepository } from './health.repository.js';

/** A probe's usual timeout is 1 s; a database slower than this is as good as down for new work. */
export const DATABASE_PROBE_MS = 800;

function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Readiness of the aggregator: its database answers with this code's schema, and its enclave is running. */
@Injectable()
export class AggregatorHealthIndicators {
  constructor(
    private readonly repository: HealthRepository,
    private readonly enclave: EnclaveHost,
    private readonly health: HealthIndicatorService,
  ) {}

  async database(): Promise<HealthIndicatorResult> {
    const indicator = this.health.check('database');
    try {
      await within(DATABASE_PROBE_MS, 'the database', this.repository.ping());
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  async migrations(): Promise<HealthIndicatorResult> {
    const indicator = this.health.check('migrations');
    try {
      const pending = await within(DATABASE_PROBE_MS, 'the database', this.repository.pendingMigrations());
      if (pending.length === 0) return indicator.up();
      return indicator.down({ message: `migrations not applied: ${pending.join(', ')}`, pending });
    } catch (err) {
      return indicator.down({ message: `cannot read the applied migrations: ${(err as Error).message}` });
    }
  }

  enclaveProcess(): HealthIndicatorResult {
    const indicator = this.health.check('enclave');
    return this.enclave.alive
      ? indicator.up({ measurement: this.enclave.description.measurement })
      : indicator.down({ message: 'the enclave process has exited; restart the aggregator' });
  }
}
