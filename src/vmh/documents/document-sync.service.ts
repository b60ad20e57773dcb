import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { UpstreamNotFoundError, ValidationError } from '../../core/errors/upstream.errors.js';
import { JobProducer } from '../../core/queue/job-producer.service.js';
import {
  EspoCrmClient,
  type AttachmentDownload,
} from '../../integrations/espocrm/espocrm.client.js';
import {
  XAI_MAX_FILE_BYTES,
  uploadRefusalReason,
} from '../../integrations/xai/xai-file-support.js';
import { XaiClient } from '../../integrations/xai/xai.client.js';
import { documentFields, type EntityRef } from '../../xai/collection.mapper.js';
import { CollectionAdoption } from '../../xai/collection-adoption.service.js';
import { CollectionTopics, collectionEnsureKey } from '../../xai/xai.jobs.js';
import {
  decideDocumentSync,
  fileMayHaveChanged,
  needsUpload,
  planMemberships,
  type DocumentState,
} from './document-sync.decision.js';
import { DOCUMENT_ENTITY, type DocumentJob } from './document.jobs.js';
import {
  changedFields,
  documentFileName,
  downloadedFile,
  failedFields,
  readDocumentState,
  requiredCollections,
  syncedFields,
  type RequiredCollections,
} from './document.mapper.js';
import { DocumentDeleteService, type DeleteOutcome } from './document-delete.service.js';
import { DocumentLinksReader } from './document-links.reader.js';

export type DocumentOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'synced'; uploaded: boolean; added: number; removed: number }
  | { status: 'refused'; reason: string }
  | { status: 'gone' }
  | DeleteOutcome;

interface FileContent {
  data: Buffer;
  md5: string;
  filename: string;
  mimeType: string;
}

/**
 * Documents into xAI collections. EspoCRM reads for an unchanged document: the
 * record and, while their collection ids are cached, nothing for its linked
 * entities (DocumentLinksReader); no download, no xAI call. A changed file costs
 * one download, whose headers give its type and size (no Attachment record read).
 */
