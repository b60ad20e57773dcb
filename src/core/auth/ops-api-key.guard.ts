import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config.js';
import { matchesAnyKey } from './api-key.js';

/** The console, manual triggers and metrics: header `X-Api-Key` must be `OPS_API_KEY`. */
@Injectable()
export class OpsApiKeyGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!matchesAnyKey(req.headers['x-api-key'], [this.config.opsApiKey])) {
      throw new UnauthorizedException('X-Api-Key header missing or wrong');
    }
    return true;
  }
}
