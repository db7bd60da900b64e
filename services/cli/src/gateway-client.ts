import type { Job } from '@cohort/protocol';
import type { SiloInvitationView, SiloListView, SiloView } from '../../gateway/src/silos/silo-view.js';
import { CliError } from './output.js';

/** The CLI's view of Cohort for researchers and site admins: everything goes through the gateway's REST API. */
export class GatewayClient {
  constructor(private readonly baseUrl: string) {}

  listSilos(): Promise<SiloListView> {
    return this.request<SiloListView>('GET', '/v1/silos');
  }

  /** A one-time join token for the named silo; the gateway applies its default lifetime when none is given. */
  inviteSilo(name: string, ttlSeconds?: number): Promise<SiloInvitationView> {
    return this.request<SiloInvitationView>('POST', '/v1/silos/invitations', {
      name,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    });
  }

  revokeSilo(name: string, reason?: string): Promise<SiloView> {
    return this.request<SiloView>(
      'POST',
      `/v1/silos/${encodeURIComponent(name)}/revoke`,
      reason === undefined ? {} : { reason },
    );
  }

  submitJob(spec: unknown): Promise<Job> {
    return this.request<Job>('POST', '/v1/jobs', spec);
  }

  getJob(id: string): Promise<Job> {
    return this.request<Job>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  /** The released model, as the TensorFlow.js layers-format pair model.json + model.weights.bin. */
  async downloadModel(id: string): Promise<{ modelJson: unknown; weights: Buffer }> {
    const modelJson = await this.request<unknown>('GET', `/v1/jobs/${encodeURIComponent(id)}/model`);
    const res = await fetch(`${this.baseUrl}/v1/jobs/${encodeURIComponent(id)}/model.weights.bin`);
    if (!res.ok) throw new CliError(`downloading the weights failed: HTTP ${res.status}`, 'DOWNLOAD_FAILED');
    return { modelJson, weights: Buffer.from(await res.arrayBuffer()) };
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the gateway at ${this.baseUrl}: ${(err as Error).message}`,
        'GATEWAY_UNREACHABLE',
      );
    }
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const error = (
        parsed as {
          error?: { code?: string; message?: string; details?: { field: string; message: string }[] };
        }
      )?.error;
      const details = error?.details?.map((d) => `\n  ${d.field}: ${d.message}`).join('') ?? '';
      throw new CliError(
        `${method} ${path} failed (HTTP ${res.status}): ${error?.message ?? text}${details}`,
        error?.code ?? `HTTP_${res.status}`,
      );
    }
    return parsed as T;
  }
}
