import { BadRequestException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { JobProducer, QueueUnavailableError } from '../../core/queue/job-producer.service.js';
import { WebhookIntake, type WebhookAnswer } from '../../core/webhook/webhook-intake.service.js';
import { CollectionTopics, collectionEnsureKey } from '../../xai/xai.jobs.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';
import { DocumentTopics } from './document.jobs.js';
import { linkWork, parseEntityLinkBody } from './entity-link-body.js';

/**
 * A link or unlink between a document and an entity: the entity's collection must
 * exist (collection manager) and the document's memberships may change (document
 * sync). Both go into Redis before the answer, coalesced like every webhook. First
 * the documents' learned links (document-links-index.ts) stop being trusted: this
 * is the event that tells the hub a document's relationships changed (EspoCRM fires
 * no document update for that), and the sync it enqueues must read them afresh.
 */
@Injectable()
export class EntityLinkIntake {
  constructor(
    private readonly intake: WebhookIntake,
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
    private readonly linksIndex: DocumentLinksIndexStore,
  ) {}

  async accept(action: 'link' | 'unlink', body: unknown, traceId: string): Promise<WebhookAnswer> {
    const parsed = parseEntityLinkBody(body);
    if (!parsed.ok) throw new BadRequestException(parsed.reason);
    const work = linkWork(parsed.links, this.config.xai.collectionEntityTypes);
    let enqueued = 0;
    try {
      // Before the document updates are enqueued: every run they cause reads the new epoch.
      await this.linksIndex.linksChanged(work.documentIds);
    } catch {
      throw new ServiceUnavailableException('redis unavailable, retry later');
    }
    try {
      const ensured = await this.producer.enqueue(
        CollectionTopics.Ensure,
        work.entities.map((e) => ({ ...e, traceId })),
        { coalesceBy: collectionEnsureKey, delayMs: this.config.queue.debounceMs },
      );
      enqueued += ensured.enqueued;
    } catch (err) {
      if (err instanceof QueueUnavailableError)
        throw new ServiceUnavailableException('queue unavailable, retry later');
      throw err;
    }
    const documents = await this.intake.enqueue(
      DocumentTopics.Update,
      work.documentIds.map((entityId) => ({ entityId, traceId })),
    );
    enqueued += documents.enqueued;
    return {
      status: 'received',
      action: `vmh.entity.${action}`,
      new_ids_count: enqueued,
      total_ids_in_batch: parsed.total,
    };
  }
}
