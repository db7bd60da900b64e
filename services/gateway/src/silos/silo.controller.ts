import { Controller, Get } from '@nestjs/common';
import { SiloService } from './silo.service.js';
import type { SiloListView } from './silo-view.js';

@Controller({ path: 'silos', version: '1' })
export class SiloController {
  constructor(private readonly silos: SiloService) {}

  @Get()
  list(): Promise<SiloListView> {
    return this.silos.list();
  }
}
