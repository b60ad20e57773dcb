import { createHash } from 'node:crypto';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
  ValidationError,
} from '../../src/core/errors/upstream.errors.js';
import { HubMetrics } from '../../src/core/metrics/hub-metrics.js';
import { XaiClient } from '../../src/integrations/xai/xai.client.js';
import { XAI_MAX_FILE_BYTES } from '../../src/integrations/xai/xai-file-support.js';
import { startXaiFake, type XaiFake } from '../fakes/xai/xai.fake.js';
import { testConfig } from '../support/test-env.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('XaiClient against the xAI fake', () => {
  let fake: XaiFake;
  let client: XaiClient;

  beforeAll(async () => {
    fake = await startXaiFake();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.setFaults([]);
    fake.clearLog();
    client = new XaiClient(
      testConfig({ xai: fake.url, xaiManagement: fake.url }),
      new HubMetrics(),
    );
  });

  describe('files', () => {
    it('uploads a file as multipart with its filename, type and exact bytes', async () => {
      const data = Buffer.from('%PDF-1.7 Räumungsklage\r\n--not-a-boundary\r\n\x00\xff');
      const file = await client.uploadFile({
        filename: 'Klage Müller.pdf',
        mimeType: 'application/pdf',
        data,
        purpose: 'assistants',
      });

      expect(file.id).toMatch(/^file_[0-9a-f-]{36}$/);
      expect(file).toMatchObject({
        object: 'file',
        bytes: data.length,
        filename: 'Klage Müller.pdf',
        purpose: 'assistants',
      });
      const stored = fake.file(file.id)!;
      expect(stored.contentType).toBe('application/pdf');
      expect(stored.md5).toBe(createHash('md5').update(data).digest('hex'));
    });

    it('refuses a file above 50 MB before sending anything', async () => {
      const data = Buffer.alloc(XAI_MAX_FILE_BYTES + 1);

      const err = await client
        .uploadFile({ filename: 'scan.pdf', mimeType: 'application/pdf', data })
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toContain(String(XAI_MAX_FILE_BYTES + 1));
      expect((err as Error).message).toContain(String(XAI_MAX_FILE_BYTES));
      expect(fake.requests).toHaveLength(0);
    });

    it('uploads a file of exactly 50 MB', async () => {
      const file = await client.uploadFile({
        filename: 'big.pdf',
        mimeType: 'application/pdf',
        data: Buffer.alloc(XAI_MAX_FILE_BYTES, 7),
      });
      expect(file.bytes).toBe(XAI_MAX_FILE_BYTES);
    });

    it('reads and deletes a file, then reports it as not found', async () => {
      const file = await client.uploadFile({
        filename: 'a.txt',
        mimeType: 'text/plain',
        data: Buffer.from('a'),
      });

      expect((await client.getFile(file.id)).filename).toBe('a.txt');
      await client.deleteFile(file.id);

      await expect(client.getFile(file.id)).rejects.toBeInstanceOf(UpstreamNotFoundError);
      await expect(client.deleteFile(file.id)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    });

    it('sends the API key, not the management key, to the files host', async () => {
      const wrong = new XaiClient(
        testConfig({ xai: fake.url, xaiManagement: fake.url }, { XAI_API_KEY: 'xai-wrong-key' }),
        new HubMetrics(),
      );
      await expect(
        wrong.uploadFile({ filename: 'a.txt', mimeType: 'text/plain', data: Buffer.from('a') }),
      ).rejects.toBeInstanceOf(UpstreamUnauthorizedError);
      // The collections host still accepts the (correct) management key of the same client.
      await expect(wrong.createCollection({ name: 'ok' })).resolves.toMatchObject({
        collection_name: 'ok',
      });
      expect(fake.count('POST', '/v1/files')).toBe(1);
    });
  });

  describe('collections', () => {
    it('creates, reads, updates and deletes a collection', async () => {
      const created = await client.createCollection({
        name: 'CBeteiligte - Müller GmbH',
        description: 'espocrm_entity_type=CBeteiligte espocrm_entity_id=abc',
        fieldDefinitions: [{ key: 'espocrm_entity_id' }],
      });
      expect(created.collection_id).toMatch(/^collection_[0-9a-f-]{36}$/);
      expect(created).toMatchObject({
        collection_name: 'CBeteiligte - Müller GmbH',
        documents_count: 0,
      });
      expect(fake.requests[0].body).toEqual({
        collection_name: 'CBeteiligte - Müller GmbH',
        collection_description: 'espocrm_entity_type=CBeteiligte espocrm_entity_id=abc',
        field_definitions: [{ key: 'espocrm_entity_id' }],
      });

      expect(await client.getCollection(created.collection_id)).toMatchObject({
        collection_id: created.collection_id,
        collection_description: 'espocrm_entity_type=CBeteiligte espocrm_entity_id=abc',
      });
      const renamed = await client.updateCollection(created.collection_id, {
        name: 'CBeteiligte - Müller AG',
      });
      expect(renamed.collection_name).toBe('CBeteiligte - Müller AG');

      await client.deleteCollection(created.collection_id);
      await expect(client.getCollection(created.collection_id)).rejects.toBeInstanceOf(
        UpstreamNotFoundError,
      );
    });

    it('reports a collection deleted on the xAI side as not found', async () => {
      const c = await client.createCollection({ name: 'Account - Kanzlei' });
      fake.deleteCollectionDirectly(c.collection_id);

      await expect(client.getCollection(c.collection_id)).rejects.toBeInstanceOf(
        UpstreamNotFoundError,
      );
    });

    it('lists every collection across several pages', async () => {
      for (let i = 0; i < 5; i++) await client.createCollection({ name: `c${i}` });
      fake.clearLog();

      const all = await collect(client.listCollections({ pageSize: 2 }));

      expect(all.map((c) => c.collection_name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
      expect(fake.count('GET', '/v1/collections')).toBe(3);
    });

    it('lists collections past the default page size of the fake', async () => {
      for (let i = 0; i < 130; i++) fake.seed({ collections: [{ collection_name: `s${i}` }] });

      const all = await collect(client.listCollections());

      expect(all).toHaveLength(130);
      expect(new Set(all.map((c) => c.collection_id)).size).toBe(130);
    });
  });

  describe('documents', () => {
    async function setup() {
      const c = await client.createCollection({ name: 'CVmhRaeumungsklage - 1' });
      const f = await client.uploadFile({
        filename: 'a.pdf',
        mimeType: 'application/pdf',
        data: Buffer.from('pdf'),
      });
      return { cid: c.collection_id, fid: f.id };
    }

    it('adds a file with fields and lists it as processed', async () => {
      const { cid, fid } = await setup();

      await client.addDocument(cid, fid, { espocrm_id: 'doc1' });
      const docs = await collect(client.listDocuments(cid));

      expect(docs).toHaveLength(1);
      expect(docs[0]).toMatchObject({
        file_metadata: { file_id: fid },
        status: 'DOCUMENT_STATUS_PROCESSED',
        fields: { espocrm_id: 'doc1' },
      });
      expect((await client.getDocument(cid, fid)).file_metadata?.file_id).toBe(fid);
      expect((await client.getCollection(cid)).documents_count).toBe(1);
    });

    it('treats adding a file that is already a member as success', async () => {
      const { cid, fid } = await setup();

      await client.addDocument(cid, fid);
      await client.addDocument(cid, fid);

      expect(fake.members(cid)).toEqual([fid]);
      expect(fake.requests.filter((r) => r.method === 'POST' && r.status === 409)).toHaveLength(1);
    });

    it('treats a second add after a lost answer as success', async () => {
      const { cid, fid } = await setup();
      fake.setFaults([
        {
          route: 'POST /v1/collections/:cid/documents/:fid',
          status: 503,
          applyThenFail: true,
          times: 1,
        },
      ]);

      await client.addDocument(cid, fid);

      expect(fake.members(cid)).toEqual([fid]);
      expect(fake.count('POST', '/v1/collections/:cid/documents/:fid')).toBe(2);
    });

    it('fails to add a file that does not exist', async () => {
      const { cid } = await setup();
      await expect(
        client.addDocument(cid, 'file_00000000-0000-0000-0000-000000000000'),
      ).rejects.toBeInstanceOf(UpstreamNotFoundError);
    });

    it('removes a membership, keeps the file, and treats a second remove as success', async () => {
      const { cid, fid } = await setup();
      await client.addDocument(cid, fid);

      await client.removeDocument(cid, fid);
      await client.removeDocument(cid, fid);

      expect(fake.members(cid)).toEqual([]);
      expect((await client.getFile(fid)).id).toBe(fid);
    });

    it('treats removing from a collection that is gone as success', async () => {
      const { cid, fid } = await setup();
      await client.addDocument(cid, fid);
      fake.deleteCollectionDirectly(cid);

      await expect(client.removeDocument(cid, fid)).resolves.toBeUndefined();
    });

    it('lists documents across several pages', async () => {
      const c = await client.createCollection({ name: 'paged' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const f = await client.uploadFile({
          filename: `f${i}.txt`,
          mimeType: 'text/plain',
          data: Buffer.from(`${i}`),
        });
        await client.addDocument(c.collection_id, f.id);
        ids.push(f.id);
      }
      fake.clearLog();

      const docs = await collect(client.listDocuments(c.collection_id, { pageSize: 2 }));

      expect(docs.map((d) => d.file_metadata?.file_id)).toEqual(ids);
      expect(fake.count('GET', '/v1/collections/:cid/documents')).toBe(3);
    });

    it('fails to list documents of a collection that is gone', async () => {
      await expect(collect(client.listDocuments('collection_gone'))).rejects.toBeInstanceOf(
        UpstreamNotFoundError,
      );
    });
  });

  describe('retries', () => {
    it('waits for Retry-After after a 429, then succeeds', async () => {
      fake.setFaults([
        { route: 'POST /v1/collections', status: 429, retryAfterSeconds: 1, times: 1 },
      ]);

      const started = Date.now();
      const c = await client.createCollection({ name: 'after 429' });
      const waited = Date.now() - started;

      expect(c.collection_name).toBe('after 429');
      expect(waited).toBeGreaterThanOrEqual(1000);
      expect(fake.count('POST', '/v1/collections')).toBe(2);
    });

    it('retries a 503 and succeeds', async () => {
      fake.setFaults([{ route: 'POST /v1/files', status: 503, times: 2 }]);

      const f = await client.uploadFile({
        filename: 'r.txt',
        mimeType: 'text/plain',
        data: Buffer.from('retry'),
      });

      expect(fake.file(f.id)?.filename).toBe('r.txt');
      expect(fake.count('POST', '/v1/files')).toBe(3);
      expect(fake.uploadCount).toBe(1);
    });

    it('gives up after three attempts with a transient error', async () => {
      fake.setFaults([{ route: 'GET /v1/collections/:cid', status: 503 }]);

      await expect(client.getCollection('collection_x')).rejects.toBeInstanceOf(
        TransientUpstreamError,
      );
      expect(fake.count('GET', '/v1/collections/:cid')).toBe(3);
    });

    it('does not retry a 400', async () => {
      fake.setFaults([{ route: 'POST /v1/collections', status: 400 }]);

      const err = await client.createCollection({ name: 'bad' }).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(PermanentUpstreamError);
      expect((err as PermanentUpstreamError).status).toBe(400);
      expect(fake.count('POST', '/v1/collections')).toBe(1);
    });
  });
});
