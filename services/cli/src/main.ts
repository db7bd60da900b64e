import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit.command.js';
import { registerBenchCommand } from './commands/bench.command.js';
import { registerDemoCommand } from './commands/demo.command.js';
import { registerDevCommands } from './commands/dev.command.js';
import { registerFhirCommands } from './commands/fhir.command.js';
import { registerInitCommand } from './commands/init.command.js';
import { registerJobCommands } from './commands/job.command.js';
import { registerLoginCommands } from './commands/login.command.js';
import { registerPrivacyCommand } from './commands/privacy.command.js';
import { registerSimulateCommand } from './commands/simulate.command.js';
import { registerServiceCommands } from './commands/services.command.js';
import { registerSiloAdminCommands, siloCommandOf } from './commands/silo-admin.command.js';
import { registerSiloApprovalCommands } from './commands/silo-approvals.command.js';
import { reportError } from './output.js';

const program = new Command('cohort')
  .description('Cohort: cross-silo federated learning for hospitals')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerDemoCommand(program);
registerSimulateCommand(program);
registerInitCommand(program);
registerServiceCommands(program);
registerSiloAdminCommands(siloCommandOf(program));
registerSiloApprovalCommands(siloCommandOf(program));
await registerBenchCommand(program);
registerPrivacyCommand(program);
registerAuditCommand(program);
registerDevCommands(program);
registerLoginCommands(program);
registerJobCommands(program);
registerFhirCommands(program);

const json = process.argv.includes('--json');
try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err, json);
}
