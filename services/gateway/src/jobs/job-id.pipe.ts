import { Injectable, type PipeTransform } from '@nestjs/common';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';

/** Job ids are UUIDs the aggregator assigns; anything with dots, slashes or escapes is refused before it travels. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

@Injectable()
export class JobIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!JOB_ID_PATTERN.test(value)) throw this.refusal(value);
    return value;
  }

  refusal(value: string): GatewayException {
    return new GatewayException(
      GatewayErrorCode.REQUEST_INVALID,
      `invalid job id ${JSON.stringify(value.slice(0, 80))}`,
      [{ field: 'id', message: 'a job id is 1 to 64 letters, digits or "-" (the UUID the job was given)' }],
    );
  }
}
