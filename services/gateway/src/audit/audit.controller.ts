import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Post,
  Query,
  type StreamableFile,
} from '@nestjs/common';
import { RequirePermission } from '../auth/auth.decorators.js';
import { Principal } from '../common/principal.decorator.js';
import { AuditService } from './audit.service.js';
import type { AuditPageView, AuditVerificationView } from './audit-view.js';

/** Compliance: the audit trail, filtered and paged, exported with its checkpoints, and verified in place. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller({ path: 'audit', version: '1' })
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermission('audit.read')
  @Header('Cache-Control', 'no-store')
  list(@Query() query: unknown, @Principal() principal: string): Promise<AuditPageView> {
    return this.audit.list(query, principal);
  }

  @Get('export')
  @RequirePermission('audit.export')
  @Header('Cache-Control', 'no-store')
  export(@Query() query: unknown, @Principal() principal: string): StreamableFile {
    return this.audit.export(query, principal).file;
  }

  @Post('verify')
  @RequirePermission('audit.verify')
  @HttpCode(HttpStatus.OK)
  verify(@Principal() principal: string): Promise<AuditVerificationView> {
    return this.audit.verify(principal);
  }
}
