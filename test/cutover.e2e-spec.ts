import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { HubMetrics } from '../src/core/metrics/hub-metrics.js';
import type { CDokumente } from '../src/integrations/espocrm/espocrm.types.js';
import {
  ENTITY_ID_FIELD,
  ENTITY_TYPE_FIELD,
  collectionOwner,
} from '../src/xai/collection.mapper.js';
import { startEspoCrmFake, type EspoCrmFake } from './fakes/espocrm/espocrm.fake.js';
import { startXaiFake, type XaiFake } from './fakes/xai/xai.fake.js';
import { postJson, queuesIdle, startHub, waitFor, type RunningHub } from './support/hub.js';
import { TEST_SECRETS, testEnv } from './support/test-env.js';

/**
 * Cut-over from the old hub (issue 15) and deletes that trust EspoCRM (issue 16),
 * through the whole hub against the EspoCRM and xAI fakes.
 */

function idle(hub: RunningHub): Promise<void> {
  return queuesIdle(hub, ['vmh-document', 'xai-collection'], { delayed: true });
}

/** Finished delete jobs, from the hub's own job counter. */
async function deleteJobsDone(hub: RunningHub): Promise<number> {
  const metric = await hub.app.get(HubMetrics).jobs.get();
  return metric.values
    .filter((v) => v.labels.job === 'delete' && v.labels.outcome === 'completed')
    .reduce((n, v) => n + v.value, 0);
}

