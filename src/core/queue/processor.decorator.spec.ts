import { STEP_CATALOG, Step, stepsOf } from '../steps/step.decorator.js';
import {
  OnFinalFailure,
  Process,
  Processor,
  entityLock,
  finalFailureHandlerOf,
  processorQueueOf,
} from './processor.decorator.js';
import { defineTopic, type EntityEvent } from './topic.js';

const Queue = 'spec-thing';
const T = {
  Create: defineTopic<EntityEvent>('spec.thing.create', { queue: Queue }),
  Update: defineTopic<EntityEvent>('spec.thing.update', { queue: Queue }),
  Delete: defineTopic<EntityEvent>('spec.thing.delete', { queue: Queue }),
};
const Lock = entityLock('thing_sync', 'CThing');

@Processor(Queue)
class ThingProcessor {
  @Step({ name: 'Spec Thing Sync', description: 'spec', flows: ['spec'] })
  @Process(T.Create, { lock: Lock, payload: (e) => ({ ...e, action: 'create' }) })
  @Process(T.Update, { lock: Lock })
  sync(): Promise<void> {
    return Promise.resolve();
  }

  // @Step below @Process: the decorators apply in the other order, the entry is the same.
  @Process(T.Delete, { lock: Lock })
  @Step({ name: 'Spec Thing Delete', description: 'spec', flows: ['spec'] })
  remove(): Promise<void> {
    return Promise.resolve();
  }

  @OnFinalFailure(T.Create, T.Update)
  recordFailure(): Promise<void> {
    return Promise.resolve();
  }
}

describe('@Processor / @Process / @Step', () => {
  const byId = (id: string) => STEP_CATALOG.find((e) => e.functionId === id)!;

  it.each([
    ['spec-thing-sync', 'sync', ['spec.thing.create', 'spec.thing.update']],
    ['spec-thing-delete', 'remove', ['spec.thing.delete']],
  ])('catalogues %s on method %s with its topics in the order written', (id, method, topics) => {
    const entry = byId(id);
    expect(entry.target).toBe(ThingProcessor);
    expect(entry.method).toBe(method);
    expect(entry.definition.trigger).toEqual({
      type: 'queue',
      topics: topics.map((name) => expect.objectContaining({ name, queue: Queue })),
    });
    expect(entry.processes.map((p) => p.topic.name)).toEqual(topics);
  });

  it('knows the queue of the class and its steps', () => {
    expect(processorQueueOf(ThingProcessor)).toBe(Queue);
    expect(stepsOf(ThingProcessor).map((e) => e.functionId)).toEqual([
      'spec-thing-sync',
      'spec-thing-delete',
    ]);
  });

  it('builds the locked payload and the lock key from the job data', () => {
    const [create, update] = byId('spec-thing-sync').processes;
    const info = { id: 1, attemptsMade: 0, name: 'create' };
    const data = { entityId: 'abc', traceId: 't' };
    expect(create.payload?.(data as never, info)).toEqual({ ...data, action: 'create' });
    expect(update.payload).toBeUndefined();
    expect(Lock.key(data)).toEqual({ entityType: 'CThing', entityId: 'abc' });
  });

  it.each([
    [T.Create.name, T.Create, 'recordFailure'],
    [T.Update.name, T.Update, 'recordFailure'],
    [T.Delete.name, T.Delete, undefined],
  ])('names the final-failure hook for %s: %s', (_name, topic, hook) => {
    expect(finalFailureHandlerOf(ThingProcessor, topic)).toBe(hook);
  });

  it('refuses a queue name that is not lower-case', () => {
    expect(() => defineTopic('spec.x.y', { queue: 'Spec_X' })).toThrow(/must be lower-case/);
  });
});
