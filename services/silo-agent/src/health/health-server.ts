import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { PinoNestLogger, type Logger } from '@cohort/observability';
import { SiloHealthModule, type SiloHealthDependencies } from './health.module.js';

export interface RunningHealthServer {
  /** http://host:port with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/** Serves /health/live, /health/ready and /metrics on host:port (0 picks a free port). */
export async function startHealthServer(
  host: string,
  port: number,
  deps: SiloHealthDependencies,
  log: Logger,
): Promise<RunningHealthServer> {
  const app = await NestFactory.create<NestExpressApplication>(
    SiloHealthModule.register(deps),
    new ExpressAdapter(),
    { logger: new PinoNestLogger(log), abortOnError: false, forceCloseConnections: true },
  );
  app.disable('x-powered-by');
  try {
    await app.listen(port, host);
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const dialable = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : shown;
  return { url: `http://${dialable}:${address.port}`, close: () => app.close() };
}
