import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AdvowareClient } from '../integrations/advoware/advoware.client.js';

/**
 * The Advoware token cache: when Redis cannot hold the token, each process keeps its
 * own and the proxy goes on working. Reported, never failing readiness.
 */
@Injectable()
export class AdvowareCacheIndicator {
  constructor(
    private readonly advoware: AdvowareClient,
    private readonly indicator: HealthIndicatorService,
  ) {}

  check(key = 'advowareTokenCache') {
    const degraded = this.advoware.cacheDegraded();
    return this.indicator.check(key).up({
      cache: degraded ? 'degraded: process-local token (Redis unavailable)' : 'redis',
    });
  }
}