describe('cut-over: collections and memberships the old hub made (e2e)', () => {
  jest.setTimeout(30_000);
  let espo: EspoCrmFake;
  let xai: XaiFake;
  let hub: RunningHub;

  beforeAll(async () => {
    espo = await startEspoCrmFake();
    xai = await startXaiFake();
    hub = await startHub(testEnv({ espocrm: espo.apiUrl, xai: xai.url }));
  });
  afterAll(async () => {
    await hub?.close();
    await espo?.close();
    await xai?.close();
  });

  const post = (path: string, body: unknown) => postJson(`${hub.url}${path}`, body);
  const doc = (id: string) => espo.get<CDokumente>('CDokumente', id)!;

  /**
   * What the old hub left: a Räumungsklage whose `xaiCollectionId` points at a
   * collection without owner line or field definitions, holding the files of its
   * documents as memberships without fields; the documents carry `xaiId` and
   * `xaiCollections` and the old hub's capitalised status.
   */
  function oldHubAkte(documents: number) {
    const collectionId = `collection_${randomUUID()}`;
    const files = Array.from({ length: documents }, (_, i) => ({
      id: `file_${randomUUID()}`,
      filename: `alt-${i}.txt`,
      content: `old content ${collectionId} ${i}`,
    }));
    xai.seed({
      files,
      collections: [
        {
          collection_id: collectionId,
          collection_name: 'Räumung Altbestand',
          collection_description: 'Akte aus dem alten Hub',
          documents: files.map((f) => ({ file_id: f.id })),
        },
      ],
    });
    const docIds = files.map((f) => {
      const dokumentId = espo.addAttachment({
        name: f.filename,
        type: 'text/plain',
        text: f.content,
      });
      const md5sum = xai.file(f.id)!.md5;
      return espo.put<CDokumente>('CDokumente', {
        name: f.filename,
        dokumentId,
        md5sum,
        xaiId: f.id,
        xaiSyncedHash: md5sum,
        xaiCollections: [collectionId],
        fileStatus: 'synced',
      }).id;
    });
    const klage = espo.put('CVmhRaeumungsklage', {
      name: 'Räumung Altbestand',
      xaiCollectionId: collectionId,
    }).id;
    espo.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', docIds);
    return { klage, collectionId, docIds, fileIds: files.map((f) => f.id) };
  }

  const taggedWith = (collectionId: string, fileId: string) =>
    xai.documents(collectionId).find((d) => d.file_metadata.file_id === fileId)?.fields;

  it('adopts the collection on the entity event and removes a deleted document from it', async () => {
    const { klage, collectionId, docIds, fileIds } = oldHubAkte(2);
    const collectionsBefore = xai.collections().length;
    const uploadsBefore = xai.uploadCount;

    // First touch: EspoCRM reports the entity's documents (link webhook).
    const res = await post(
      '/vmh/webhook/entity/link',
      docIds.map((foreignId) => ({
        entityType: 'CVmhRaeumungsklage',
        entityId: klage,
        foreignType: 'CDokumente',
        foreignId,
      })),
    );
    expect(res.status).toBe(200);
    await waitFor(() => collectionOwner(xai.collection(collectionId)?.collection_description), {
      what: 'owner line written',
    });
    await idle(hub);
    const c = xai.collection(collectionId)!;
    expect(c.collection_description).toContain('Akte aus dem alten Hub');
    expect(collectionOwner(c.collection_description)).toEqual({
      entityType: 'CVmhRaeumungsklage',
      entityId: klage,
    });
    docIds.forEach((id, i) =>
      expect(taggedWith(collectionId, fileIds[i])).toEqual({
        [ENTITY_TYPE_FIELD]: 'CDokumente',
        [ENTITY_ID_FIELD]: id,
      }),
    );
    // Adopted, not duplicated: no new collection, no upload, the same files.
    expect(xai.collections()).toHaveLength(collectionsBefore);
    expect(xai.uploadCount).toBe(uploadsBefore);
    expect(espo.get('CVmhRaeumungsklage', klage)?.xaiCollectionId).toBe(collectionId);
    expect(xai.members(collectionId).sort()).toEqual([...fileIds].sort());

    // Deleted in EspoCRM (record gone before the webhook, as EspoCRM does it).
    espo.remove('CDokumente', docIds[0]);
    expect((await post('/vmh/webhook/document/delete', [{ id: docIds[0] }])).status).toBe(200);
    await waitFor(() => !xai.members(collectionId).includes(fileIds[0]), {
      what: 'membership of the deleted document removed',
    });
    await idle(hub);
    expect(xai.members(collectionId)).toEqual([fileIds[1]]);
    expect(xai.file(fileIds[0])).toBeDefined();
    expect(doc(docIds[1]).xaiId).toBe(fileIds[1]);
  });

  it('adopts through the document sync too: a new document joins, the old memberships get the tags', async () => {
    const { klage, collectionId, docIds, fileIds } = oldHubAkte(1);
    const dokumentId = espo.addAttachment({
      name: 'neu.txt',
      type: 'text/plain',
      text: 'brand new',
    });
    // The old hub's capitalised status counts as changed.
    const fresh = espo.put<CDokumente>('CDokumente', {
      name: 'neu.txt',
      dokumentId,
      fileStatus: 'Neu',
    }).id;
    espo.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', fresh);

    expect((await post('/vmh/webhook/document/create', [{ id: fresh }])).status).toBe(200);
    await waitFor(() => doc(fresh).fileStatus === 'synced', { what: 'new document synced' });
    await idle(hub);
    expect(doc(fresh).xaiCollections).toEqual([collectionId]);
    expect(taggedWith(collectionId, doc(fresh).xaiId!)).toEqual({
      [ENTITY_TYPE_FIELD]: 'CDokumente',
      [ENTITY_ID_FIELD]: fresh,
    });
    expect(taggedWith(collectionId, fileIds[0])?.[ENTITY_ID_FIELD]).toBe(docIds[0]);
    expect(collectionOwner(xai.collection(collectionId)?.collection_description)?.entityId).toBe(
      klage,
    );

    espo.remove('CDokumente', docIds[0]);
    await post('/vmh/webhook/document/delete', [{ id: docIds[0] }]);
    await waitFor(() => !xai.members(collectionId).includes(fileIds[0]), {
      what: 'old membership removed',
    });
    expect(xai.members(collectionId)).toEqual([doc(fresh).xaiId]);
  });

  it('adds back, tagged, a membership an interrupted adoption removed before it could re-add it', async () => {
    const { klage, collectionId, docIds, fileIds } = oldHubAkte(2);
    // The retag of the first membership got as far as its removal.
    expect(xai.members(collectionId)).toContain(fileIds[0]);
    await fetch(`${xai.url}/v1/collections/${collectionId}/documents/${fileIds[0]}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${TEST_SECRETS.XAI_MANAGEMENT_KEY}` },
    });
    expect(xai.members(collectionId)).not.toContain(fileIds[0]);

    await post('/vmh/webhook/entity/link', [
      {
        entityType: 'CVmhRaeumungsklage',
        entityId: klage,
        foreignType: 'CDokumente',
        foreignId: docIds[1],
      },
    ]);
    await waitFor(() => collectionOwner(xai.collection(collectionId)?.collection_description), {
      what: 'owner line written',
    });
    await idle(hub);
    expect(taggedWith(collectionId, fileIds[0])?.[ENTITY_ID_FIELD]).toBe(docIds[0]);
    expect(taggedWith(collectionId, fileIds[1])?.[ENTITY_ID_FIELD]).toBe(docIds[1]);
  });

  it('downloads a document the old hub marked "Geändert" and writes status synced', async () => {
    const { docIds } = oldHubAkte(1);
    espo.patch('CDokumente', docIds[0], { fileStatus: 'Geändert' });
    espo.clearLog();
    await post('/vmh/webhook/document/update', [{ id: docIds[0] }]);
    await waitFor(() => doc(docIds[0]).fileStatus === 'synced', { what: 'status synced' });
    await idle(hub);
    // Changed status → the file is read and compared (same content: no upload).
    expect(espo.requests.filter((r) => r.path.includes('/Attachment/file/')).length).toBe(1);
  });

  it('does nothing on a delete webhook for a document EspoCRM still has', async () => {
    const { docIds, collectionId, fileIds } = oldHubAkte(1);
    const before = await deleteJobsDone(hub);
    xai.clearLog();
    expect((await post('/vmh/webhook/document/delete', [{ id: docIds[0] }])).status).toBe(200);
    await waitFor(async () => (await deleteJobsDone(hub)) > before, { what: 'delete job done' });
    expect(xai.members(collectionId)).toEqual(fileIds);
    expect(doc(docIds[0]).xaiId).toBe(fileIds[0]);
    expect(doc(docIds[0]).xaiCollections).toEqual([collectionId]);
    expect(xai.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });
});

