import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const entrySchema = z.object({
  datasetId: z.string(),
  jobId: z.string(),
  targetEpsilon: z.number(),
  delta: z.number(),
  spentEpsilon: z.number(),
  rounds: z.number().int(),
  status: z.enum(['reserved', 'finished']),
  updatedAt: z.string(),
});
const ledgerSchema = z.object({ entries: z.array(entrySchema) });

export type LedgerEntry = z.output<typeof entrySchema>;

/**
 * The hospital's lifetime privacy ledger, per dataset, in its state folder: what every DP job may spend
 * (reserved at acceptance, the job's whole target) and what it has spent so far. Jobs compose by adding their
 * epsilons (basic composition): conservative, and checkable by hand.
 */
export class PrivacyLedger {
  private constructor(
    private readonly path: string,
    private entries: LedgerEntry[],
  ) {}

  static async open(stateDir: string): Promise<PrivacyLedger> {
    const path = join(stateDir, 'privacy-ledger.json');
    let entries: LedgerEntry[] = [];
    try {
      entries = ledgerSchema.parse(JSON.parse(await readFile(path, 'utf8'))).entries;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // A damaged ledger must stop DP jobs, not silently reset the hospital's budget to zero.
        throw new Error(`the privacy ledger ${path} cannot be read: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return new PrivacyLedger(path, entries);
  }

  /** What counts against the dataset's lifetime budget: each job's reservation, or its spend if larger. */
  committed(datasetId: string): number {
    return this.entries
      .filter((e) => e.datasetId === datasetId)
      .reduce(
        (sum, e) =>
          sum + (e.status === 'reserved' ? Math.max(e.targetEpsilon, e.spentEpsilon) : e.spentEpsilon),
        0,
      );
  }

  entry(jobId: string): LedgerEntry | undefined {
    return this.entries.find((e) => e.jobId === jobId);
  }

  async reserve(datasetId: string, jobId: string, targetEpsilon: number, delta: number): Promise<void> {
    if (this.entry(jobId)) return;
    this.entries.push({
      datasetId,
      jobId,
      targetEpsilon,
      delta,
      spentEpsilon: 0,
      rounds: 0,
      status: 'reserved',
      updatedAt: new Date().toISOString(),
    });
    await this.save();
  }

  async charge(jobId: string, spentEpsilon: number, rounds: number): Promise<void> {
    const e = this.entry(jobId);
    if (!e) return;
    Object.assign(e, { spentEpsilon, rounds, updatedAt: new Date().toISOString() });
    await this.save();
  }

  /** A job that ended (or was cancelled) keeps what it spent and releases the rest of its reservation. */
  async finish(jobId: string): Promise<void> {
    const e = this.entry(jobId);
    if (!e || e.status === 'finished') return;
    Object.assign(e, { status: 'finished', updatedAt: new Date().toISOString() });
    await this.save();
  }

  list(): readonly LedgerEntry[] {
    return this.entries;
  }

  /** The state folder exists once a save made it (it is not removed under a running agent). */
  private folderMade = false;

  private async save(): Promise<void> {
    if (!this.folderMade) {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      this.folderMade = true;
    }
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ entries: this.entries }, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
