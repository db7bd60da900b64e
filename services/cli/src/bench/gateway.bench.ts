import { parsePositiveInt } from '../output.js';
import type { BenchSuite } from './suite.js';

export const suite: BenchSuite = {
  description:
    'the gateway under load on loopback: SSE watchers held open while jobs are submitted at a fixed rate (real aggregator, gateway and silo processes)',
  options: [
    {
      flags: '--seconds <n>',
      description: 'length of the measured phase',
      parse: parsePositiveInt('--seconds'),
      default: 30,
    },
    {
      flags: '--rate <n>',
      description: 'job submissions per second',
      parse: parsePositiveInt('--rate'),
      default: 50,
    },
    {
      flags: '--watchers <n>',
      description: 'Server-Sent Events streams held open throughout',
      parse: parsePositiveInt('--watchers'),
      default: 200,
    },
    {
      flags: '--researchers <n>',
      description: 'people the load is spread over (each is limited to 600 requests a minute)',
      parse: parsePositiveInt('--researchers'),
      default: 10,
    },
  ],
  run: async (o) => {
    const { readEnvironment } = await import('@cohort/config');
    const { runGatewayLoad } = await import('./gateway-load.js');
    const report = await runGatewayLoad({
      durationMs: (o.seconds as number) * 1000,
      submissionsPerSecond: o.rate as number,
      watchers: o.watchers as number,
      researchers: o.researchers as number,
      databaseUrl: readEnvironment().databaseUrl,
      progress: (line) => process.stderr.write(`bench gateway: ${line}\n`),
    });
    return { suite: 'gateway', ...report };
  },
};
