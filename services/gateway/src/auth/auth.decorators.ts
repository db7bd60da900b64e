import { SetMetadata } from '@nestjs/common';
import type { Permission } from '@cohort/auth';

export const PERMISSION_KEY = 'cohort:permission';
export const PUBLIC_KEY = 'cohort:public';

/** The permission a route needs (see @cohort/auth's ROLE_MATRIX); ownership is checked by the service. */
export const RequirePermission = (...permissions: Permission[]) => SetMetadata(PERMISSION_KEY, permissions);

/** No sign-in: health, API docs, the development issuer's keys and the dashboard's static files. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
