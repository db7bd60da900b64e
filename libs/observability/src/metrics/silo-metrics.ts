import { Counter, Gauge, type Registry } from 'prom-client';

/** A silo agent's own view: is its session up, and what has it been asked to do. */
export class SiloMetrics {
  private readonly session: Gauge;
  private readonly tasks: Counter<'kind'>;
  private readonly reconnects: Counter;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.session = new Gauge({
      name: 'cohort_silo_session_up',
      help: '1 while the task stream to the aggregator is open, else 0',
      registers,
    });
    this.tasks = new Counter({
      name: 'cohort_silo_tasks_total',
      help: 'Tasks received from the aggregator, by kind (offer, train, evaluate, finished)',
      labelNames: ['kind'],
      registers,
    });
    this.reconnects = new Counter({
      name: 'cohort_silo_reconnects_total',
      help: 'Times the task stream dropped and the agent dialled again',
      registers,
    });
  }

  sessionUp(up: boolean): void {
    this.session.set(up ? 1 : 0);
  }

  taskReceived(kind: string): void {
    this.tasks.inc({ kind });
  }

  reconnecting(): void {
    this.reconnects.inc();
  }
}
