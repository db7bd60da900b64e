import { Injectable } from '@nestjs/common';

/**
 * When this replica last found the database unreachable. A round that fell short of its quorum while the database
 * was away (the silos' calls relayed through it failed) is rerun once it is back, instead of failing its job.
 */
@Injectable()
export class DatabaseHealth {
  private lastFault = 0;

  reportUnavailable(): void {
    this.lastFault = Date.now();
  }

  faultedWithin(ms: number): boolean {
    return this.lastFault > 0 && Date.now() - this.lastFault <= ms;
  }
}
