import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import http from 'node:http';
import { AppConfig } from '../config/app-config.js';
import { HubMetrics } from '../core/metrics/hub-metrics.js';

/**
 * With METRICS_PORT set, /metrics is served on that port without a key (bind it to a
 * private interface or firewall it), so Prometheus needs no secret; every role serves it.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MetricsServer');
  private server?: http.Server;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.http.metricsPort;
    if (port === 0) return;
    this.server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.metrics.registry
        .metrics()
        .then((text) =>
          res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text),
        )
        .catch(() => res.writeHead(500).end());
    });
    // Loopback by default (METRICS_HOST): this port answers without a key.
    const host = this.config.http.metricsHost;
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    this.logger.log(`metrics on ${host}:${port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
