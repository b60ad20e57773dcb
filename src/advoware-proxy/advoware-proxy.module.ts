import { Module } from '@nestjs/common';
import { AdvowareModule } from '../integrations/advoware/advoware.module.js';
import { AdvowareProxyController } from './advoware-proxy.controller.js';
import { AdvowareProxyService } from './advoware-proxy.service.js';
import { ProxyRateLimiter } from './proxy-rate-limiter.js';

/** `/advoware/proxy`, one step per method as in the old system. */
@Module({
  imports: [AdvowareModule],
  controllers: [AdvowareProxyController],
  providers: [AdvowareProxyService, ProxyRateLimiter],
})
export class AdvowareProxyModule {}
