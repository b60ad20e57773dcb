import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config.js';
import { verifyEspoSignature } from './espo-signature.js';

/**
 * Verifies EspoCRM's `Signature` header when webhook secrets are configured.
 * Without secrets the hub accepts unsigned webhooks (the old system did) and says
 * so once at boot.
 */
@Injectable()
export class EspoWebhookGuard implements CanActivate {
  private readonly logger = new Logger('EspoWebhookGuard');
  private warned = false;

  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const secrets = this.config.webhook.secrets;
    if (secrets.size === 0) {
      if (!this.warned) {
        this.logger.warn('ESPOCRM_WEBHOOK_SECRETS is empty: webhook signatures are not verified');
        this.warned = true;
      }
      return true;
    }
    const req = context.switchToHttp().getRequest<Request & { rawBody?: Buffer }>();
    const result = verifyEspoSignature(
      req.headers['signature'],
      req.rawBody ?? Buffer.alloc(0),
      secrets,
    );
    if (result !== 'ok')
      throw new UnauthorizedException(`webhook signature ${result.replace('_', ' ')}`);
    return true;
  }
}
