import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { STEP_CATALOG, type CatalogEntry } from './step.decorator.js';

export interface FunctionInfo {
  function_id: string;
  name: string;
  description: string;
  flows: string[];
  trigger:
    | { type: 'http'; method: string; path: string }
    | { type: 'queue'; topics: string[] }
    | { type: 'cron'; expression: string };
  enqueues: string[];
}

/**
 * Reads the step catalogue once at boot and refuses to start when a topic is
 * enqueued that no step processes: such an event would wait in Redis forever.
 */
@Injectable()
export class StepRegistry implements OnModuleInit {
  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    const problems = findUnprocessedTopics(STEP_CATALOG);
    if (problems.length > 0) {
      throw new Error(`Step registry: ${problems.join('; ')}`);
    }
  }

  entries(): CatalogEntry[] {
    return [...STEP_CATALOG];
  }

  find(functionId: string): CatalogEntry | undefined {
    return STEP_CATALOG.find((e) => e.functionId === functionId);
  }

  list(): FunctionInfo[] {
    return STEP_CATALOG.map((e) => describe(e, this.config)).sort((a, b) =>
      a.function_id.localeCompare(b.function_id),
    );
  }
}

export function findUnprocessedTopics(catalog: CatalogEntry[]): string[] {
  const processed = new Set<string>();
  for (const e of catalog) {
    if (e.definition.trigger.type === 'queue')
      e.definition.trigger.topics.forEach((t) => processed.add(t.name));
  }
  const problems: string[] = [];
  for (const e of catalog) {
    for (const t of e.definition.enqueues ?? []) {
      if (!processed.has(t.name))
        problems.push(
          `topic ${t.name} is enqueued by "${e.definition.name}" but no step processes it`,
        );
    }
  }
  return problems;
}

function describe(e: CatalogEntry, config: AppConfig): FunctionInfo {
  const t = e.definition.trigger;
  const trigger: FunctionInfo['trigger'] =
    t.type === 'queue'
      ? { type: 'queue', topics: t.topics.map((x) => x.name) }
      : t.type === 'cron'
        ? { type: 'cron', expression: t.expression(config) }
        : t;
  return {
    function_id: e.functionId,
    name: e.definition.name,
    description: e.definition.description,
    flows: e.definition.flows,
    trigger,
    enqueues: (e.definition.enqueues ?? []).map((x) => x.name),
  };
}
