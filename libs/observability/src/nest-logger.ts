import type { Logger } from 'pino';

function text(message: unknown): string {
  return typeof message === 'string' ? message : JSON.stringify(message);
}

/**
 * Routes Nest's own messages (module init, route mapping, Terminus' failed checks) into the same JSON stream, at
 * debug for the chatter. Shaped as Nest's LoggerService without importing Nest: this library stays framework-free.
 */
export class PinoNestLogger {
  constructor(private readonly pinoLogger: Logger) {}

  log(message: unknown, context?: string): void {
    this.pinoLogger.debug({ context }, text(message));
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    this.pinoLogger.error(
      { context: context ?? stackOrContext, stack: context ? stackOrContext : undefined },
      text(message),
    );
  }
  warn(message: unknown, context?: string): void {
    this.pinoLogger.warn({ context }, text(message));
  }
  debug(message: unknown, context?: string): void {
    this.pinoLogger.debug({ context }, text(message));
  }
  verbose(message: unknown, context?: string): void {
    this.pinoLogger.trace({ context }, text(message));
  }
}
