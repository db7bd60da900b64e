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

/** A silo name is a DNS label in spirit (it ends up in certificates and file names), dots and underscores allowed. */
const SILO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SILO_NAME_RULE = 'must be 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit';

export const MIN_INVITATION_TTL_SECONDS = 60;
export const MAX_INVITATION_TTL_SECONDS = 7 * 24 * 3600;
export const DEFAULT_INVITATION_TTL_SECONDS = 24 * 3600;
const TTL_RULE = `must be a whole number of seconds from ${MIN_INVITATION_TTL_SECONDS} to ${MAX_INVITATION_TTL_SECONDS}`;

const siloName = z.string({ error: SILO_NAME_RULE }).regex(SILO_NAME, { error: SILO_NAME_RULE });

const inviteBody = z.strictObject(
  {
    name: siloName,
    ttlSeconds: z
      .number({ error: TTL_RULE })
      .int({ error: TTL_RULE })
      .min(MIN_INVITATION_TTL_SECONDS, { error: TTL_RULE })
      .max(MAX_INVITATION_TTL_SECONDS, { error: TTL_RULE })
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
    if (!SILO_NAME.test(name)) {
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
