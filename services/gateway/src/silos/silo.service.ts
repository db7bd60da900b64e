import { Injectable } from '@nestjs/common';
import { JobsClient } from '../aggregator/jobs.client.js';
import { toSiloListView, type SiloListView } from './silo-view.js';

@Injectable()
export class SiloService {
  constructor(private readonly jobs: JobsClient) {}

  async list(): Promise<SiloListView> {
    return toSiloListView(await this.jobs.listSilos());
  }
}
