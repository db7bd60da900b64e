import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import type { DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { PinoNestLogger } from './nest-logger.js';

export interface RunningHealthServer {
  /** http://host:port with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a service's health module (/health/live, /health/ready, /metrics) on its own HTTP listener at host:port
 * (0 picks a free port): the aggregator and the silo agent have no HTTP server of their own.
 */
export async function startHealthServer(
  host: string,
  port: number,
  module: DynamicModule,
  log: Logger,
): Promise<RunningHealthServer> {
  const app = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), {
    logger: new PinoNestLogger(log),
    abortOnError: false,
    forceCloseConnections: true,
  });
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
