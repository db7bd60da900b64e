import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Observable, Subject } from 'rxjs';
import type { Task } from '@cohort/protocol';

interface Session {
  tasks: Subject<Task>;
  datasetIds: string[];
  connectedAt: number;
}

/** The silos whose Connect stream is open: the only way the aggregator can reach a hospital (outbound-only). */
@Injectable()
export class SiloSessions {
  private readonly sessions = new Map<string, Session>();
  readonly events = new EventEmitter<{ connected: [string]; disconnected: [string] }>();

  /** A silo reconnecting replaces its previous session, so a half-dead stream never receives tasks. */
  open(siloId: string, datasetIds: string[]): Observable<Task> {
    this.sessions.get(siloId)?.tasks.complete();
    const session: Session = { tasks: new Subject<Task>(), datasetIds, connectedAt: Date.now() };
    this.sessions.set(siloId, session);
    this.events.emit('connected', siloId);
    return new Observable<Task>((subscriber) => {
      const subscription = session.tasks.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        if (this.sessions.get(siloId) === session) {
          this.sessions.delete(siloId);
          this.events.emit('disconnected', siloId);
        }
      };
    });
  }

  send(siloId: string, task: Task): boolean {
    const session = this.sessions.get(siloId);
    if (!session) return false;
    session.tasks.next(task);
    return true;
  }

  isConnected(siloId: string): boolean {
    return this.sessions.has(siloId);
  }

  /** Resolves once every one of `siloIds` holds a session, at `deadline`, or on abort, whichever comes first. */
  async waitForConnected(siloIds: readonly string[], deadline: number, abort: AbortSignal): Promise<void> {
    const missing = (): boolean => siloIds.some((s) => !this.sessions.has(s));
    if (!missing() || abort.aborted) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.events.off('connected', check);
        abort.removeEventListener('abort', done);
        resolve();
      };
      const check = (): void => {
        if (!missing()) done();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.events.on('connected', check);
      abort.addEventListener('abort', done, { once: true });
    });
  }

  connected(): { siloId: string; datasetIds: string[] }[] {
    return [...this.sessions].map(([siloId, s]) => ({ siloId, datasetIds: s.datasetIds }));
  }

  /** Ends a silo's session (revocation): its stream completes and it is no longer offered tasks. */
  close(siloId: string): void {
    const session = this.sessions.get(siloId);
    if (!session) return;
    this.sessions.delete(siloId);
    session.tasks.complete();
    this.events.emit('disconnected', siloId);
  }

  closeAll(): void {
    for (const session of this.sessions.values()) session.tasks.complete();
    this.sessions.clear();
  }
}
