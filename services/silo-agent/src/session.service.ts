import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { SiloMetrics } from '@cohort/observability';
import { TaskKind, type FederationServiceClient } from '@cohort/protocol';
import { WIRE_ENCODINGS, weightsEncodingOf } from '@cohort/quantization';
import { SiloConfig } from './config.js';
import { DatasetsService } from './datasets.service.js';
import { FEDERATION_CLIENT } from './federation-client.js';
import { LOGGER } from './logger.provider.js';
import { SILO_METRICS } from './metrics.provider.js';
import { TaskHandler } from './task-handler.service.js';
import { AGENT_TOKENS, type AgentTokens } from './trust/agent-token.js';
import { EnclaveTrust } from './trust/enclave-trust.service.js';

/** Metric labels for the task kinds (the enum's names are long and prefixed). */
const TASK_KIND_LABELS: Partial<Record<TaskKind, string>> = {
  [TaskKind.TASK_KIND_OFFER]: 'offer',
  [TaskKind.TASK_KIND_TRAIN]: 'train',
  [TaskKind.TASK_KIND_EVALUATE]: 'evaluate',
  [TaskKind.TASK_KIND_FINISHED]: 'finished',
  [TaskKind.TASK_KIND_CANCEL]: 'cancel',
};

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 10_000;

/** Keeps the outbound task stream open, reconnecting with backoff when the aggregator restarts or the link drops. */
@Injectable()
export class SessionService implements OnApplicationShutdown {
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private backoff = MIN_BACKOFF_MS;
  private up = false;
  private connectedOnce: (() => void) | undefined;
  readonly firstConnection = new Promise<void>((resolve) => (this.connectedOnce = resolve));

  constructor(
    private readonly config: SiloConfig,
    private readonly datasets: DatasetsService,
    private readonly tasks: TaskHandler,
    @Inject(FEDERATION_CLIENT) private readonly federation: FederationServiceClient,
    @Inject(AGENT_TOKENS) private readonly tokens: AgentTokens,
    private readonly enclave: EnclaveTrust,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SILO_METRICS) private readonly metrics: SiloMetrics,
  ) {}

  /** True while the task stream to the aggregator is open (what readiness reports). */
  get connected(): boolean {
    return this.up;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.up = false;
    this.metrics.sessionUp(false);
    clearTimeout(this.timer);
    this.subscription?.unsubscribe();
  }

  private connect(): void {
    if (this.stopped) return;
    // A fresh agent token for every connection: the aggregator refuses old ones.
    this.tokens.issue().then(
      (token) => this.open(token),
      (err: Error) => this.retry(`cannot obtain the agent's attestation token: ${err.message}`),
    );
  }

  private open(agentAttestationToken: string): void {
    if (this.stopped) return;
    let announced = false;
    this.subscription = this.federation
      .connect({
        siloId: this.config.siloId,
        agentAttestationToken,
        capabilities: {
          modelTemplates: this.config.policy.allowedModelTemplates,
          encodings: WIRE_ENCODINGS.map((name) => weightsEncodingOf(name)),
          agentVersion: '0.1.0',
          datasetIds: this.datasets.servedIds(),
        },
      })
      .subscribe({
        next: (task) => {
          if (!announced) this.onConnected();
          announced = true;
          this.metrics.taskReceived(TASK_KIND_LABELS[task.kind] ?? 'unknown');
          this.tasks.enqueue(task);
        },
        error: (err: Error) => this.retry(`the task stream failed: ${err.message}`),
        complete: () => this.retry('the aggregator closed the task stream'),
      });
    // The stream yields nothing until a task arrives; count the session as up once the call has not failed.
    setTimeout(() => {
      if (!announced && !this.stopped && this.subscription && !this.subscription.closed) {
        announced = true;
        this.onConnected();
      }
    }, 200).unref();
  }

  private onConnected(): void {
    this.up = true;
    this.metrics.sessionUp(true);
    this.backoff = MIN_BACKOFF_MS;
    // A new session may mean a restarted aggregator with a new enclave: verify it again before sealing to it.
    this.enclave.forget();
    this.log.info(
      { siloId: this.config.siloId, aggregator: this.config.aggregatorUrl },
      'connected to the aggregator',
    );
    this.connectedOnce?.();
  }

  private retry(why: string): void {
    this.up = false;
    this.metrics.sessionUp(false);
    if (this.stopped) return;
    this.metrics.reconnecting();
    this.log.warn({ why, retryInMs: this.backoff }, 'disconnected from the aggregator; reconnecting');
    this.timer = setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }
}
