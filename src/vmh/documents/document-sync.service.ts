import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { UpstreamNotFoundError, ValidationError } from '../../core/errors/upstream.errors.js';
import { JobProducer } from '../../core/queue/job-producer.service.js';
import { REDIS } from '../../core/redis/redis.module.js';
import {
  EspoCrmClient,
  type AttachmentDownload,
} from '../../integrations/espocrm/espocrm.client.js';
import type { CDokumente, EspoRecord } from '../../integrations/espocrm/espocrm.types.js';
import {
  XAI_MAX_FILE_BYTES,
  uploadRefusalReason,
} from '../../integrations/xai/xai-file-support.js';
import { XaiClient } from '../../integrations/xai/xai.client.js';
import {
  collectionOwner,
  documentFields,
  isDocumentMembership,
  type EntityRef,
} from '../../xai/collection.mapper.js';
import { CollectionAdoption } from '../../xai/collection-adoption.service.js';
import { collectionGenerationKey } from '../../xai/collection-manager.service.js';
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
  LINKED_ENTITY_SELECT,
  changedFields,
  clearedReferenceFields,
  documentFileName,
  downloadedFile,
  failedFields,
  planLinkedReads,
  readDocumentState,
  requiredCollections,
  reverseLinkName,
  syncedFields,
  toLinkedEntity,
  type LinkedEntity,
  type RequiredCollections,
} from './document.mapper.js';
import { CollectionIdCache } from './collection-id-cache.js';
import { FreshReadCoalescer } from './fresh-read-coalescer.js';

export type DocumentOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'synced'; uploaded: boolean; added: number; removed: number }
  | { status: 'refused'; reason: string }
  | { status: 'gone' }
  | { status: 'deleted'; removed: number; via: 'record' | 'scan'; truncated?: boolean }
  | { status: 'still_exists' };

interface FileContent {
  data: Buffer;
  md5: string;
  filename: string;
  mimeType: string;
}

/**
 * Documents into xAI collections. EspoCRM reads for an unchanged document: the
 * record, which names its linked entities in `{link}Ids`, and nothing else while
 * the entities' collection ids are cached under the current collection generation
 * (one Redis GET beside the record read; collection-id-cache.ts says why that is
 * safe); no download, no xAI call. The record alone cannot answer: `{link}Ids`
 * holds entity ids, and the collection manager may just have replaced an entity's
 * collection. A cache miss reads the entity, shared by all runs that started
 * before that read. A changed file costs one download, whose headers give its
 * type and size (no Attachment record read).
 * Without `{link}Ids` on the record (a relationship made without its link-multiple
 * field) each collection type costs one related-list read, issued beside the
 * record read once the type is known to need it.
 */
