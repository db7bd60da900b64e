import { Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { JobEvent } from '@cohort/protocol';

/** Round-by-round events of running jobs, for WatchJob streams. */
@Injectable()
export class JobEvents {
  private readonly subject = new Subject<JobEvent>();

  emit(event: Omit<JobEvent, 'atUnixMs' | 'job' | 'siloId' | 'message' | 'round'> & Partial<JobEvent>): void {
    this.subject.next({ round: 0, siloId: '', message: '', job: undefined, atUnixMs: Date.now(), ...event });
  }

  stream(): Observable<JobEvent> {
    return this.subject.asObservable();
  }
}
