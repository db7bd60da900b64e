import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import {
  GatewayMetrics,
  PinoNestLogger,
  REQUEST_ID_HEADER,
  createLogger,
  createMetricsRegistry,
  requestIdFrom,
  type Logger,
} from '@cohort/observability';
import { GatewayConfig, type GatewayLogLevel, type GatewayOptions } from './config.js';
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
  /** Defaults to a fresh registry per gateway, so two gateways in one process never share counters. */
  metrics?: GatewayMetrics;
  modelArtifacts?: ModelArtifactsConverter;
}

/** Requests that matched no route are counted under one label, so a scanner cannot grow the metric without end. */
const UNMATCHED_ROUTE = '(unmatched)';

/**
 * One log line and one metric sample per request. Every request gets an id (the caller's X-Request-Id when
 * plain, else a new one), echoed in the response and kept in res.locals.requestId for other log lines about it.
 */
function requestLog(log: Logger, metrics: GatewayMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.locals.requestId = requestId;
    // "close" also covers a stream the client left (an SSE watcher), where "finish" never fires.
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const matched = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof matched === 'string' ? `${req.baseUrl}${matched}` : UNMATCHED_ROUTE;
      metrics.requestEnded(req.method, route, res.statusCode, ms);
      log.info(
        {
          requestId,
          method: req.method,
          path: req.path,
          route,
          status: res.statusCode,
          ms: Math.round(ms),
          completed: res.writableFinished,
        },
        'request',
      );
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
  const metrics = overrides.metrics ?? new GatewayMetrics(createMetricsRegistry('gateway'));
  const app = await NestFactory.create<NestExpressApplication>(
    await GatewayModule.forRoot({
      config,
      logger,
      metrics,
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
  app.use(requestLog(logger, metrics));
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
