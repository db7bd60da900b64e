import { join } from 'node:path';
import { freePort, startService, type ServiceProcess } from './processes.js';

export interface CentralServices {
  aggregator: ServiceProcess;
  /** host:port, as silos and the gateway dial it. */
  aggregatorUrl: string;
  /** http://host:port */
  gatewayUrl: string;
}

/**
 * The central side of a local federation: the aggregator (and, through it, its enclave) and the gateway, each its
 * own process on a free loopback port. Each service is pushed onto `services` as soon as it runs, so the
 * caller's clean-up stops it even when the next one fails to start.
 */
export async function startCentralServices(
  o: {
    home: string;
    federationDir: string;
    logs: string;
    /** PostgreSQL; default embedded PGlite in `<home>/aggregator`. */
    databaseUrl?: string;
    timeoutMs?: number;
    /** Called with the aggregator's address before it starts (for the person watching). */
    announce?: (aggregatorUrl: string) => void;
  },
  services: ServiceProcess[],
): Promise<CentralServices> {
  const [aggregatorPort, gatewayPort] = [await freePort(), await freePort()];
  const aggregatorUrl = `127.0.0.1:${aggregatorPort}`;
  o.announce?.(aggregatorUrl);
  const aggregator = await startService(
    'aggregator',
    [
      'aggregator',
      'start',
      '--port',
      String(aggregatorPort),
      '--data-dir',
      join(o.home, 'aggregator'),
      '--federation',
      o.federationDir,
      ...(o.databaseUrl === undefined ? [] : ['--database-url', o.databaseUrl]),
    ],
    { logFile: join(o.logs, 'aggregator.log'), timeoutMs: o.timeoutMs },
  );
  services.push(aggregator);
  services.push(
    await startService(
      'gateway',
      [
        'gateway',
        'start',
        '--port',
        String(gatewayPort),
        '--aggregator',
        aggregatorUrl,
        '--federation',
        o.federationDir,
      ],
      { logFile: join(o.logs, 'gateway.log'), timeoutMs: o.timeoutMs },
    ),
  );
  return { aggregator, aggregatorUrl, gatewayUrl: `http://127.0.0.1:${gatewayPort}` };
}
