import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { UpstreamNotFoundError } from '../../core/errors/upstream.errors.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CDokumente, EspoRecord } from '../../integrations/espocrm/espocrm.types.js';
import { XaiClient } from '../../integrations/xai/xai.client.js';
import { collectionOwner, isDocumentMembership } from '../../xai/collection.mapper.js';
import { DocumentLinksIndexStore } from './document-links-index.store.js';
import { DOCUMENT_ENTITY } from './document.jobs.js';
import { clearedReferenceFields, readDocumentState } from './document.mapper.js';

export type DeleteOutcome =
  | { status: 'deleted'; removed: number; via: 'record' | 'scan'; truncated?: boolean }
  | { status: 'still_exists' };

/** A deleted document leaves the xAI collections it was in; its file stays. */
@Injectable()
export class DocumentDeleteService {
  private readonly logger = new Logger(DocumentDeleteService.name);

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly xai: XaiClient,
    private readonly config: AppConfig,
    private readonly linksIndex: DocumentLinksIndexStore,
  ) {}

  /**
   * Delete: remove the file from every collection it is in, keep the file. Acts only
   * once EspoCRM confirms the record is gone (404, or the record marked `deleted`): a
   * delete event for a live document (replayed, or sent to the wrong route) does
   * nothing but say so. A record still readable but marked `deleted` names its
   * collections itself; a gone record is looked for in the hub's collections
   * (memberships tagged with its id), a scan bounded by
   * DOCUMENT_DELETE_SCAN_MAX_COLLECTIONS / _MAX_DOCUMENTS.
   */
  async deleteDocument(id: string): Promise<DeleteOutcome> {
    const label = `${DOCUMENT_ENTITY}/${id}`;
    let record: CDokumente | undefined;
    try {
      record = await this.espo.get<CDokumente>(DOCUMENT_ENTITY, id);
    } catch (err) {
      if (!(err instanceof UpstreamNotFoundError)) throw err;
    }
    if (record && !isMarkedDeleted(record)) {
      this.logger.warn(
        `document ${label} delete event ignored: EspoCRM still has the record (not deleted), memberships kept`,
      );
      return { status: 'still_exists' };
    }
    await this.linksIndex.drop(id).catch((err: unknown) => {
      this.logger.debug(`links index of ${label} not dropped: ${(err as Error).message}`);
    });
    let removed = 0;
    if (record) {
      const state = readDocumentState(record);
      if (state.xaiId) {
        for (const collectionId of state.xaiCollections) {
          await this.xai.removeDocument(collectionId, state.xaiId);
          removed += 1;
        }
      }
      await this.espo
        .update(DOCUMENT_ENTITY, id, clearedReferenceFields())
        .catch((err: unknown) => {
          if (!(err instanceof UpstreamNotFoundError)) throw err;
        });
      this.logger.log(
        `document ${label} deleted: removed from ${removed} collections (from the record), file kept`,
      );
      return { status: 'deleted', removed, via: 'record' };
    }
    const { maxCollections, maxDocuments } = this.config.xai.deleteScan;
    let collections = 0;
    let documents = 0;
    let truncated = false;
    scan: for await (const c of this.xai.listCollections()) {
      const owner = collectionOwner(c.collection_description);
      if (!owner || !this.config.xai.collectionEntityTypes.includes(owner.entityType)) continue;
      if (collections >= maxCollections) {
        truncated = true;
        break;
      }
      collections += 1;
      const fileIds: string[] = [];
      for await (const d of this.xai.listDocuments(c.collection_id)) {
        if (documents >= maxDocuments) {
          truncated = true;
        } else {
          documents += 1;
          const fid = d.file_metadata?.file_id;
          if (fid && isDocumentMembership(d.fields, id)) fileIds.push(fid);
        }
        if (truncated) break;
      }
      for (const fid of fileIds) {
        await this.xai.removeDocument(c.collection_id, fid);
        removed += 1;
      }
      if (truncated) break scan;
    }
    if (truncated) {
      this.logger.warn(
        `document ${label} deleted: scan stopped at its bound (${collections} collections, ${documents} memberships; ` +
          `DOCUMENT_DELETE_SCAN_MAX_COLLECTIONS=${maxCollections}, DOCUMENT_DELETE_SCAN_MAX_DOCUMENTS=${maxDocuments}); ` +
          `removed from ${removed} collections, memberships beyond the bound may remain`,
      );
    } else {
      this.logger.log(
        `document ${label} deleted: removed from ${removed} collections (record gone, found by scanning ${collections} collections), file kept`,
      );
    }
    return { status: 'deleted', removed, via: 'scan', ...(truncated ? { truncated } : {}) };
  }
}

/** EspoCRM's soft delete, when a record is still readable (an API user allowed to see deleted records). */
function isMarkedDeleted(record: CDokumente): boolean {
  const d = (record as EspoRecord).deleted;
  return d === true || d === 1 || d === '1' || d === 'true';
}
