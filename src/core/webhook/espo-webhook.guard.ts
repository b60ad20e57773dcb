import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';
import { AppConfig } from '../../config/app-config.js';
import { verifyEspoWebhook } from './espo-signature.js';
import { webhookRouteName } from '../../config/webhook-bindings.js';

/**
 * What was already logged (`<id> <form>`, `<id> unbound`): once per process is
 * enough. Module-level because Nest builds one guard instance per module using it.
 */
const told = new Set<string>();

/** Route name (webhookRouteName) by Express route template: a few templates, one name each. */
const routeNames = new Map<string, string>();

/** Express's matched route template, not the raw URL: the same name for every request. */
function routeNameOf(req: Request): string {
  const template = (req.route as { path?: unknown } | undefined)?.path;
  if (template === undefined) return webhookRouteName(req.path);
  const key = String(template);
  let name = routeNames.get(key);
  if (name === undefined) {
    name = webhookRouteName(key);
    routeNames.set(key, name);
  }
  return name;
}

/**
 * Verifies EspoCRM's signature (`Signature`, or `X-Signature` alone from EspoCRM
 * before 9.0) when webhook secrets are configured, then that the signing webhook
 * is bound to this route (401 for a bad signature, 403 for the wrong route).
 * Without secrets the hub accepts unsigned webhooks (the old system did) and says
 * so once.
 */
@Injectable()
export class EspoWebhookGuard implements CanActivate {
  private readonly logger = new Logger('EspoWebhookGuard');

  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const secrets = this.config.webhook.secrets;
    if (secrets.size === 0) {
      this.tellOnce(
        'no secrets',
        () => 'ESPOCRM_WEBHOOK_SECRETS is empty: webhook signatures are not verified',
        'warn',
      );
      return true;
    }
    const req = context.switchToHttp().getRequest<Request & { rawBody?: Buffer }>();
    const verdict = verifyEspoWebhook(
      { signature: req.headers['signature'], xSignature: req.headers['x-signature'] },
      req.rawBody ?? Buffer.alloc(0),
      secrets,
    );
    if (verdict.result !== 'ok') {
      const header =
        verdict.form === 'x-signature'
          ? 'X-Signature'
          : verdict.form === 'signature'
            ? 'Signature'
            : 'signature';
      throw new UnauthorizedException(`webhook ${header} ${verdict.result.replace('_', ' ')}`);
    }
    const webhookId = verdict.webhookId as string;
    this.tellOnce(`${webhookId} ${verdict.form}`, () =>
      verdict.form === 'x-signature'
        ? `webhook ${webhookId} signs with the legacy X-Signature only (EspoCRM before 9.0); accepted`
        : `webhook ${webhookId} signs with Signature (EspoCRM 9.0 or later)`,
    );
    // Every request passes here: the line is only built when debug is on.
    if (Logger.isLevelEnabled('debug'))
      this.logger.debug(`webhook ${webhookId} verified by its ${verdict.form} header`);

    const route = routeNameOf(req);
    const bound = this.config.webhook.routes.get(webhookId);
    if (bound === undefined) {
      if (this.config.env === 'production') {
        // Startup refuses this already; kept in case the config is built another way.
        throw new ForbiddenException(`webhook ${webhookId} is bound to no route`);
      }
      this.tellOnce(
        `${webhookId} unbound`,
        () =>
          `webhook ${webhookId} is bound to no route and may call every webhook route; bind it with ${webhookId}:<secret>@<route> (required in production)`,
        'warn',
      );
      return true;
    }
    if (!bound.has(route)) {
      throw new ForbiddenException(`webhook ${webhookId} may not call ${route}`);
    }
    return true;
  }

  /** The message is built only the first time: every request passes here. */
  private tellOnce(key: string, message: () => string, level: 'log' | 'warn' = 'log'): void {
    if (told.has(key)) return;
    told.add(key);
    this.logger[level](message());
  }
}
