import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import type { UpstreamSystem } from '../errors/upstream.errors.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { REDIS } from '../redis/redis.module.js';
import { currentTraceId } from '../trace/trace-context.js';
import type { ShadowScope } from './shadow-context.js';
import { decideShadowWrite, summarizeWrite, type ShadowKind } from './shadow-policy.js';
import { ShadowStop } from './shadow-stop.error.js';

/** One would-be write as listed at `GET /_console/shadow`. */
export interface ShadowWrite {
  /** Redis stream id (time-ordered). */
  id: string;
  at: string;
  system: UpstreamSystem;
  method: string;
  path: string;
  kind: ShadowKind;
  /** True for "would create, then stop": the live run would go on with more writes. */
  stopped: boolean;
  entity: string;
  step: string;
  traceId: string;
  /** The fields the write would set (cut), or a one-line description. */
  fields: Record<string, string> | string;
}

export interface ShadowWriteInput {
  system: UpstreamSystem;
  method: string;
  path: string;
  body?: unknown;
}

export interface ShadowListFilter {
  system?: string;
  /** Matches the job's entity (`CDokumente/abc`) or any part of the path. */
  entity?: string;
  limit?: number;
}

export interface ShadowListing {
  mode: 'live' | 'shadow';
  /** Entries matching the filter, in the (bounded) log. */
  total: number;
  /** Per `system method kind`, e.g. `espocrm PUT update`, over the matching entries. */
  counts: Record<string, number>;
  /** Newest first, at most `limit`. */
  writes: ShadowWrite[];
}

/**
 * Shadow mode's record of writes (SYNC_MODE=shadow): a Redis stream trimmed to
 * SHADOW_LOG_MAX_ENTRIES (XADD MAXLEN ~), a Prometheus counter, and the decision
 * whether the caller gets a synthetic success or the run stops (shadow-policy.ts).
 * The HTTP layer (core/http/upstream-http.ts) and the Google client call `intercept`.
 */
@Injectable()
export class ShadowRecorder {
  private readonly logger = new Logger('ShadowRecorder');

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: HubMetrics,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  get enabled(): boolean {
    return this.config.sync.mode === 'shadow';
  }

  /**
   * Records the write and answers what the caller gets instead of the upstream's
   * answer. @throws ShadowStop for a create whose id the run would need next.
   */
  async intercept(
    scope: Pick<ShadowScope, 'traceId' | 'step' | 'entity'>,
    write: ShadowWriteInput,
  ): Promise<{ status: number; data: unknown }> {
    const decision = decideShadowWrite(write);
    const stopped = decision.action === 'stop';
    await this.record(scope, write, decision.kind, stopped);
    if (decision.action === 'stop') throw new ShadowStop(write.system, write.method, write.path);
    return { status: decision.status, data: decision.data };
  }

  async record(
    scope: Pick<ShadowScope, 'traceId' | 'step' | 'entity'>,
    write: ShadowWriteInput,
    kind: ShadowKind,
    stopped: boolean,
  ): Promise<void> {
    const method = write.method.toUpperCase();
    this.metrics.shadowWrites.inc({ system: write.system, method, kind });
    const fields = summarizeWrite(write.body);
    this.logger.log(
      `shadow: ${stopped ? 'would create, then stop:' : 'would'} ${write.system} ${method} ${write.path} (${scope.step}, ${scope.entity})`,
    );
    await this.redis.xadd(
      this.config.sync.shadowLogKey,
      'MAXLEN',
      '~',
      String(this.config.sync.shadowLogMaxEntries),
      '*',
      'at',
      new Date().toISOString(),
      'system',
      write.system,
      'method',
      method,
      'path',
      write.path,
      'kind',
      kind,
      'stopped',
      stopped ? '1' : '0',
      'entity',
      scope.entity,
      'step',
      scope.step,
      'traceId',
      scope.traceId || currentTraceId() || '',
      'fields',
      JSON.stringify(fields),
    );
  }

  async list(filter: ShadowListFilter = {}): Promise<ShadowListing> {
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 1000));
    const raw = await this.redis.xrevrange(
      this.config.sync.shadowLogKey,
      '+',
      '-',
      'COUNT',
      this.config.sync.shadowLogMaxEntries * 2,
    );
    const counts: Record<string, number> = {};
    const writes: ShadowWrite[] = [];
    let total = 0;
    for (const [id, flat] of raw) {
      const w = toWrite(id, flat);
      if (filter.system && w.system !== filter.system) continue;
      if (filter.entity && !w.entity.includes(filter.entity) && !w.path.includes(filter.entity))
        continue;
      total += 1;
      const key = `${w.system} ${w.method} ${w.kind}${w.stopped ? ' (then stop)' : ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
      if (writes.length < limit) writes.push(w);
    }
    return { mode: this.config.sync.mode, total, counts, writes };
  }
}

function toWrite(id: string, flat: string[]): ShadowWrite {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]] = flat[i + 1];
  let fields: ShadowWrite['fields'] = {};
  try {
    fields = JSON.parse(f.fields ?? '{}') as ShadowWrite['fields'];
  } catch {
    fields = f.fields ?? '';
  }
  return {
    id,
    at: f.at ?? '',
    system: (f.system ?? 'espocrm') as UpstreamSystem,
    method: f.method ?? '',
    path: f.path ?? '',
    kind: (f.kind ?? 'update') as ShadowKind,
    stopped: f.stopped === '1',
    entity: f.entity ?? '',
    step: f.step ?? '',
    traceId: f.traceId ?? '',
    fields,
  };
}
