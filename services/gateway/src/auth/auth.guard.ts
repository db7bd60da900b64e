import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError, can, type Permission, type Principal, type TokenVerifier } from '@cohort/auth';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { JobsClient } from '../aggregator/jobs.client.js';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';
import { GATEWAY_CONFIG, LOGGER } from '../common/tokens.js';
import type { GatewayConfig } from '../config.js';
import { JOB_ID_PATTERN, JobIdPipe } from '../jobs/job-id.pipe.js';
import { RateLimiter } from './rate-limiter.js';
import { PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators.js';
import { TOKEN_VERIFIER } from './auth.tokens.js';

export type AuthenticatedRequest = Request & { principal?: Principal };

const UNAVAILABLE = new Set(['ISSUER_UNREACHABLE']);

/**
 * Every route needs a valid bearer token unless marked @Public, and the permission named by
 * @RequirePermission. Refusals are answered 401 (who are you?) or 403 (not allowed) and written to the audit
 * trail through the aggregator; the token itself is never logged.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly jobs: JobsClient,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.limiter = new RateLimiter(config.rateLimitPerMinute);
  }

  private readonly limiter: RateLimiter;

  /** 429 with Retry-After once a caller has used up its minute. */
  private limit(context: ExecutionContext, key: string): void {
    const wait = this.limiter.take(key);
    if (wait === 0) return;
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(wait));
    throw new GatewayException(
      GatewayErrorCode.RESOURCE_EXHAUSTED,
      `too many requests from ${key}; retry in ${wait} s`,
      [],
      'RATE_LIMITED',
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    let principal: Principal;
    try {
      principal = await this.verifier.verify(request.headers.authorization);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      // Failed sign-ins count against the client's address, so guessing tokens is slow too.
      this.limit(context, `client:${request.ip ?? 'unknown'}`);
      this.refused(request, undefined, err.code, err.message);
      if (UNAVAILABLE.has(err.code)) {
        throw new GatewayException(GatewayErrorCode.AUTH_UNAVAILABLE, err.message, [], err.code);
      }
      const status =
        err.code === 'ROLE_MISSING' ? GatewayErrorCode.FORBIDDEN : GatewayErrorCode.UNAUTHENTICATED;
      throw new GatewayException(status, err.message, [], err.code);
    }
    request.principal = principal;
    this.limit(context, `user:${principal.subject}`);
    // An id that tries to leave its path is refused here, where the caller is known, so the attempt is audited.
    const id = (request.params as Record<string, string | undefined>).id;
    if (id !== undefined && !JOB_ID_PATTERN.test(id)) {
      this.refused(
        request,
        principal,
        'ID_INVALID',
        `invalid id ${JSON.stringify(id.slice(0, 80))}`,
        'request.refused',
      );
      throw new JobIdPipe().refusal(id);
    }
    const needed = this.reflector.getAllAndOverride<Permission[] | undefined>(PERMISSION_KEY, targets) ?? [];
    const missing = needed.filter((p) => !can(principal, p));
    if (missing.length > 0 && missing.length === needed.length) {
      const message = `${principal.name} (${principal.roles.join(', ')}) may not ${needed.join(' or ')}`;
      this.refused(request, principal, 'PERMISSION_DENIED', message);
      throw new GatewayException(GatewayErrorCode.FORBIDDEN, message, [], 'PERMISSION_DENIED');
    }
    return true;
  }

  private refused(
    request: Request,
    principal: Principal | undefined,
    code: string,
    message: string,
    action: 'auth.refused' | 'request.refused' = 'auth.refused',
  ): void {
    const actor = principal ? `user:${principal.subject}` : `client:${request.ip ?? 'unknown'}`;
    const details = { code, method: request.method, path: request.path, reason: message };
    this.log.warn({ audit: true, actor, ...details }, 'request refused');
    // The refusal is answered at once; a failure to audit it is logged, never swallowed silently.
    void this.jobs
      .recordAudit({
        actor,
        action,
        subject: `gateway:${request.path}`,
        detailsJson: JSON.stringify(details),
      })
      .catch((err: unknown) =>
        this.log.error({ err, actor, code }, 'AUDIT WRITE FAILED for a refused request'),
      );
  }
}