@Injectable()
export class DocumentSyncService {
  private readonly logger = new Logger(DocumentSyncService.name);
  private readonly ownerReads = new FreshReadCoalescer<LinkedEntity | null>();
  private readonly collectionIds = new CollectionIdCache<LinkedEntity | null>();
  /** Collection types whose records came without `{link}Ids` last time. */
  private readonly listOnlyTypes = new Set<string>();

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly xai: XaiClient,
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly adoption: CollectionAdoption,
  ) {}

  run(job: DocumentJob): Promise<DocumentOutcome> {
    return job.action === 'delete'
      ? this.deleteDocument(job.entityId)
      : this.syncDocument(job.entityId, job.traceId);
  }

  async syncDocument(id: string, traceId: string): Promise<DocumentOutcome> {
    const label = `${DOCUMENT_ENTITY}/${id}`;
    const loaded = await this.load(id);
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

  /**
   * Delete: remove the file from every collection it is in, keep the file. Acts only
   * once EspoCRM confirms the record is gone (404, or the record marked `deleted`): a
   * delete event for a live document (replayed, or sent to the wrong route) does
   * nothing but say so. A record still readable but marked `deleted` names its
   * collections itself; a gone record is looked for in the hub's collections
   * (memberships tagged with its id), a scan bounded by
   * DOCUMENT_DELETE_SCAN_MAX_COLLECTIONS / _MAX_DOCUMENTS.
   */
  async deleteDocument(id: string): Promise<DocumentOutcome> {
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

  /** Records a final failure on the document so a person sees it in EspoCRM. */
  async recordFailure(id: string, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    try {
      await this.espo.update(DOCUMENT_ENTITY, id, failedFields(`xAI sync failed: ${reason}`));
    } catch (updateErr) {
      if (!(updateErr instanceof UpstreamNotFoundError)) throw updateErr;
    }
  }

  /** The record and its linked entities of every collection type; undefined when the record is gone. */
  private async load(
    id: string,
  ): Promise<{ record: CDokumente; linked: LinkedEntity[] } | undefined> {
    const ticket = this.ownerReads.ticket();
    const generation = this.collectionGeneration();
    const types = this.config.xai.collectionEntityTypes;
    const early = new Map<string, Promise<LinkedEntity[]>>();
    for (const t of types.filter((t) => this.listOnlyTypes.has(t))) {
      const list = this.linked(id, t);
      list.catch(() => undefined);
      early.set(t, list);
    }
    let record: CDokumente;
    try {
      record = await this.espo.get<CDokumente>(DOCUMENT_ENTITY, id);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) return undefined;
      throw err;
    }
    const plan = planLinkedReads(record, types);
    plan.listReads.forEach((t) => this.listOnlyTypes.add(t));
    plan.fromRecord.forEach((r) => this.listOnlyTypes.delete(r.entityType));

    const observed = await generation;
    const [lists, owners] = await Promise.all([
      Promise.allSettled(plan.listReads.map((t) => early.get(t) ?? this.linked(id, t))),
      Promise.all(
        plan.fromRecord.flatMap(({ entityType, ids }) =>
          ids.map((ownerId) => this.owner(entityType, ownerId, ticket, observed)),
        ),
      ),
    ]);
    const linked = owners.filter((o): o is LinkedEntity => o !== null);
    lists.forEach((l, i) => {
      if (l.status === 'rejected') {
        const type = plan.listReads[i];
        if (l.reason instanceof UpstreamNotFoundError) {
          // The record exists, so the link does not: a configuration error no retry fixes.
          throw new ValidationError(
            `${DOCUMENT_ENTITY} has no link ${reverseLinkName(type)} for collection type ${type}: ${(l.reason as Error).message}`,
          );
        }
        throw l.reason;
      }
      linked.push(...l.value);
    });
    return { record, linked };
  }

  /**
   * The collection generation as this run starts; null when Redis does not answer
   * (then nothing cached is trusted and every entity is read).
   */
  private collectionGeneration(): Promise<string | null> {
    return this.redis
      .get(collectionGenerationKey(this.config.queue.prefix))
      .then((g) => g ?? '0')
      .catch((err: unknown) => {
        this.logger.warn(
          `collection generation unreadable, reading linked entities: ${(err as Error).message}`,
        );
        return null;
      });
  }

  /**
   * A linked entity's collection id: cached under the run's generation, else read
   * after this run started (shared with the runs that started before the read);
   * null when the entity is gone.
   */
  private async owner(
    entityType: string,
    entityId: string,
    ticket: number,
    generation: string | null,
  ): Promise<LinkedEntity | null> {
    const key = ownerKey(entityType, entityId);
    const cached = this.collectionIds.get(key, generation, Date.now());
    if (cached) return cached.value;
    return this.ownerReads.read(key, ticket, async () => {
      const page = await this.espo.list<EspoRecord>(entityType, {
        where: [{ type: 'equals', attribute: 'id', value: entityId }],
        select: LINKED_ENTITY_SELECT,
        maxSize: 1,
      });
      const owner = page.list[0] ? toLinkedEntity(entityType, page.list[0]) : null;
      // Under the generation observed before this read was issued.
      this.collectionIds.set(key, generation, owner, Date.now());
      return owner;
    });
  }

  private async linked(id: string, entityType: string): Promise<LinkedEntity[]> {
    const out: LinkedEntity[] = [];
    for await (const r of this.espo.listAllRelated<EspoRecord>(
      DOCUMENT_ENTITY,
      id,
      reverseLinkName(entityType),
      {
        select: LINKED_ENTITY_SELECT,
      },
    )) {
      out.push(toLinkedEntity(entityType, r));
    }
    return out;
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
        for (const r of plan.remove) await this.xai.removeDocument(r.collectionId, r.fileId);
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

  private async addAll(
    collectionIds: string[],
    fileId: string,
    documentId: string,
  ): Promise<string[]> {
    const failed: string[] = [];
    for (const cid of collectionIds) {
      try {
        const added = await this.xai.addDocument(cid, fileId, documentFields(documentId));
        // Already a member: maybe the old hub's membership, without the fields a delete finds it by.
        if (!added) await this.adoption.tagMembership(cid, fileId, documentId);
      } catch (err) {
        if (!(err instanceof UpstreamNotFoundError)) throw err;
        failed.push(cid);
      }
    }
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
          this.collectionIds.forget(ownerKey(owner.entityType, owner.entityId));
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

/** EspoCRM's soft delete, when a record is still readable (an API user allowed to see deleted records). */
function isMarkedDeleted(record: CDokumente): boolean {
  const d = (record as EspoRecord).deleted;
  return d === true || d === 1 || d === '1' || d === 'true';
}

function ownerKey(entityType: string, entityId: string): string {
  return `${entityType}:${entityId}`;
}
