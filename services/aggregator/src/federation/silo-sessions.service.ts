import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Observable, Subject } from 'rxjs';
import type { Task } from '@cohort/protocol';

interface Session {
  tasks: Subject<Task>;
  datasetIds: string[];
  connectedAt: number;
}

/** A session another replica holds; tasks for it go through the database (SiloRelay). */
export interface RemoteSession {
  datasetIds: string[];
}

/**
 * The silos whose Connect stream is open: the only way the aggregator can reach a hospital (outbound-only). With
 * several replicas, a silo's stream may be on another one; those are listed too and reached through the relay.
 */
@Injectable()
export class SiloSessions {
  private readonly sessions = new Map<string, Session>();
  private remote = new Map<string, RemoteSession>();
  private forward: ((siloId: string, task: Task) => void) | undefined;
  readonly events = new EventEmitter<{ connected: [string]; disconnected: [string] }>();

  /** The sessions other replicas hold, and how to send them a task; a change is announced like a local one. */
  setRemote(remote: Map<string, RemoteSession>, forward: (siloId: string, task: Task) => void): void {
    this.forward = forward;
    const before = this.remote;
    this.remote = remote;
    for (const siloId of before.keys()) {
      if (!remote.has(siloId) && !this.sessions.has(siloId)) this.events.emit('disconnected', siloId);
    }
    for (const siloId of remote.keys()) {
      if (!before.has(siloId) && !this.sessions.has(siloId)) this.events.emit('connected', siloId);
    }
  }

  /** The silos whose stream this replica holds. */
  local(): { siloId: string; datasetIds: string[] }[] {
    return [...this.sessions].map(([siloId, s]) => ({ siloId, datasetIds: s.datasetIds }));
  }

  /** Delivers a task that reached this replica through the relay, if the silo's stream is still here. */
  deliverLocal(siloId: string, task: Task): boolean {
    const session = this.sessions.get(siloId);
    if (!session) return false;
    session.tasks.next(task);
    return true;
  }

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
    if (this.deliverLocal(siloId, task)) return true;
    if (!this.remote.has(siloId) || !this.forward) return false;
    this.forward(siloId, task);
    return true;
  }

  isConnected(siloId: string): boolean {
    return this.sessions.has(siloId) || this.remote.has(siloId);
  }

  /** Resolves once every one of `siloIds` holds a session, at `deadline`, or on abort, whichever comes first. */
  async waitForConnected(siloIds: readonly string[], deadline: number, abort: AbortSignal): Promise<void> {
    const missing = (): boolean => siloIds.some((s) => !this.isConnected(s));
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
    const remote = [...this.remote]
      .filter(([siloId]) => !this.sessions.has(siloId))
      .map(([siloId, r]) => ({ siloId, datasetIds: r.datasetIds }));
    return [...this.local(), ...remote];
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
