import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobSpec } from '@cohort/protocol';

export interface PendingJob {
  jobId: string;
  submittedBy: string;
  spec: JobSpec;
  /** What the automatic rules concluded before a person looks at it. */
  checks: string;
  receivedAtUnixMs: number;
}

export interface JobApproval {
  jobId: string;
  accept: boolean;
  reason: string;
  decidedBy: string;
  decidedAtUnixMs: number;
}

const JOB_ID = /^[0-9a-f-]{36}$/;

/**
 * Offers waiting for a site admin, and their decisions, as files in the silo's state folder: the running agent
 * writes pending offers and reads decisions; `cohort silo jobs|approve|reject` on the same machine does the rest.
 */
export class ApprovalStore {
  constructor(private readonly stateDir: string) {}

  private get pendingDir(): string {
    return join(this.stateDir, 'approvals', 'pending');
  }

  private get decidedDir(): string {
    return join(this.stateDir, 'approvals', 'decided');
  }

  async addPending(job: PendingJob): Promise<void> {
    await mkdir(this.pendingDir, { recursive: true, mode: 0o700 });
    await writeAtomic(join(this.pendingDir, `${requireJobId(job.jobId)}.json`), JSON.stringify(job, null, 2));
  }

  async listPending(): Promise<PendingJob[]> {
    const names = await readdir(this.pendingDir).catch(() => [] as string[]);
    const jobs = await Promise.all(
      names
        .filter((n) => n.endsWith('.json'))
        .map(async (n) => JSON.parse(await readFile(join(this.pendingDir, n), 'utf8')) as PendingJob),
    );
    return jobs.sort((a, b) => a.receivedAtUnixMs - b.receivedAtUnixMs);
  }

  /** Records a person's decision on a pending job; refuses a job that is not waiting. */
  async decide(approval: JobApproval): Promise<void> {
    const pending = (await this.listPending()).find((p) => p.jobId === approval.jobId);
    if (!pending) throw new Error(`job ${approval.jobId} is not waiting for approval on this silo`);
    await mkdir(this.decidedDir, { recursive: true, mode: 0o700 });
    await writeAtomic(
      join(this.decidedDir, `${requireJobId(approval.jobId)}.json`),
      JSON.stringify(approval, null, 2),
    );
  }

  /**
   * The jobs a person has decided on whose decision the agent has not taken yet: one directory read however many
   * offers wait, so polling stays cheap with thousands pending.
   */
  async decidedJobIds(): Promise<string[]> {
    const names = await readdir(this.decidedDir).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .filter((id) => JOB_ID.test(id));
  }

  /** The decision on a pending job, if a person has made it; the job then leaves the pending list. */
  async takeDecision(jobId: string): Promise<JobApproval | undefined> {
    const path = join(this.decidedDir, `${requireJobId(jobId)}.json`);
    let approval: JobApproval;
    try {
      approval = JSON.parse(await readFile(path, 'utf8')) as JobApproval;
    } catch {
      return undefined;
    }
    await rm(join(this.pendingDir, `${jobId}.json`), { force: true });
    await rm(path, { force: true });
    return approval;
  }

  async removePending(jobId: string): Promise<void> {
    await rm(join(this.pendingDir, `${requireJobId(jobId)}.json`), { force: true });
  }
}

function requireJobId(jobId: string): string {
  if (!JOB_ID.test(jobId)) throw new Error(`"${jobId}" is not a job id`);
  return jobId;
}

async function writeAtomic(path: string, contents: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, contents, { mode: 0o600 });
  await rename(tmp, path);
}
