import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { JobsClient } from '../aggregator/jobs.client.js';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';
import { parseRequest } from '../common/request-validation.js';
import {
  toSiloInvitationView,
  toSiloListView,
  toSiloView,
  type SiloInvitationView,
  type SiloListView,
  type SiloView,
} from './silo-view.js';
import {
  DEFAULT_INVITATION_TTL_SECONDS,
  INVITATION_TTL_RULE,
  MAX_INVITATION_TTL_SECONDS,
  MIN_INVITATION_TTL_SECONDS,
  SILO_NAME_PATTERN,
  SILO_NAME_RULE,
  isSiloName,
} from './silo-rules.js';

const siloName = z.string({ error: SILO_NAME_RULE }).regex(SILO_NAME_PATTERN, { error: SILO_NAME_RULE });

const inviteBody = z.strictObject(
  {
    name: siloName,
    ttlSeconds: z
      .number({ error: INVITATION_TTL_RULE })
      .int({ error: INVITATION_TTL_RULE })
      .min(MIN_INVITATION_TTL_SECONDS, { error: INVITATION_TTL_RULE })
      .max(MAX_INVITATION_TTL_SECONDS, { error: INVITATION_TTL_RULE })
      .default(DEFAULT_INVITATION_TTL_SECONDS),
  },
  { error: 'the body must be a JSON object' },
);

const revokeBody = z
  .strictObject({ reason: z.string().max(1000).optional() }, { error: 'the body must be a JSON object' })
  .optional();

@Injectable()
export class SiloService {
  constructor(private readonly jobs: JobsClient) {}

  async list(): Promise<SiloListView> {
    return toSiloListView(await this.jobs.listSilos());
  }

  async invite(body: unknown, principal: string): Promise<SiloInvitationView> {
    const request = parseRequest(inviteBody, body, 'invalid invitation request');
    const invitation = await this.jobs.inviteSilo({
      siloName: request.name,
      ttlSeconds: request.ttlSeconds,
      requestedBy: principal,
    });
    // proto3 fills a field the aggregator forgot with its zero value; an empty token would look like success to the
    // site admin and then fail at the hospital, so it is reported here as the aggregator's fault.
    if (!invitation.joinToken || !(invitation.expiresAtUnixMs > 0)) {
      throw new GatewayException(
        GatewayErrorCode.AGGREGATOR_ERROR,
        `the aggregator answered the invitation of silo ${request.name} without a join token or expiry`,
      );
    }
    return toSiloInvitationView(invitation);
  }

  async revoke(name: string, body: unknown, principal: string): Promise<SiloView> {
    // No silo can carry a name outside the rule, so such a path is the caller's mistake, not an unknown silo.
    if (!isSiloName(name)) {
      throw new GatewayException(
        GatewayErrorCode.REQUEST_INVALID,
        `invalid silo name ${JSON.stringify(name)}`,
        [{ field: 'name', message: SILO_NAME_RULE }],
      );
    }
    const request = parseRequest(revokeBody, body, 'invalid revoke request');
    return toSiloView(
      await this.jobs.revokeSilo({ siloName: name, requestedBy: principal, reason: request?.reason ?? '' }),
    );
  }
}
