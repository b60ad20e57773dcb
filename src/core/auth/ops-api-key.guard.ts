import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config.js';
import { hasOpsCredentials } from './ops-credentials.js';

/**
 * The console, manual triggers and metrics: header `X-Api-Key` = `OPS_API_KEY`, or
 * HTTP Basic `ops` / `OPS_API_KEY` (what the console page's own fetches carry). No
 * challenge header here: a JSON 401 must not pop up a login dialog over the page.
 */
@Injectable()
export class OpsApiKeyGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!hasOpsCredentials(req.headers, this.config.opsApiKey)) {
      throw new UnauthorizedException(
        'X-Api-Key header (or Basic ops credentials) missing or wrong',
      );
    }
    return true;
  }
}
