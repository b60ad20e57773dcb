import { jest } from '@jest/globals';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import type {
  CDokumente,
  CVmhRaeumungsklage,
} from '../../src/integrations/espocrm/espocrm.types.js';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { startXaiFake, type XaiFake } from '../fakes/xai/xai.fake.js';
import { postJson, queuesIdle, startHub, waitFor, type RunningHub } from '../support/hub.js';
import { testEnv } from '../support/test-env.js';

/**
 * Documents into xAI collections through the whole hub: webhooks, Bull, locks,
 * the collection manager and the document sync, against the EspoCRM and xAI fakes.
 */
describe('VMH documents → xAI collections (e2e)', () => {
  jest.setTimeout(30_000);
  let espo: EspoCrmFake;
  let xai: XaiFake;
  let hub: RunningHub;
  let seq = 0;

  beforeAll(async () => {
    espo = await startEspoCrmFake();
    xai = await startXaiFake();
    // A short debounce, as in production (1 s there): redundant events that arrive together become one job.
    hub = await startHub(
      testEnv(
        { espocrm: espo.apiUrl, xai: xai.url },
        { WORKER_CONCURRENCY: '8', WEBHOOK_DEBOUNCE_MS: '250' },
      ),
    );
  });
  afterAll(async () => {
    await hub?.close();
    await espo?.close();
    await xai?.close();
  });

  const uploads = () => xai.uploadCount;
  const post = (path: string, body: unknown) => postJson(`${hub.url}${path}`, body);
  const link = (entityType: string, entityId: string, docIds: string[]) =>
    docIds.map((foreignId) => ({ entityType, entityId, foreignType: 'CDokumente', foreignId }));

  function newDocument(
    content = `content ${++seq}`,
    name = `akte-${seq}.txt`,
    type = 'text/plain',
  ): string {
    const dokumentId = espo.addAttachment({ name, type, text: content });
    return espo.put<CDokumente>('CDokumente', { name, dokumentId, fileStatus: 'neu' }).id;
  }

  function newKlage(docIds: string[], name = `Räumung ${++seq}`): string {
    const id = espo.put<CVmhRaeumungsklage>('CVmhRaeumungsklage', { name }).id;
    if (docIds.length) espo.linkRecords('CVmhRaeumungsklage', id, 'dokumente', docIds);
    return id;
  }

  const doc = (id: string) => espo.get<CDokumente>('CDokumente', id)!;
  const collectionOf = (entity: string, id: string) =>
    espo.get(entity, id)?.xaiCollectionId as string | undefined;

  const idle = () => queuesIdle(hub, ['vmh-document', 'xai-collection']);

  async function allSynced(ids: string[]): Promise<void> {
    await waitFor(() => ids.every((id) => doc(id).fileStatus === 'synced'), {
      what: `${ids.length} documents synced`,
    });
    await idle();
  }

  async function linkKlageWithDocuments(
    count: number,
  ): Promise<{ klage: string; docs: string[]; collection: string }> {
    const docs = Array.from({ length: count }, () => newDocument());
    const klage = newKlage(docs);
    const res = await post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, docs));
    expect(res.status).toBe(200);
    await allSynced(docs);
    return { klage, docs, collection: collectionOf('CVmhRaeumungsklage', klage)! };
  }

  it('uploads 20 linked documents exactly once each when entity and document webhooks arrive 3 times in random order', async () => {
    const before = uploads();
    const docs = Array.from({ length: 20 }, () => newDocument());
    const klage = newKlage(docs, 'Müller ./. Schmidt');
    const deliveries: Array<() => Promise<Response>> = [];
    for (let i = 0; i < 3; i++) {
      deliveries.push(() =>
        post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, docs)),
      );
      for (const id of docs) deliveries.push(() => post('/vmh/webhook/document/create', [{ id }]));
    }
    deliveries.sort(() => Math.random() - 0.5);
    const answers = await Promise.all(deliveries.map((d) => d()));
    expect(answers.every((a) => a.status === 200)).toBe(true);

    await allSynced(docs);
    const collection = collectionOf('CVmhRaeumungsklage', klage)!;
    expect(xai.collection(collection)?.collection_name).toBe(
      'CVmhRaeumungsklage - Müller ./. Schmidt',
    );
    expect(xai.collection(collection)?.collection_description).toContain(
      `espocrm_entity_id=${klage}`,
    );
    expect(uploads() - before).toBe(20);
    const members = xai.members(collection);
    expect(members).toHaveLength(20);
    expect(new Set(members).size).toBe(20);
    for (const id of docs) {
      const d = doc(id);
      expect(d.xaiCollections).toEqual([collection]);
      expect(members).toContain(d.xaiId);
      expect(d.xaiSyncedHash).toBe(d.md5sum);
    }
    expect(xai.collections().filter((c) => c.collection_description?.includes(klage))).toHaveLength(
      1,
    );
  });

  it('uploads a changed file once and a document whose description changed not at all', async () => {
    const { docs, collection } = await linkKlageWithDocuments(3);
    const [changed, described] = docs;
    const oldFile = doc(changed).xaiId!;
    const before = uploads();

    const dokumentId = espo.addAttachment({
      name: 'akte-neu.txt',
      type: 'text/plain',
      text: 'a new version',
    });
    espo.patch('CDokumente', changed, { dokumentId, fileStatus: 'geändert' });
    espo.patch('CDokumente', described, { description: 'nur die Beschreibung' });
    for (let i = 0; i < 3; i++)
      await post('/vmh/webhook/document/update', [{ id: changed }, { id: described }]);
    await allSynced([changed]);

    expect(uploads() - before).toBe(1);
    const newFile = doc(changed).xaiId!;
    expect(newFile).not.toBe(oldFile);
    expect(xai.members(collection)).toContain(newFile);
    expect(xai.members(collection)).not.toContain(oldFile);
    expect(xai.file(oldFile)).toBeDefined();
    expect(doc(described).fileStatus).toBe('synced');
  });

  it('uploads a document linked to two entities once, and unlinking one removes only that membership', async () => {
    const id = newDocument();
    const klage = newKlage([id]);
    const account = espo.put('Account', { name: 'ACME Hausverwaltung' }).id;
    espo.linkRecords('Account', account, 'dokumente', id);
    const before = uploads();
    await post('/vmh/webhook/entity/link', [
      ...link('CVmhRaeumungsklage', klage, [id]),
      { entityType: 'CDokumente', entityId: id, foreignType: 'Account', foreignId: account },
    ]);
    await waitFor(
      () => doc(id).fileStatus === 'synced' && (doc(id).xaiCollections ?? []).length === 2,
      {
        what: 'two memberships',
      },
    );
    await idle();
    const klageCollection = collectionOf('CVmhRaeumungsklage', klage)!;
    const accountCollection = collectionOf('Account', account)!;
    const file = doc(id).xaiId!;
    expect(uploads() - before).toBe(1);
    expect(xai.members(klageCollection)).toEqual([file]);
    expect(xai.members(accountCollection)).toEqual([file]);

    espo.unlinkRecords('Account', account, 'dokumente', id);
    await post('/vmh/webhook/entity/unlink', link('Account', account, [id]));
    await waitFor(() => (doc(id).xaiCollections ?? []).length === 1, {
      what: 'one membership left',
    });
    await idle();
    expect(xai.members(accountCollection)).toEqual([]);
    expect(xai.members(klageCollection)).toEqual([file]);
    expect(xai.file(file)).toBeDefined();
    expect(xai.count('DELETE', '/v1/files/:id')).toBe(0);
    expect(uploads() - before).toBe(1);
  });

  it('recreates a collection deleted on the xAI side and re-adds its documents without uploading them again', async () => {
    const { klage, docs, collection } = await linkKlageWithDocuments(4);
    expect(xai.deleteCollectionDirectly(collection)).toBe(true);
    const before = uploads();

    await post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, docs));
    await waitFor(
      () => {
        const now = collectionOf('CVmhRaeumungsklage', klage);
        return now !== collection && docs.every((id) => doc(id).xaiCollections?.[0] === now);
      },
      { what: 'documents in the recreated collection' },
    );
    await idle();

    const recreated = collectionOf('CVmhRaeumungsklage', klage)!;
    expect(xai.collection(recreated)).toBeDefined();
    expect(new Set(xai.members(recreated))).toEqual(new Set(docs.map((id) => doc(id).xaiId)));
    expect(uploads() - before).toBe(0);
  });

  it('puts documents synced after their collection was recreated into the new collection, never a cached old one', async () => {
    const { klage, docs, collection } = await linkKlageWithDocuments(2);
    // The hub now holds the Klage's collection id in memory, as after any storm.
    await redundantUpdates(docs[0]);
    expect(xai.deleteCollectionDirectly(collection)).toBe(true);
    await post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, [docs[0]]));
    await waitFor(() => collectionOf('CVmhRaeumungsklage', klage) !== collection, {
      what: 'the collection recreated',
    });
    await idle();
    const recreated = collectionOf('CVmhRaeumungsklage', klage)!;

    // Synced afterwards by document webhooks alone: a document newly linked, and a changed file.
    const added = newDocument();
    espo.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', added);
    const dokumentId = espo.addAttachment({ name: 'neu.txt', type: 'text/plain', text: 'v2' });
    espo.patch('CDokumente', docs[1], { dokumentId, fileStatus: 'geändert' });
    await post('/vmh/webhook/document/create', [{ id: added }]);
    await post('/vmh/webhook/document/update', [{ id: docs[1] }]);
    await waitFor(
      () =>
        [added, docs[1]].every(
          (id) => doc(id).fileStatus === 'synced' && doc(id).xaiCollections?.[0] === recreated,
        ),
      { what: 'later documents in the recreated collection' },
    );
    await idle();
    expect(new Set(xai.members(recreated))).toEqual(
      new Set([...docs, added].map((id) => doc(id).xaiId)),
    );
    for (const id of [...docs, added]) expect(doc(id).xaiCollections).toEqual([recreated]);
  });

  it('removes a deleted document from every collection and never deletes its file', async () => {
    const { docs, collection } = await linkKlageWithDocuments(2);
    const [gone, kept] = docs;
    const account = espo.put('Account', { name: 'Zweite Akte' }).id;
    espo.linkRecords('Account', account, 'dokumente', gone);
    await post('/vmh/webhook/entity/link', link('Account', account, [gone]));
    await waitFor(() => (doc(gone).xaiCollections ?? []).length === 2, {
      what: 'second membership',
    });
    await idle();
    const accountCollection = collectionOf('Account', account)!;
    const file = doc(gone).xaiId!;

    // EspoCRM deletes the record (and its links) before the webhook fires; the body is only the id.
    espo.remove('CDokumente', gone);
    const res = await post('/vmh/webhook/document/delete', [{ id: gone }]);
    expect(res.status).toBe(200);
    await waitFor(
      () =>
        !xai.members(collection).includes(file) && !xai.members(accountCollection).includes(file),
      {
        what: 'memberships removed',
      },
    );
    await idle();
    expect(xai.members(collection)).toEqual([doc(kept).xaiId]);
    expect(xai.file(file)).toBeDefined();
    expect(xai.count('DELETE', '/v1/files/:id')).toBe(0);
  });

  it('removes the memberships listed on the record when the record is still readable but marked deleted', async () => {
    const { docs, collection } = await linkKlageWithDocuments(1);
    const file = doc(docs[0]).xaiId!;
    // Issue 16: the hub acts only once EspoCRM confirms the delete (404 or `deleted`).
    espo.patch('CDokumente', docs[0], { deleted: true });
    await post('/vmh/webhook/document/delete', [{ id: docs[0] }]);
    await waitFor(() => !xai.members(collection).includes(file), { what: 'membership removed' });
    await idle();
    expect(doc(docs[0]).xaiId ?? null).toBeNull();
    expect(doc(docs[0]).xaiCollections).toEqual([]);
    expect(xai.file(file)).toBeDefined();
  });

  /** 100 redundant update events for one unchanged document; answers the EspoCRM GETs they cost. */
  async function redundantUpdates(id: string) {
    const before = uploads();
    espo.clearLog();
    xai.clearLog();
    const sentAt = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => post('/vmh/webhook/document/update', [{ id }])),
    );
    const spreadMs = Date.now() - sentAt;
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // The events wait out the debounce as a delayed job, which idle() does not count
    // (nor the lock's delayed pending checks, which are no-ops and wait a lock TTL).
    const queue = hub.app.get(JobProducer).queueFor('vmh-document');
    await waitFor(
      async () =>
        (await queue.getDelayed()).every(
          (j) => (j.data as { pendingCheck?: boolean }).pendingCheck,
        ),
      { what: 'the debounced events run', intervalMs: 50 },
    );
    await idle();
    expect(uploads() - before).toBe(0);
    expect(espo.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    expect(xai.requests).toHaveLength(0);
    const reads = espo.requests.filter((r) => r.method === 'GET');
    const runs = reads.filter((r) => r.path === `/api/v1/CDokumente/${id}`).length;
    const lists = reads.filter((r) => r.route === '/api/v1/:entity/:id/:link').length;
    console.info(
      `100 redundant update events: ${runs} sync runs, ${reads.length} EspoCRM reads (${lists} related lists)`,
    );
    expect(runs).toBeGreaterThanOrEqual(1);
    // Coalescing makes one run per debounce window (250 ms) the events span, plus a
    // trailing run: 100 events answered within 0.75 s make at most 5 runs. On a loaded
    // machine the burst itself takes longer, so the bound follows the measured span.
    expect(runs).toBeLessThanOrEqual(Math.max(5, 2 + Math.ceil(spreadMs / 250)));
    return { reads, runs, lists };
  }

  it('costs 0 uploads and one EspoCRM read per run (the record) for 100 redundant update events of an unchanged document', async () => {
    const { docs } = await linkKlageWithDocuments(1);
    const { reads, runs, lists } = await redundantUpdates(docs[0]);
    expect(lists).toBe(0);
    // The record names the Klage (cVmhRaeumungsklageIds); its collection id is still the one
    // read under the current collection generation, so the Klage is not read again.
    expect(reads.filter((r) => r.path === '/api/v1/CVmhRaeumungsklage')).toHaveLength(0);
    expect(reads.length).toBe(runs);
  });

  it('falls back to one related list per collection type when the record carries no link ids, still syncs, and reads them again only after a link webhook', async () => {
    espo.setDocumentLinkFields(false);
    try {
      const { klage, docs, collection } = await linkKlageWithDocuments(1);
      expect(doc(docs[0]).xaiCollections).toEqual([collection]);
      expect(xai.members(collection)).toEqual([doc(docs[0]).xaiId]);
      const account = espo.put('Account', { name: 'Zweitakte' }).id;
      espo.linkRecords('Account', account, 'dokumente', docs[0]);
      espo.unlinkRecords('CVmhRaeumungsklage', klage, 'dokumente', docs[0]);
      await post('/vmh/webhook/entity/link', link('Account', account, docs));
      await waitFor(
        () => {
          const c = doc(docs[0]).xaiCollections ?? [];
          return c.length === 1 && c[0] !== collection;
        },
        { what: 'membership moved to the Account collection' },
      );
      await idle();
      expect(xai.members(collection)).toEqual([]);
      expect(xai.members(collectionOf('Account', account)!)).toEqual([doc(docs[0]).xaiId]);

      // The owners the lists gave are kept in Redis until the next link webhook
      // (document-links-index.ts): a redundant run reads the record alone.
      const { reads, runs, lists } = await redundantUpdates(docs[0]);
      expect(lists).toBe(0);
      expect(reads.length).toBe(runs);
    } finally {
      espo.setDocumentLinkFields(true);
    }
  });

  it('marks a file of a type xAI does not index as failed with the reason, refusing it on the download headers and never uploading it', async () => {
    // The Klage has its collection already, so the link makes exactly one sync run
    // (no collection is created, no storm follows): exactly one download.
    const { klage } = await linkKlageWithDocuments(1);
    const id = newDocument('binary', 'scan.zip', 'application/zip');
    espo.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', [id]);
    const before = uploads();
    espo.clearLog();
    await post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, [id]));
    await waitFor(() => doc(id).fileStatus === 'failed', { what: 'failed status' });
    await idle();
    expect(doc(id).syncErrorMessage).toContain('application/zip');
    expect(uploads() - before).toBe(0);
    // One download request, ended on its headers (the client's e2e test shows the body is not read).
    expect(espo.count('GET', '/api/v1/Attachment/file/:id')).toBe(1);
    expect(
      espo.requests.filter(
        (r) => r.path.startsWith('/api/v1/Attachment/') && !r.path.includes('/file/'),
      ),
    ).toHaveLength(0);
  });

  it('known limit: a refused file is downloaded once per sync run, and a link that creates the collection can make two runs', async () => {
    // The link event's own run and the new collection's storm are two runs when the
    // storm's enqueue comes after the first run started (its coalescing key is freed at
    // the start). Each run decides from the record alone, which does not say the file
    // was refused before, so each downloads it again — only up to its headers. Forced
    // here in that order (the fake holds the requests until the event happened), so the
    // cost is exact: two header-only downloads, no upload.
    const id = newDocument('binary', 'scan2.zip', 'application/zip');
    const klage = newKlage([id]);
    const before = uploads();
    espo.clearLog();
    const downloads = () => espo.count('GET', '/api/v1/Attachment/file/:id');
    const until = (what: string, probe: () => boolean) => waitFor(probe, { what });
    const klageHasCollection = until('the collection id to be written', () =>
      Boolean(collectionOf('CVmhRaeumungsklage', klage)),
    );
    const firstDownload = until('the first run to download the file', () => downloads() >= 1);
    espo.setFaults([
      // The first run reads the document only once the Klage has its collection ...
      { route: `GET /api/v1/CDokumente/${id}`, hold: klageHasCollection },
      // ... and the storm lists the Klage's documents only after that run downloaded.
      { route: `GET /api/v1/CVmhRaeumungsklage/${klage}/dokumente`, hold: firstDownload },
    ]);
    try {
      await post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, [id]));
      await waitFor(() => downloads() >= 2 && doc(id).fileStatus === 'failed', {
        what: 'the second run to refuse the file again',
      });
      await idle();
    } finally {
      espo.setFaults([]);
    }
    expect(downloads()).toBe(2);
    expect(doc(id).syncErrorMessage).toContain('application/zip');
    expect(uploads() - before).toBe(0);
  });

  it('waits out an xAI 429 with Retry-After and uploads once', async () => {
    const id = newDocument();
    const klage = newKlage([id]);
    const before = uploads();
    xai.setFaults([
      { route: 'POST /v1/files', status: 429, rate: 1, retryAfterSeconds: 1, times: 1 },
    ]);
    const started = Date.now();
    await post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, [id]));
    await allSynced([id]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(xai.count('POST', '/v1/files')).toBeGreaterThanOrEqual(2);
    expect(uploads() - before).toBe(1);
    expect(xai.members(collectionOf('CVmhRaeumungsklage', klage)!)).toEqual([doc(id).xaiId]);
  });

  it('records fileStatus failed with the reason once xAI keeps failing after every retry', async () => {
    const id = newDocument();
    const klage = newKlage([id]);
    xai.setFaults([{ route: 'POST /v1/files', status: 503, rate: 1 }]);
    try {
      await post('/vmh/webhook/entity/link', link('CVmhRaeumungsklage', klage, [id]));
      await waitFor(() => doc(id).fileStatus === 'failed', {
        what: 'failed after retries',
        timeoutMs: 25_000,
      });
    } finally {
      xai.setFaults([]);
    }
    expect(doc(id).syncErrorMessage).toContain('503');
    expect(doc(id).xaiId ?? null).toBeNull();
    expect(xai.count('POST', '/v1/files')).toBeGreaterThan(5);
  });

  it('answers 400 with the reason for a link body that can never succeed', async () => {
    const res = await post('/vmh/webhook/entity/link', [
      { entityType: 'CVmhRaeumungsklage', entityId: 'k1' },
    ]);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('foreignType');
  });
});