@Injectable()
export class DocumentSyncService {
  private readonly logger = new Logger(DocumentSyncService.name);

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly xai: XaiClient,
    private readonly producer: JobProducer,
    private readonly links: DocumentLinksReader,
    private readonly deletes: DocumentDeleteService,
    private readonly adoption: CollectionAdoption,
  ) {}

  run(job: DocumentJob): Promise<DocumentOutcome> {
    return job.action === 'delete'
      ? this.deletes.deleteDocument(job.entityId)
      : this.syncDocument(job.entityId, job.traceId);
  }

  async syncDocument(id: string, traceId: string): Promise<DocumentOutcome> {
    const label = `${DOCUMENT_ENTITY}/${id}`;
    const loaded = await this.links.load(id);
    if (!loaded) {
      this.logger.log(
        `document ${label} skipped: gone from EspoCRM (the delete event removes its memberships)`,
      );
      return { status: 'gone' };
    }
    const state = readDocumentState(loaded.record);
    const fileName = documentFileName(loaded.record);
    const required = requiredCollections(loaded.linked);
    if (required.missing.length > 0) await this.ensureCollections(required.missing, traceId);

    const requiredIds = [...required.owners.keys()];
    const decision = decideDocumentSync(state, requiredIds);
    if (decision.action === 'skip') {
      this.logger.debug(`document ${label} unchanged: ${decision.reason}`);
      return { status: 'skipped', reason: decision.reason };
    }

    let file: FileContent | undefined;
    let fileId = state.xaiId;
    let hash = state.xaiSyncedHash;
    let uploaded = false;
    if (decision.fetchFile) {
      const fetched = await this.fetchFile(state, fileName);
      if ('refused' in fetched) return this.refuse(state, fetched.refused);
      file = fetched;
      hash = file.md5;
      if (needsUpload(state, file.md5)) {
        fileId = (
          await this.xai.uploadFile({
            filename: file.filename,
            mimeType: file.mimeType,
            data: file.data,
          })
        ).id;
        uploaded = true;
        if (state.xaiId === null) {
          // Written ahead of the memberships: if anything below fails (or the worker dies),
          // the retry finds this file instead of uploading and adding a second one.
          await this.espo.update(DOCUMENT_ENTITY, id, { xaiId: fileId, xaiSyncedHash: file.md5 });
        }
      }
    }

    const result = await this.applyMemberships(state, required, fileId, file, fileName, traceId);
    if (result.fileId !== fileId) uploaded = true;
    const confirmedHash =
      result.hash ?? (decision.fetchFile || !fileMayHaveChanged(state) ? hash : null) ?? undefined;
    const fields = changedFields(
      state,
      syncedFields({ xaiId: result.fileId, xaiCollections: result.collections, confirmedHash }),
    );
    if (Object.keys(fields).length > 0) await this.espo.update(DOCUMENT_ENTITY, id, fields);
    this.logger.log(
      `document ${label} synced: ${uploaded ? 'uploaded' : 'no upload'}, +${result.added} collections, -${result.removed}` +
        (required.missing.length > 0
          ? `, ${required.missing.length} collections still being created`
          : ''),
    );
    return { status: 'synced', uploaded, added: result.added, removed: result.removed };
  }

  /** Records a final failure on the document so a person sees it in EspoCRM. */
  async recordFailure(id: string, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    try {
      await this.espo.update(DOCUMENT_ENTITY, id, failedFields(`xAI sync failed: ${reason}`));
    } catch (updateErr) {
      if (!(updateErr instanceof UpstreamNotFoundError)) throw updateErr;
    }
  }

  /** The collection manager creates them; its document storm brings this document there. */
  private async ensureCollections(missing: EntityRef[], traceId: string): Promise<void> {
    await this.producer.enqueue(
      CollectionTopics.Ensure,
      missing.map((m) => ({ entityType: m.entityType, entityId: m.entityId, traceId })),
      { coalesceBy: collectionEnsureKey },
    );
  }

  /**
   * Type and size come from the download's headers: a refused file ends the
   * download before its body is transferred (and a stream past the xAI limit is cut off).
   */
  private async fetchFile(
    state: DocumentState,
    fileName: string | null,
  ): Promise<FileContent | { refused: string }> {
    let download: AttachmentDownload;
    try {
      download = await this.espo.downloadAttachment(state.dokumentId!, {
        maxBytes: XAI_MAX_FILE_BYTES,
        refuse: (head) =>
          uploadRefusalReason({
            ...downloadedFile(fileName, head, state.id),
            bytes: head.size ?? 0,
          }),
      });
    } catch (err) {
      // The download's only validation errors are refusals of this file.
      if (err instanceof ValidationError) return { refused: err.message };
      throw err;
    }
    const { filename, mimeType } = downloadedFile(fileName, download, state.id);
    const refused = uploadRefusalReason({ filename, mimeType, bytes: download.size });
    if (refused) return { refused };
    const data = download.data;
    return { data, md5: createHash('md5').update(data).digest('hex'), filename, mimeType };
  }

  private async refuse(state: DocumentState, reason: string): Promise<DocumentOutcome> {
    const fields = changedFields(state, failedFields(reason));
    if (Object.keys(fields).length > 0) await this.espo.update(DOCUMENT_ENTITY, state.id, fields);
    this.logger.warn(
      `document ${DOCUMENT_ENTITY}/${state.id} failed: ${reason} (not uploaded, not retried)`,
    );
    return { status: 'refused', reason };
  }

  /**
   * Adds before it removes, so a replaced file never leaves a collection empty-handed.
   * A 404 on add means the collection or the file is gone: a gone collection goes
   * back to the collection manager (its storm re-adds this document); a gone file
   * is uploaded again once.
   */
  private async applyMemberships(
    state: DocumentState,
    required: RequiredCollections,
    fileId: string | null,
    file: FileContent | undefined,
    fileName: string | null,
    traceId: string,
  ): Promise<{
    fileId: string | null;
    collections: string[];
    added: number;
    removed: number;
    hash?: string;
  }> {
    let currentFileId = fileId;
    let hash: string | undefined;
    let content = file;
    const gone = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const wanted = [...required.owners.keys()].filter((c) => !gone.has(c));
      const plan = planMemberships({
        current: state.xaiCollections,
        required: wanted,
        previousFileId: state.xaiId,
        fileId: currentFileId,
      });
      if (attempt === 0) await this.adoptAll(wanted, required);
      const failed = await this.addAll(plan.add, currentFileId!, state.id);
      if (failed.length === 0) {
        // Each collection is its own resource: the removes go out together, as the adds did.
        await Promise.all(
          plan.remove.map((r) => this.xai.removeDocument(r.collectionId, r.fileId)),
        );
        return {
          fileId: currentFileId,
          collections: wanted,
          added: plan.add.length,
          removed: plan.remove.length,
          hash,
        };
      }
      const fileGone = await this.classifyAddFailures(failed, required, gone, traceId);
      if (!fileGone) continue;
      if (attempt > 0)
        throw new ValidationError(`xAI lost file ${currentFileId} again right after its upload`);
      content ??= await this.fetchOrThrow(state, fileName);
      currentFileId = (
        await this.xai.uploadFile({
          filename: content.filename,
          mimeType: content.mimeType,
          data: content.data,
        })
      ).id;
      hash = content.md5;
    }
  }

  /** Adds the file to every collection at once; answers the collections that were gone (404). */
  private async addAll(
    collectionIds: string[],
    fileId: string,
    documentId: string,
  ): Promise<string[]> {
    const results = await Promise.allSettled(
      collectionIds.map(async (cid) => {
        const added = await this.xai.addDocument(cid, fileId, documentFields(documentId));
        // Already a member: maybe the old hub's membership, without the fields a delete finds it by.
        if (!added) await this.adoption.tagMembership(cid, fileId, documentId);
      }),
    );
    const failed: string[] = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      if (!(r.reason instanceof UpstreamNotFoundError)) throw r.reason;
      failed.push(collectionIds[i]);
    });
    return failed;
  }

  /**
   * A collection reached through an entity's `xaiCollectionId` that the old hub made
   * gets the hub's owner line and tags before this document joins it (free after the
   * first time: collection-adoption.service.ts). A gone collection is left to addAll.
   */
  private async adoptAll(collectionIds: string[], required: RequiredCollections): Promise<void> {
    for (const cid of collectionIds) {
      const owner = required.owners.get(cid);
      if (owner) await this.adoption.ensureAdopted(cid, owner);
    }
  }

  /** Marks gone collections (and asks for their recreation); true when the file itself is gone. */
  private async classifyAddFailures(
    failed: string[],
    required: RequiredCollections,
    gone: Set<string>,
    traceId: string,
  ): Promise<boolean> {
    let fileGone = false;
    const recreate: EntityRef[] = [];
    for (const cid of failed) {
      try {
        await this.xai.getCollection(cid);
        fileGone = true;
      } catch (err) {
        if (!(err instanceof UpstreamNotFoundError)) throw err;
        gone.add(cid);
        const owner = required.owners.get(cid);
        if (owner) {
          this.links.forgetCollectionOf(owner);
          recreate.push(owner);
        }
      }
    }
    if (recreate.length > 0) await this.ensureCollections(recreate, traceId);
    return fileGone;
  }

  private async fetchOrThrow(state: DocumentState, fileName: string | null): Promise<FileContent> {
    if (!state.dokumentId)
      throw new ValidationError(`document ${state.id} has no file to upload again`);
    const fetched = await this.fetchFile(state, fileName);
    if ('refused' in fetched) throw new ValidationError(fetched.refused);
    return fetched;
  }
}
