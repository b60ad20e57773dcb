import { AppConfig } from '../config/app-config.js';
import { Process, Processor, entityLock } from '../core/queue/processor.decorator.js';
import { defineTopic, type EntityEvent } from '../core/queue/topic.js';
import { STEP_CATALOG, Step, type StepLock } from '../core/steps/step.decorator.js';
import { lockStepsFor } from './entity-status.service.js';

const Party = defineTopic<EntityEvent>('spec.party.update', { queue: 'spec-party' });
const Collection = defineTopic<EntityEvent & { entityType: string }>('spec.collection.ensure', {
  queue: 'spec-collection',
});
const CollectionLock: StepLock<EntityEvent & { entityType: string }> = {
  step: 'spec_collection',
  entityTypes: (c) => c.xai.collectionEntityTypes,
  key: (e) => ({ entityType: e.entityType, entityId: e.entityId }),
};

@Processor('spec-party')
class PartyProcessor {
  @Step({ name: 'Spec Party Sync', description: 'spec', flows: ['spec'] })
  @Process(Party, { lock: entityLock('spec_party', 'CBeteiligte') })
  run(): Promise<void> {
    return Promise.resolve();
  }
}

@Processor('spec-collection')
class CollectionProcessor {
  @Step({ name: 'Spec Collection', description: 'spec', flows: ['spec'] })
  @Process(Collection, { lock: CollectionLock })
  run(): Promise<void> {
    return Promise.resolve();
  }
}

describe('lockStepsFor', () => {
  const config = { xai: { collectionEntityTypes: ['CBeteiligte', 'Account'] } } as AppConfig;
  const catalog = STEP_CATALOG.filter((e) =>
    [PartyProcessor, CollectionProcessor].includes(e.target as typeof PartyProcessor),
  );

  it.each([
    ['CBeteiligte', ['spec_party', 'spec_collection']],
    ['Account', ['spec_collection']],
    ['CDokumente', ['spec_collection']],
  ])('%s is guarded by %j', (entityType, steps) => {
    expect(catalog).toHaveLength(2);
    expect(lockStepsFor(entityType, config, catalog)).toEqual(steps);
  });
});
