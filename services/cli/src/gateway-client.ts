import { join } from 'node:path';
import { loadToken } from '@cohort/auth';
import { readEnvironment } from '@cohort/config';
import type { Job } from '@cohort/protocol';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { MeView } from '../../gateway/src/auth/me.controller.js';
import type { JobEventView } from '../../gateway/src/jobs/job.service.js';
import type { JobListView } from '../../gateway/src/jobs/job-view.js';
import type { AuditPageView, AuditVerificationView } from '../../gateway/src/audit/audit-view.js';
import type { SiloInvitationView, SiloListView, SiloView } from '../../gateway/src/silos/silo-view.js';
import { badArguments, CliError } from './output.js';

/** The filters of the gateway's /v1/audit and /v1/audit/export; every field optional. */
export interface AuditQuery {
  jobId?: string;
  siloId?: string;
  actor?: string;
  subject?: string;
  /** Any of these actions. */
  actions?: readonly string[];
  /** ISO-8601 instants: entries at or after since, strictly before until. */
  since?: string;
  until?: string;
}

export type AuditExportFormat = 'jsonl' | 'csv';

function auditSearch(query: AuditQuery, extra: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  const add = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') params.set(name, String(value));
  };
  add('jobId', query.jobId);
  add('siloId', query.siloId);
  add('actor', query.actor);
  add('subject', query.subject);
  add('action', query.actions?.join(','));
  add('since', query.since);
  add('until', query.until);
  for (const [name, value] of Object.entries(extra)) add(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The CLI's view of Cohort for researchers and site admins: everything goes through the gateway's REST API. */
export class GatewayClient {
  /** `token`: a bearer token, or where to find one when the first request goes out (env, `cohort login`). */
  constructor(
    readonly url: string,
    private readonly token?: string | (() => Promise<string | undefined>),
  ) {}

  private async bearer(): Promise<Record<string, string>> {
    const token = typeof this.token === 'function' ? await this.token() : this.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** Who the gateway takes the token for (subject, roles, permissions, expiry). */
  me(): Promise<MeView> {
    return this.request<MeView>('GET', '/v1/me');
  }

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

  /** Jobs the token may see (a researcher: their own), newest first, one page. */
  listJobs(
    query: { submittedBy?: string; pageSize?: number; pageToken?: string } = {},
  ): Promise<JobListView> {
    const params = new URLSearchParams();
    if (query.submittedBy) params.set('submittedBy', query.submittedBy);
    if (query.pageSize) params.set('pageSize', String(query.pageSize));
    if (query.pageToken) params.set('pageToken', query.pageToken);
    const search = params.toString();
    return this.request<JobListView>('GET', `/v1/jobs${search ? `?${search}` : ''}`);
  }

  cancelJob(id: string, reason?: string): Promise<Job> {
    return this.request<Job>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`, reason ? { reason } : {});
  }

  /**
   * The job's Server-Sent Events, parsed: each event's data (with the job on status and round changes), until
   * the stream ends; keep-alive pings are skipped.
   */
  async *watchJob(id: string): AsyncGenerator<JobEventView> {
    const path = `/v1/jobs/${encodeURIComponent(id)}/events`;
    const res = await this.send('GET', path);
    if (!res.ok) await this.fail('GET', path, res);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (!data) continue;
        const event = JSON.parse(data) as JobEventView | Record<string, never>;
        if ('type' in event && event.type !== 'ping') yield event as JobEventView;
      }
    }
  }

  /** The released model, as the TensorFlow.js layers-format pair model.json + model.weights.bin. */
  async downloadModel(id: string): Promise<{ modelJson: unknown; weights: Buffer }> {
    const modelJson = await this.request<unknown>('GET', `/v1/jobs/${encodeURIComponent(id)}/model`);
    const res = await fetch(`${this.url}/v1/jobs/${encodeURIComponent(id)}/model.weights.bin`, {
      headers: await this.bearer(),
    });
    if (!res.ok) throw new CliError(`downloading the weights failed: HTTP ${res.status}`, 'DOWNLOAD_FAILED');
    return { modelJson, weights: Buffer.from(await res.arrayBuffer()) };
  }

  /** One page of the audit trail, oldest first. */
  listAudit(query: AuditQuery, page: { afterSeq?: number; limit?: number } = {}): Promise<AuditPageView> {
    return this.request<AuditPageView>(
      'GET',
      `/v1/audit${auditSearch(query, { afterSeq: page.afterSeq, limit: page.limit })}`,
    );
  }

  /**
   * The export as a byte stream, once the gateway has answered 200. The body is not buffered: an export of
   * the whole trail can be far larger than memory should hold.
   */
  async exportAudit(query: AuditQuery, format: AuditExportFormat): Promise<Readable> {
    const path = `/v1/audit/export${auditSearch(query, { format })}`;
    const res = await this.send('GET', path);
    if (!res.ok) await this.fail('GET', path, res);
    if (res.body === null) throw new CliError(`GET ${path} returned no body`, 'EXPORT_EMPTY');
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  /** The aggregator's check of its own trail, with its own keys. */
  verifyAudit(): Promise<AuditVerificationView> {
    return this.request<AuditVerificationView>('POST', '/v1/audit/verify', {});
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(await this.bearer()),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the gateway at ${this.url}: ${(err as Error).message}`,
        'GATEWAY_UNREACHABLE',
      );
    }
  }

  private async fail(method: string, path: string, res: Response): Promise<never> {
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      // A proxy's HTML error page, say: the text itself is the best message there is.
    }
    const error = (
      parsed as
        | { error?: { code?: string; message?: string; details?: { field: string; message: string }[] } }
        | undefined
    )?.error;
    const details = error?.details?.map((d) => `\n  ${d.field}: ${d.message}`).join('') ?? '';
    // What to do about it: a person reading "401" wants to know how to sign in.
    const hint =
      res.status === 401
        ? '\n  sign in with `cohort login --token <token>` (a token from your identity provider; in the demo, `cohort dev token --role researcher`) or set COHORT_TOKEN'
        : '';
    throw new CliError(
      `${method} ${path} failed (HTTP ${res.status}): ${error?.message ?? text}${details}${hint}`,
      error?.code ?? `HTTP_${res.status}`,
    );
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (!res.ok) await this.fail(method, path, res);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Where `cohort gateway start` listens by default. */
export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

/** A client for --gateway, else COHORT_GATEWAY_URL, else the default; exit 2 for a URL that is not http(s). */
export function connectGateway(option: string | undefined): GatewayClient {
  // The environment is read only when no --gateway is given, so a flag fixes a bad COHORT_GATEWAY_URL too.
  const raw = option ?? readEnvironment().gatewayUrl ?? DEFAULT_GATEWAY_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badArguments(`--gateway must be an http(s) URL such as ${DEFAULT_GATEWAY_URL}, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badArguments(`--gateway must be an http(s) URL such as ${DEFAULT_GATEWAY_URL}, got "${raw}"`);
  }
  return new GatewayClient(url.href.replace(/\/+$/, ''), () => storedToken());
}

/** Where `cohort login` keeps the token: <COHORT_HOME or .cohort>/token, mode 0600. */
export function tokenFile(): string {
  return join(readEnvironment().home ?? '.cohort', 'token');
}

/** COHORT_TOKEN, else the token `cohort login` stored; undefined when neither (the gateway will answer 401). */
export async function storedToken(): Promise<string | undefined> {
  return readEnvironment().token ?? (await loadToken(tokenFile()));
}
