import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { OpsApiKeyGuard } from '../core/auth/ops-api-key.guard.js';
import { OpsBasicAuthGuard } from '../core/auth/ops-basic-auth.guard.js';
import { ConsoleOverviewService } from './console-overview.service.js';
import { renderConsolePage, renderLive } from './console-page.view.js';

const REFRESH_MS = 5000;
/** The page and its fragments are live data behind credentials: never cached, never framed. */
const NO_STORE = 'no-store';

/**
 * The operator console a person opens: `GET /_console/` (HTTP Basic, user `ops`,
 * the ops key), rendered on the server; its script swaps in `GET /_console/live`
 * every few seconds and calls the JSON endpoints with the same credentials.
 */
@ApiTags('console')
@Controller('_console')
export class ConsolePageController {
  constructor(private readonly overview: ConsoleOverviewService) {}

  @Get()
  @UseGuards(OpsBasicAuthGuard)
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', NO_STORE)
  @Header('X-Frame-Options', 'DENY')
  async page(): Promise<string> {
    return renderConsolePage(await this.overview.overview(), { refreshMs: REFRESH_MS });
  }

  @Get('live')
  @UseGuards(OpsApiKeyGuard)
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', NO_STORE)
  async live(): Promise<string> {
    return renderLive(await this.overview.overview());
  }

  @Get('overview')
  @UseGuards(OpsApiKeyGuard)
  @ApiSecurity('ops-key')
  @ApiOperation({
    summary:
      'The console page as data: flows with their steps in order, next cron runs (Europe/Berlin), ' +
      'waiting/active counts, completed/failed in the last hour, last errors, dead letters',
  })
  overviewJson() {
    return this.overview.overview();
  }
}
