import type { Command } from 'commander';
import { parsePort } from '../output.js';
import { runUntilSignalled } from './lifecycle.js';

/** `cohort aggregator start`, `cohort gateway start`, `cohort silo start`: what the demo runs, one per process. */
export function registerServiceCommands(program: Command): void {
  program
    .command('aggregator')
    .description('the aggregator: gRPC server for silos and the gateway')
    .command('start')
    .description('start the aggregator')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'gRPC port', parsePort, 50051)
    .option('--data-dir <dir>', 'embedded PGlite folder (ignored when DATABASE_URL is set)')
    .option('--database-url <url>', 'PostgreSQL connection URL (default: DATABASE_URL, else embedded PGlite)')
    .action(async (o: { host: string; port: number; dataDir?: string; databaseUrl?: string }) => {
      const { startAggregator } = await import('../../../aggregator/src/bootstrap.js');
      const running = await startAggregator(o);
      await runUntilSignalled(
        { service: 'aggregator', address: running.address, database: running.databaseKind },
        () => running.close(),
      );
    });

  program
    .command('gateway')
    .description('the researcher-facing HTTP gateway')
    .command('start')
    .description('start the gateway')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTP port', parsePort, 8080)
    .option(
      '--aggregator <host:port>',
      'the aggregator (default: COHORT_AGGREGATOR_URL, else 127.0.0.1:50051)',
    )
    .action(async (o: { host: string; port: number; aggregator?: string }) => {
      const { readEnvironment } = await import('@cohort/config');
      const { startGateway } = await import('../../../gateway/src/bootstrap.js');
      const running = await startGateway({
        host: o.host,
        port: o.port,
        aggregatorUrl: o.aggregator ?? readEnvironment().aggregatorUrl ?? '127.0.0.1:50051',
      });
      await runUntilSignalled({ service: 'gateway', url: running.url }, () => running.close());
    });

  program
    .command('silo')
    .description("a hospital's silo agent")
    .command('start')
    .description('start a silo agent (outbound connections only)')
    .requiredOption('--config <file>', 'the silo configuration (JSON)')
    .option('--aggregator <host:port>', 'overrides aggregatorUrl of the configuration')
    .action(async (o: { config: string; aggregator?: string }) => {
      const { SiloConfig } = await import('../../../silo-agent/src/config.js');
      const { startSilo } = await import('../../../silo-agent/src/bootstrap.js');
      const config = await SiloConfig.load(o.config, { aggregatorUrl: o.aggregator });
      const running = await startSilo(config);
      await runUntilSignalled({ service: 'silo', siloId: running.siloId, backend: running.backend }, () =>
        running.close(),
      );
    });
}