describe('document delete: the scan for a record that is gone is bounded (e2e)', () => {
  jest.setTimeout(30_000);
  let espo: EspoCrmFake;
  let xai: XaiFake;
  let hub: RunningHub;

  beforeAll(async () => {
    espo = await startEspoCrmFake();
    xai = await startXaiFake();
    hub = await startHub(
      testEnv(
        { espocrm: espo.apiUrl, xai: xai.url },
        { DOCUMENT_DELETE_SCAN_MAX_COLLECTIONS: '3', DOCUMENT_DELETE_SCAN_MAX_DOCUMENTS: '150' },
      ),
    );
  });
  afterAll(async () => {
    await hub?.close();
    await espo?.close();
    await xai?.close();
  });

  function seedHubCollections(count: number, membersEach: number): void {
    for (let c = 0; c < count; c++) {
      const files = Array.from({ length: membersEach }, (_, i) => ({
        id: `file_${randomUUID()}`,
        filename: `f${c}-${i}.txt`,
        content: `${c}/${i}`,
      }));
      const owner = `k${c}${randomUUID().slice(0, 6)}`;
      xai.seed({
        files,
        collections: [
          {
            collection_name: `CVmhRaeumungsklage - ${owner}`,
            collection_description: `espocrm_entity_type=CVmhRaeumungsklage; espocrm_entity_id=${owner}`,
            documents: files.map((f, i) => ({
              file_id: f.id,
              fields: { [ENTITY_TYPE_FIELD]: 'CDokumente', [ENTITY_ID_FIELD]: `doc-${c}-${i}` },
            })),
          },
        ],
      });
    }
  }

  it('stops after DOCUMENT_DELETE_SCAN_MAX_COLLECTIONS collections for an unknown id', async () => {
    seedHubCollections(8, 1);
    xai.clearLog();
    const before = await deleteJobsDone(hub);
    await postJson(`${hub.url}/vmh/webhook/document/delete`, [{ id: 'unknown-document-id' }]);
    await waitFor(async () => (await deleteJobsDone(hub)) > before, { what: 'delete job done' });
    expect(xai.count('GET', '/v1/collections/:cid/documents')).toBe(3);
    expect(xai.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
  });

  it('stops after DOCUMENT_DELETE_SCAN_MAX_DOCUMENTS memberships in all', async () => {
    xai.reset();
    seedHubCollections(2, 120);
    xai.clearLog();
    const before = await deleteJobsDone(hub);
    await postJson(`${hub.url}/vmh/webhook/document/delete`, [{ id: 'another-unknown-id' }]);
    await waitFor(async () => (await deleteJobsDone(hub)) > before, { what: 'delete job done' });
    // 120 of the first collection (2 pages), then 30 of the second: 150, and no more pages.
    expect(xai.count('GET', '/v1/collections/:cid/documents')).toBe(3);
  });

  it('still finds a deleted document within the bound', async () => {
    xai.reset();
    seedHubCollections(2, 2);
    const before = await deleteJobsDone(hub);
    const target = xai.collections()[1].collection_id;
    const victim = xai.documents(target)[0];
    await postJson(`${hub.url}/vmh/webhook/document/delete`, [
      { id: victim.fields![ENTITY_ID_FIELD] },
    ]);
    await waitFor(async () => (await deleteJobsDone(hub)) > before, { what: 'delete job done' });
    expect(xai.members(target)).not.toContain(victim.file_metadata.file_id);
    expect(xai.members(target)).toHaveLength(1);
  });
});
