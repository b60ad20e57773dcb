import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { UpstreamNotFoundError, ValidationError } from '../../core/errors/upstream.errors.js';
import { JobProducer } from '../../core/queue/job-producer.service.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type {
  CDokumente,
  EspoAttachment,
  EspoRecord,
} from '../../integrations/espocrm/espocrm.types.js';
import { uploadRefusalReason } from '../../integrations/xai/xai-file-support.js';
import { XaiClient } from '../../integrations/xai/xai.client.js';
import {
  collectionOwner,
  documentFields,
  isDocumentMembership,
  type EntityRef,
} from '../../xai/collection.mapper.js';
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
import { FreshReadCoalescer } from './fresh-read-coalescer.js';

export type DocumentOutcome =
  | { status: 'skipped'; reason: string }
  | { status: 'synced'; uploaded: boolean; added: number; removed: number }
  | { status: 'refused'; reason: string }
  | { status: 'gone' }
  | { status: 'deleted'; removed: number; via: 'record' | 'scan' };

interface FileContent {
  data: Buffer;
  md5: string;
  filename: string;
  mimeType: string;
}

/**
 * Documents into xAI collections. EspoCRM reads for an unchanged document: the
 * record, which names its linked entities in `{link}Ids`, then each linked
 * entity's `xaiCollectionId`, shared by all runs that started before that read
 * (a storm over one entity's documents reads the entity once per few runs, not
 * once per document); no download, no xAI call. The record alone cannot answer:
 * `{link}Ids` holds entity ids, and only a fresh read of the entity knows its
 * current collection (the collection manager may just have replaced it).
 * Without `{link}Ids` on the record (a relationship made without its link-multiple
 * field) each collection type costs one related-list read, issued beside the
 * record read once the type is known to need it.
 */
@Injectable()
export class DocumentSyncService {
  private readonly logger = new Logger(DocumentSyncService.name);
  private readonly ownerReads = new FreshReadCoalescer<LinkedEntity | null>();
  /** Collection types whose records came without `{link}Ids` last time. */
  private readonly listOnlyTypes = new Set<string>();

  constructor(
    private readonly espo: EspoCrmClient,
    private readonly xai: XaiClient,
    private readonly producer: JobProducer,
    private readonly config: AppConfig,
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
      const fetched = await this.fetchFile(state);
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
      }
    }

    const result = await this.applyMemberships(state, required, fileId, file, traceId);
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
   * Delete: remove the file from every collection it is in, keep the file. EspoCRM
   * usually deletes the record before the webhook fires, so the record's
   * `xaiCollections` is read when it still exists; otherwise the hub's collections
   * are scanned for memberships carrying this document's EspoCRM id.
   */
  async deleteDocument(id: string): Promise<DocumentOutcome> {
    const label = `${DOCUMENT_ENTITY}/${id}`;
    let record: CDokumente | undefined;
    try {
      record = await this.espo.get<CDokumente>(DOCUMENT_ENTITY, id);
    } catch (err) {
      if (!(err instanceof UpstreamNotFoundError)) throw err;
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
    for await (const c of this.xai.listCollections()) {
      const owner = collectionOwner(c.collection_description);
      if (!owner || !this.config.xai.collectionEntityTypes.includes(owner.entityType)) continue;
      const fileIds: string[] = [];
      for await (const d of this.xai.listDocuments(c.collection_id)) {
        const fid = d.file_metadata?.file_id;
        if (fid && isDocumentMembership(d.fields, id)) fileIds.push(fid);
      }
      for (const fid of fileIds) {
        await this.xai.removeDocument(c.collection_id, fid);
        removed += 1;
      }
    }
    this.logger.log(
      `document ${label} deleted: removed from ${removed} collections (record gone, found by scan), file kept`,
    );
    return { status: 'deleted', removed, via: 'scan' };
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

    const [lists, owners] = await Promise.all([
      Promise.allSettled(plan.listReads.map((t) => early.get(t) ?? this.linked(id, t))),
      Promise.all(
        plan.fromRecord.flatMap(({ entityType, ids }) =>
          ids.map((ownerId) => this.owner(entityType, ownerId, ticket)),
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
   * A linked entity's collection id, read after this run started and shared with
   * the runs that started before the read; null when the entity is gone.
   */
  private owner(
    entityType: string,
    entityId: string,
    ticket: number,
  ): Promise<LinkedEntity | null> {
    return this.ownerReads.read(`${entityType}:${entityId}`, ticket, async () => {
      const page = await this.espo.list<EspoRecord>(entityType, {
        where: [{ type: 'equals', attribute: 'id', value: entityId }],
        select: LINKED_ENTITY_SELECT,
        maxSize: 1,
      });
      return page.list[0] ? toLinkedEntity(entityType, page.list[0]) : null;
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

  /** Size and type come from the attachment record first: a refused file is never downloaded. */
  private async fetchFile(state: DocumentState): Promise<FileContent | { refused: string }> {
    const attachmentId = state.dokumentId!;
    const meta = await this.espo.get<EspoAttachment>('Attachment', attachmentId);
    const filename = meta.name || `${state.id}`;
    const mimeType = meta.type || 'application/octet-stream';
    const before = uploadRefusalReason({ filename, mimeType, bytes: meta.size ?? 0 });
    if (before) return { refused: before };
    const data = await this.espo.downloadAttachment(attachmentId);
    const after = uploadRefusalReason({ filename, mimeType, bytes: data.length });
    if (after) return { refused: after };
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
      content ??= await this.fetchOrThrow(state);
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
        await this.xai.addDocument(cid, fileId, documentFields(documentId));
      } catch (err) {
        if (!(err instanceof UpstreamNotFoundError)) throw err;
        failed.push(cid);
      }
    }
    return failed;
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
        if (owner) recreate.push(owner);
      }
    }
    if (recreate.length > 0) await this.ensureCollections(recreate, traceId);
    return fileGone;
  }

  private async fetchOrThrow(state: DocumentState): Promise<FileContent> {
    if (!state.dokumentId)
      throw new ValidationError(`document ${state.id} has no file to upload again`);
    const fetched = await this.fetchFile(state);
    if ('refused' in fetched) throw new ValidationError(fetched.refused);
    return fetched;
  }
}
