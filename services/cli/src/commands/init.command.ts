import type { Command } from 'commander';
import { report } from '../output.js';

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'create a local federation: CA and certificates, the insecure-dev attestation authority, the trust file',
    )
    .option('--dir <dir>', 'where to put the files', '.cohort/federation')
    .option('--host <name...>', 'extra names or addresses of the aggregator for its certificate')
    .option('--json', 'print one JSON object as the last line of standard output')
    .action(async (o: { dir: string; host?: string[]; json?: boolean }) => {
      const { initFederation } = await import('../federation-init.js');
      const { INSECURE_DEV_WARNING } = await import('@cohort/attestation');
      const files = await initFederation(o.dir, { hosts: o.host });
      report(Boolean(o.json), { ...files, warning: INSECURE_DEV_WARNING }, () =>
        [
          `Federation files in ${files.dir}${files.createdCa ? ' (new CA)' : ' (existing CA kept)'}:`,
          `  CA certificate        ${files.caFile}   (give it to every hospital)`,
          `  trust file            ${files.trustFile}`,
          `  enclave measurement   ${files.enclaveMeasurement}`,
          `  agent measurement     ${files.agentMeasurement}`,
          '',
          `WARNING: ${INSECURE_DEV_WARNING}`,
        ].join('\n'),
      );
    });
}
