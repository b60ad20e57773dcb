import { BadRequestException, Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { OpsApiKeyGuard } from '../core/auth/ops-api-key.guard.js';
import { ShadowRecorder, type ShadowListing } from '../core/shadow/shadow-recorder.service.js';

const SYSTEMS = new Set(['espocrm', 'advoware', 'xai', 'google']);

/** The shadow log: what the hub would have written (SYNC_MODE=shadow, docs/MIGRATION.md). */
@ApiTags('console')
@ApiSecurity('ops-key')
@UseGuards(OpsApiKeyGuard)
@Controller('_console')
export class ShadowController {
  constructor(private readonly shadow: ShadowRecorder) {}

  @Get('shadow')
  @ApiOperation({
    summary:
      'Writes recorded in shadow mode (newest first), with counts per system, method and kind',
  })
  @ApiQuery({ name: 'system', required: false, enum: [...SYSTEMS] })
  @ApiQuery({
    name: 'entity',
    required: false,
    description: 'Part of the job entity (CDokumente/abc) or of the path',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' })
  list(
    @Query('system') system?: string,
    @Query('entity') entity?: string,
    @Query('limit') limit?: string,
  ): Promise<ShadowListing> {
    if (system !== undefined && !SYSTEMS.has(system)) {
      throw new BadRequestException(`system must be one of ${[...SYSTEMS].join(', ')}`);
    }
    const n = limit === undefined ? undefined : Number(limit);
    if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1000)) {
      throw new BadRequestException('limit must be an integer from 1 to 1000');
    }
    return this.shadow.list({ system, entity: entity || undefined, limit: n });
  }
}
