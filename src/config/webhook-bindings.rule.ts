import {
  type ValidationArguments,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { parseWebhookBindings } from './webhook-bindings.js';

/**
 * `ESPOCRM_WEBHOOK_SECRETS` as the env schema checks it: every entry
 * `webhookId:secret[@route[+route…]]`, routes known, and under `NODE_ENV=production`
 * every id bound to its routes (an unbound id could replay a captured body on
 * any route). The message names each bad entry.
 */
@ValidatorConstraint({ name: 'espoWebhookSecrets' })
export class EspoWebhookSecretsRule implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if (value === undefined || value === null || value === '') return true;
    if (typeof value !== 'string') return false;
    return parseWebhookBindings(value, { production: isProduction(args) }).ok;
  }

  defaultMessage(args: ValidationArguments): string {
    const value = typeof args.value === 'string' ? args.value : '';
    const parsed = parseWebhookBindings(value, { production: isProduction(args) });
    const problems = parsed.ok ? ['must be a string'] : parsed.problems;
    return `ESPOCRM_WEBHOOK_SECRETS must be webhookId:secret@route entries, comma-separated: ${problems.join('; ')}`;
  }
}

function isProduction(args: ValidationArguments): boolean {
  return (args.object as { NODE_ENV?: unknown }).NODE_ENV === 'production';
}
