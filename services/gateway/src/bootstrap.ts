import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@cohort/observability';
import { GatewayConfig, type GatewayLogLevel, type GatewayOptions } from './config.js';
import { PinoNestLogger } from './common/logger.js';
import { serveApiDocs } from './common/openapi.js';
import { GatewayModule } from './gateway.module.js';
import {
  trainingLibraryConverter,
  type ModelArtifactsConverter,
} from './models/model-artifacts.converter.js';

export interface StartGatewayOptions {
  /** Interface to bind; 127.0.0.1 unless set, since the gateway has no authentication yet. */
  host?: string;
  /** 0 picks a free port; the URL returned names the one bound. */
  port?: number;
  /** The aggregator's JobsService, host:port. */
  aggregatorUrl: string;
  /** ca.crt, gateway.crt, gateway.key (see `cohort init`). */
  tlsDir?: string;
  insecureTransport?: boolean;
  /** Defaults to COHORT_LOG_LEVEL, then info. */
  logLevel?: GatewayLogLevel;
  bodyLimitBytes?: number;
  requestTimeoutMs?: number;
  downloadIdleTimeoutMs?: number;
  maxModelBytes?: number;
  /** Sign-in: the development issuer (default, keys in memory unless keyDir) or an OpenID Connect provider. */
  auth?: GatewayOptions['auth'];
  rateLimitPerMinute?: number;
}

export interface RunningGateway {
  /** http://host:port, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/** Replaceable parts, for tests and for wiring the training library's converter once it exists. */
export interface GatewayOverrides {
  logger?: Logger;
  modelArtifacts?: ModelArtifactsConverter;
}

function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({ method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms) }, 'request');
    });
    next();
  };
}

/** The address to print: a wildcard bind is reached through loopback on this machine. */
function dialableHost(address: AddressInfo): string {
  if (address.address === '0.0.0.0') return '127.0.0.1';
  if (address.address === '::') return '[::1]';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

/** Starts the researcher-facing HTTP gateway; the CLI's `cohort gateway start` calls this. */
export async function startGateway(
  options: StartGatewayOptions,
  overrides: GatewayOverrides = {},
): Promise<RunningGateway> {
  const config = GatewayConfig.from(options);
  const logger = overrides.logger ?? createLogger('gateway', config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(
    await GatewayModule.forRoot({
      config,
      logger,
      modelArtifacts: overrides.modelArtifacts ?? trainingLibraryConverter,
    }),
    new ExpressAdapter(),
    {
      // Our own parser below carries the size limit; Nest's default would also accept url-encoded forms.
      bodyParser: false,
      logger: new PinoNestLogger(logger),
      // A library function must report a failed start to its caller, not end the caller's process.
      abortOnError: false,
      // Stopping the gateway should not wait for a researcher's idle keep-alive connection to time out.
      forceCloseConnections: true,
    },
  );
  app.disable('x-powered-by');
  app.use(requestLog(logger));
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  app.enableVersioning({ type: VersioningType.URI });
  serveApiDocs(app, config.auth.mode === 'dev');
  try {
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = dialableHost(address);
  const url = `http://${host}:${address.port}`;
  logger.info({ url, aggregator: config.aggregatorUrl }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= (async () => {
        await app.close();
        logger.info({ url }, 'gateway stopped');
        logger.flush();
      })();
      return closing;
    },
  };
}
