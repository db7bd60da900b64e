import type { Job, ListSilosResponse } from '@cohort/protocol';
import { CliError } from './output.js';

/** The researcher's view of Cohort: everything goes through the gateway's REST API. */
export class GatewayClient {
  constructor(private readonly baseUrl: string) {}

  listSilos(): Promise<ListSilosResponse> {
    return this.request<ListSilosResponse>('GET', '/v1/silos');
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
