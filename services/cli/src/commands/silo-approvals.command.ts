import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { describeFhirMapping, fhirMappingFromProto, parseFhirMapping } from '@cohort/fhir';
import type { JobSpec } from '@cohort/protocol';
import { badArguments, report } from '../output.js';

/** What a job's FHIR mapping reads, so the person approving sees it; a mapping the policy refused never waits here. */
function fhirLines(spec: JobSpec): string[] {
  const raw = spec.dataset?.fhir;
  if (!raw) return [];
  try {
    return [
      '    FHIR mapping:',
      ...describeFhirMapping(parseFhirMapping(fhirMappingFromProto(raw))).map((l) => `      ${l}`),
    ];
  } catch (err) {
    return [`    FHIR mapping: invalid (${(err as Error).message.split('\n')[0]})`];
  }
}

/**
 * On the hospital's side: `cohort silo jobs` lists offers waiting for a person; `cohort silo approve|reject`
 * decides. The running agent signs the decision with the silo's key and sends it.
 */
export function registerSiloApprovalCommands(silo: Command): void {
  silo
    .command('jobs')
    .description('job offers waiting for approval at this silo (policy "approval": "manual")')
    .requiredOption('--config <file>', 'the silo configuration (JSON)')
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (o: { config: string; json?: boolean }) => {
      const store = await openStore(o.config);
      const pending = await store.listPending();
      report(Boolean(o.json), { pending }, () =>
        pending.length === 0
          ? 'No job is waiting for approval.'
          : pending
              .map((p) =>
                [
                  `${p.jobId}  "${p.spec.name}" by ${p.submittedBy}, received ${new Date(p.receivedAtUnixMs).toISOString()}`,
                  `    model ${p.spec.model?.template ?? '?'}, dataset ${p.spec.dataset?.id ?? '?'} (${p.spec.dataset?.features.join(', ') ?? ''})`,
                  `    ${p.spec.rounds} rounds, quorum ${p.spec.minSilos}, privacy ${p.spec.privacy?.enabled ? `ε ${p.spec.privacy.targetEpsilon}, δ ${p.spec.privacy.delta}` : 'none requested'}`,
                  ...fhirLines(p.spec),
                  `    local rules: ${p.checks}`,
                ].join('\n'),
              )
              .join('\n'),
      );
    });

  for (const verb of ['approve', 'reject'] as const) {
    silo
      .command(verb)
      .description(`${verb} a job offer waiting at this silo`)
      .argument('<job>', 'the job id (from `cohort silo jobs`)')
      .requiredOption('--config <file>', 'the silo configuration (JSON)')
      .option('--reason <text>', 'recorded with the decision', '')
      .option('--json', 'print one JSON object as the last line of standard output')
      .action(async (jobId: string, o: { config: string; reason: string; json?: boolean }) => {
        if (!/^[0-9a-f-]{36}$/.test(jobId)) throw badArguments(`"${jobId}" is not a job id`);
        const store = await openStore(o.config);
        const approval = {
          jobId,
          accept: verb === 'approve',
          reason: o.reason,
          decidedBy: userInfo().username,
          decidedAtUnixMs: Date.now(),
        };
        try {
          await store.decide(approval);
        } catch (err) {
          throw badArguments((err as Error).message);
        }
        report(
          Boolean(o.json),
          approval,
          () =>
            `Job ${jobId} ${verb === 'approve' ? 'approved' : 'rejected'}; the silo agent signs and sends the decision.`,
        );
      });
  }
}

async function openStore(configPath: string) {
  const { SiloConfig } = await import('../../../silo-agent/src/config.js');
  const { ApprovalStore } = await import('../../../silo-agent/src/approvals/approval-store.js');
  const config = await SiloConfig.load(configPath, { insecureTransport: true, aggregatorUrl: 'unused' });
  return new ApprovalStore(config.stateDir);
}
