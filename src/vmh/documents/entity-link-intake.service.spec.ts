import { beforeEach, describe, expect, it } from '@jest/globals';
import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import { newTestService, type Mocks } from '../../../test/support/new-test-service.js';
import { testConfig } from '../../../test/support/test-env.js';
import { JobProducer, QueueUnavailableError } from '../../core/queue/job-producer.service.js';
import { WebhookIntake } from '../../core/webhook/webhook-intake.service.js';
import { CollectionTopics } from '../../xai/xai.jobs.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';
import { DocumentTopics } from './document.jobs.js';
import { EntityLinkIntake } from './entity-link-intake.service.js';

const DEPS = { intake: WebhookIntake, producer: JobProducer, linksIndex: DocumentLinksIndexStore };

const link = (entityType: string, entityId: string, foreignType: string, foreignId: string) => ({
  entityType,
  entityId,
  foreignType,
  foreignId,
});

describe('EntityLinkIntake', () => {
  const config = testConfig({}, { XAI_COLLECTION_ENTITY_TYPES: 'CBeteiligte,Account' });
  let sut: EntityLinkIntake;
  let mocks: Mocks<typeof DEPS>;

  beforeEach(async () => {
    ({ sut, mocks } = await newTestService(EntityLinkIntake, DEPS, { config }));
    mocks.producer.enqueue.mockResolvedValue({ enqueued: 1, coalesced: 0 });
    mocks.intake.enqueue.mockResolvedValue({ enqueued: 2, coalesced: 0 });
  });

  it('ensures the collection of each linked entity of a collection type, then updates the documents', async () => {
    const answer = await sut.accept(
      'link',
      [
        link('CDokumente', 'doc-1', 'CBeteiligte', 'b-1'),
        // Reported from the other end: the document is the foreign side.
        link('Account', 'acc-1', 'CDokumente', 'doc-2'),
        // Not a collection type: the document is updated, no collection is made.
        link('CDokumente', 'doc-3', 'Contact', 'c-1'),
      ],
      'trace-1',
    );

    const [topic, entities] = mocks.producer.enqueue.mock.calls[0];
    expect(topic).toBe(CollectionTopics.Ensure);
    expect(entities).toEqual([
      { entityType: 'CBeteiligte', entityId: 'b-1', traceId: 'trace-1' },
      { entityType: 'Account', entityId: 'acc-1', traceId: 'trace-1' },
    ]);
    expect(mocks.intake.enqueue).toHaveBeenCalledWith(DocumentTopics.Update, [
      { entityId: 'doc-1', traceId: 'trace-1' },
      { entityId: 'doc-2', traceId: 'trace-1' },
      { entityId: 'doc-3', traceId: 'trace-1' },
    ]);
    expect(mocks.producer.enqueue.mock.invocationCallOrder[0]).toBeLessThan(
      mocks.intake.enqueue.mock.invocationCallOrder[0],
    );
    expect(answer).toEqual({
      status: 'received',
      action: 'vmh.entity.link',
      new_ids_count: 3,
      total_ids_in_batch: 3,
    });
  });

  it("moves the documents' link epochs in one call before it enqueues their updates", async () => {
    await sut.accept(
      'unlink',
      [
        link('CDokumente', 'doc-1', 'CBeteiligte', 'b-1'),
        link('Account', 'acc-1', 'CDokumente', 'doc-2'),
      ],
      'trace-1',
    );

    expect(mocks.linksIndex.linksChanged).toHaveBeenCalledTimes(1);
    expect(mocks.linksIndex.linksChanged).toHaveBeenCalledWith(['doc-1', 'doc-2']);
    expect(mocks.linksIndex.linksChanged.mock.invocationCallOrder[0]).toBeLessThan(
      mocks.intake.enqueue.mock.invocationCallOrder[0],
    );
  });

  it('answers 503 when Redis cannot take the new link epochs, and enqueues nothing', async () => {
    mocks.linksIndex.linksChanged.mockRejectedValue(new Error('Connection is closed.'));

    await expect(
      sut.accept('link', [link('CDokumente', 'doc-1', 'CBeteiligte', 'b-1')], 'trace-1'),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(mocks.producer.enqueue).not.toHaveBeenCalled();
    expect(mocks.intake.enqueue).not.toHaveBeenCalled();
  });

  it('answers 400 to a malformed link body, enqueuing nothing', async () => {
    await expect(
      sut.accept('unlink', [{ entityType: 'CDokumente', entityId: 'doc-1' }], 'trace-1'),
    ).rejects.toBeInstanceOf(BadRequestException);
    expect(mocks.producer.enqueue).not.toHaveBeenCalled();
    expect(mocks.intake.enqueue).not.toHaveBeenCalled();
    expect(mocks.linksIndex.linksChanged).not.toHaveBeenCalled();
  });

  it('answers 503 when Redis cannot take the collection jobs, and enqueues no document either', async () => {
    mocks.producer.enqueue.mockRejectedValue(new QueueUnavailableError('redis down'));

    await expect(
      sut.accept('link', [link('CDokumente', 'doc-1', 'CBeteiligte', 'b-1')], 'trace-1'),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(mocks.intake.enqueue).not.toHaveBeenCalled();
  });
});
