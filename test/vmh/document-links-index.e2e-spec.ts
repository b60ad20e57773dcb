import { jest } from '@jest/globals';
import type { CDokumente } from '../../src/integrations/espocrm/espocrm.types.js';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { startXaiFake, type XaiFake } from '../fakes/xai/xai.fake.js';
import {
  finishedJobs,
  postJson,
  queuesIdle,
  startHub,
  waitFor,
  type RunningHub,
} from '../support/hub.js';
import { testEnv } from '../support/test-env.js';

/**
 * The learned links index (src/vmh/documents/document-links-index.ts) through the
 * whole hub, against an EspoCRM whose CDokumente records carry no `{link}Ids`: a
 * document's owners come from its related lists (one per collection type, three
 * here) once, and from Redis afterwards until a link webhook for the document.
 */
describe('VMH documents without {link}Ids: the learned links index (e2e)', () => {
  jest.setTimeout(60_000);
  let espo: EspoCrmFake;
  let xai: XaiFake;
  let seq = 0;

  beforeAll(async () => {
    espo = await startEspoCrmFake({ linkMultipleFields: false });
    xai = await startXaiFake();
  });
  afterAll(async () => {
    await espo?.close();
    await xai?.close();
  });

  /** One hub per setting, on its own queue prefix; the fakes are shared. */
  function documentsWorld(ttl: string) {
    let hub: RunningHub;
    const world = {
      start: async () => {
        hub = await startHub(
          testEnv(
            { espocrm: espo.apiUrl, xai: xai.url },
            { WORKER_CONCURRENCY: '4', DOCUMENT_LINKS_CACHE_TTL_S: ttl },
          ),
        );
      },
      close: () => hub?.close(),
      post: (path: string, body: unknown) => postJson(`${hub.url}${path}`, body),

      idle: () => queuesIdle(hub, ['vmh-document', 'xai-collection']),

      /** Links the documents to a new owner in EspoCRM and sends the link webhook, as EspoCRM does. */
      async linkToNewOwner(type: OwnerType, docIds: string[]) {
        const owner = espo.put(type, { name: `${type} ${++seq}` }).id;
        await world.link(type, owner, docIds);
        return owner;
      },

      async link(type: OwnerType, owner: string, docIds: string[]) {
        espo.linkRecords(type, owner, 'dokumente', docIds);
        const res = await world.post(
          '/vmh/webhook/entity/link',
          docIds.map((foreignId) => ({
            entityType: type,
            entityId: owner,
            foreignType: 'CDokumente',
            foreignId,
          })),
        );
        expect(res.status).toBe(200);
        await waitFor(
          () => {
            const collection = collectionOf(type, owner);
            return collection && docIds.every((id) => doc(id).xaiCollections?.includes(collection));
          },
          { what: 'documents in their new collection' },
        );
        await world.idle();
      },

      /**
       * One update webhook per (unchanged) document, as a storm sends them; answers the
       * EspoCRM requests the runs made.
       */
      async redundantUpdates(docIds: string[]) {
        espo.clearLog();
        const before = await finishedJobs(hub, 'vmh-document');
        const res = await world.post(
          '/vmh/webhook/document/update',
          docIds.map((id) => ({ id })),
        );
        expect(res.status).toBe(200);
        await waitFor(
          async () => (await finishedJobs(hub, 'vmh-document')) >= before + docIds.length,
          { what: `${docIds.length} document runs` },
        );
        await world.idle();
        expect(espo.requests.filter((r) => r.method !== 'GET')).toEqual([]);
        return reads(docIds);
      },
    };
    return world;
  }

  type OwnerType = 'CVmhRaeumungsklage' | 'Account';

  function newDocument(): string {
    const name = `akte-${++seq}.txt`;
    const dokumentId = espo.addAttachment({ name, type: 'text/plain', text: `content ${seq}` });
    return espo.put<CDokumente>('CDokumente', { name, dokumentId, fileStatus: 'neu' }).id;
  }

  const doc = (id: string) => espo.get<CDokumente>('CDokumente', id)!;
  const collectionOf = (entity: string, id: string) =>
    espo.get(entity, id)?.xaiCollectionId as string;

  /** EspoCRM GETs since the last clearLog: records of `docIds`, their related lists, all. */
  function reads(docIds: string[]) {
    const gets = espo.requests.filter((r) => r.method === 'GET');
    const records = gets.filter((r) => docIds.some((id) => r.path === `/api/v1/CDokumente/${id}`));
    const lists = gets.filter(
      (r) =>
        r.route === '/api/v1/:entity/:id/:link' &&
        docIds.some((id) => r.path.startsWith(`/api/v1/CDokumente/${id}/`)),
    );
    return { all: gets.length, records: records.length, lists: lists.length };
  }

  describe('with the index on (the default TTL)', () => {
    const world = documentsWorld('86400');
    beforeAll(() => world.start());
    afterAll(() => world.close());

    it('reads the related lists once, then one record per run until a link webhook, after which it reads them again and joins the new owner', async () => {
      const id = newDocument();
      espo.clearLog();
      const klage = await world.linkToNewOwner('CVmhRaeumungsklage', [id]);
      // The first sync learned the owners from the three related lists.
      expect(reads([id]).lists).toBeGreaterThanOrEqual(3);
      const klageCollection = collectionOf('CVmhRaeumungsklage', klage);
      expect(doc(id).xaiCollections).toEqual([klageCollection]);

      // An update webhook for the unchanged document: the record, nothing else.
      expect(await world.redundantUpdates([id])).toEqual({ all: 1, records: 1, lists: 0 });

      // A new owner, linked and announced by EspoCRM's link webhook: the lists are read again.
      espo.clearLog();
      const account = await world.linkToNewOwner('Account', [id]);
      expect(reads([id]).lists).toBeGreaterThanOrEqual(3);
      const accountCollection = collectionOf('Account', account);
      expect(new Set(doc(id).xaiCollections)).toEqual(
        new Set([klageCollection, accountCollection]),
      );
      expect(xai.members(accountCollection)).toEqual([doc(id).xaiId]);

      // Learned again under the new epoch.
      expect(await world.redundantUpdates([id])).toEqual({ all: 1, records: 1, lists: 0 });
    });

    it('costs one EspoCRM read per document in a storm over documents it synced before', async () => {
      // Owners whose collections exist, as in a running firm (no collection is made below).
      const owners: Array<[OwnerType, string]> = [];
      for (let o = 0; o < 6; o++) {
        const type = o % 2 ? 'Account' : 'CVmhRaeumungsklage';
        owners.push([type, await world.linkToNewOwner(type, [newDocument()])]);
      }
      // Documents synced by the hub: 1–2 owners each, learned from their related lists.
      const docIds = Array.from({ length: 24 }, () => newDocument());
      for (const [o, [type, owner]] of owners.entries())
        await world.link(
          type,
          owner,
          docIds.filter((_, i) => i % 6 === o || i % 4 === o),
        );

      const storm = await world.redundantUpdates(docIds);
      console.info(
        `index on: ${storm.all / docIds.length} EspoCRM reads per document (${storm.lists} related lists) in a storm over ${docIds.length} documents`,
      );
      // The owners' collection ids came with the lists: no owner is read either.
      expect(storm).toEqual({ all: docIds.length, records: docIds.length, lists: 0 });
    });
  });

  describe('with the index off (DOCUMENT_LINKS_CACHE_TTL_S=0)', () => {
    const world = documentsWorld('0');
    beforeAll(() => world.start());
    afterAll(() => world.close());

    it('reads the three related lists on every run', async () => {
      const docIds = Array.from({ length: 6 }, () => newDocument());
      await world.linkToNewOwner('CVmhRaeumungsklage', docIds);
      await world.redundantUpdates(docIds);

      const storm = await world.redundantUpdates(docIds);
      console.info(
        `index off: ${storm.all / docIds.length} EspoCRM reads per document (${storm.lists} related lists) in a storm over ${docIds.length} documents`,
      );
      expect(storm).toEqual({
        all: 4 * docIds.length,
        records: docIds.length,
        lists: 3 * docIds.length,
      });
    });
  });
});
