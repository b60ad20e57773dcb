import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppConfig } from '../../config/app-config.js';
import { OPS_BASIC_CHALLENGE, hasOpsCredentials } from './ops-credentials.js';

/** Pages a person opens (`GET /_console/`): like OpsApiKeyGuard, plus the Basic challenge. */
@Injectable()
export class OpsBasicAuthGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    if (hasOpsCredentials(req.headers, this.config.opsApiKey)) return true;
    http.getResponse<Response>().setHeader('WWW-Authenticate', OPS_BASIC_CHALLENGE);
    throw new UnauthorizedException('ops credentials missing or wrong (Basic or X-Api-Key)');
  }
}
