import cliProgress from 'cli-progress';
import type { Job, Metrics } from '@cohort/protocol';

function describe(m: Metrics | undefined): string {
  if (!m) return '';
  const auc = typeof m.auc === 'number' ? m.auc.toFixed(3) : 'n/a';
  return `acc ${m.accuracy.toFixed(3)}  auc ${auc}  loss ${m.loss.toFixed(4)}`;
}

/** A bar per round (updates received out of participants) with the round's held-out metrics; on stderr. */
export class RoundProgress {
  private readonly multibar: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<number, cliProgress.SingleBar>();
  private readonly printed = new Set<number>();

  constructor(private readonly enabled: boolean) {
    this.multibar =
      enabled && process.stderr.isTTY
        ? new cliProgress.MultiBar(
            {
              format: ' round {round} |{bar}| {value}/{total} updates  {metrics}',
              hideCursor: true,
              clearOnComplete: false,
              stream: process.stderr,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
  }

  update(job: Job): void {
    if (!this.enabled) return;
    for (const round of job.rounds) {
      const accepted = round.silos.filter((s) => s.updateStatus === 'accepted').length;
      const payload = { round: String(round.round).padStart(2), metrics: describe(round.metrics) };
      if (this.multibar) {
        let bar = this.bars.get(round.round);
        if (!bar) {
          bar = this.multibar.create(round.silos.length, 0, payload);
          this.bars.set(round.round, bar);
        }
        bar.update(accepted, payload);
      } else if (round.status === 'completed' && !this.printed.has(round.round)) {
        this.printed.add(round.round);
        process.stderr.write(
          ` round ${payload.round}: ${accepted}/${round.silos.length} updates  ${payload.metrics}\n`,
        );
      }
    }
  }

  stop(): void {
    this.multibar?.stop();
  }
}
