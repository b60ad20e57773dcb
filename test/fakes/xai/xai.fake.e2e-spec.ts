import { sleep } from '../common/fake-server.js';
import { TEST_SECRETS } from '../../support/test-env.js';
import { startXaiFake, XAI_FAKE_MAX_FILE_BYTES, type XaiFake } from './xai.fake.js';

const FILES_KEY: string = TEST_SECRETS.XAI_API_KEY;
const MGMT_KEY: string = TEST_SECRETS.XAI_MANAGEMENT_KEY;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('xAI fake (wire contract)', () => {
  let fake: XaiFake;

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
  });

  async function call(
    method: string,
    path: string,
    key: string | undefined,
    body?: unknown,
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (key !== undefined) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async function upload(
    data: Buffer | string,
    filename = 'a.txt',
    key = FILES_KEY,
  ): Promise<Answer> {
    const form = new FormData();
    form.append('purpose', 'assistants');
    form.append(
      'file',
      new Blob([typeof data === 'string' ? data : new Uint8Array(data)], { type: 'text/plain' }),
      filename,
    );
    const res = await fetch(`${fake.url}/v1/files`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}` },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const mgmt = (method: string, path: string, body?: unknown) => call(method, path, MGMT_KEY, body);

  describe('keys', () => {
    it('refuses the management key on the files API with an xAI-style 401', async () => {
      const res = await upload('x', 'a.txt', MGMT_KEY);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        code: 'Unauthenticated',
        error: expect.stringContaining('Incorrect key'),
      });
      expect(fake.uploadCount).toBe(0);
    });

    it('refuses the files key on the collections API', async () => {
      const res = await call('POST', '/v1/collections', FILES_KEY, { collection_name: 'x' });
      expect(res.status).toBe(401);
      expect(fake.collections()).toEqual([]);
    });

    it('refuses a request without a key and never echoes a whole key', async () => {
      expect((await call('GET', '/v1/collections', undefined)).status).toBe(401);
      const wrong = await call('GET', '/v1/collections', 'sk-secret-management-key-value');
      expect(wrong.status).toBe(401);
      expect(JSON.stringify(wrong.body)).not.toContain('sk-secret-management-key-value');
    });

    it('accepts each key on its own API', async () => {
      expect((await upload('x')).status).toBe(200);
      expect((await mgmt('GET', '/v1/collections')).status).toBe(200);
    });
  });

  describe('files', () => {
    it('stores filename, size and md5 of an upload and answers the documented shape', async () => {
      const res = await upload('hello', 'Schriftsatz.txt');

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^file_[0-9a-f-]{36}$/),
        object: 'file',
        bytes: 5,
        created_at: expect.any(Number),
        filename: 'Schriftsatz.txt',
        purpose: 'assistants',
      });
      expect(fake.file(res.body.id as string)).toMatchObject({
        md5: '5d41402abc4b2a76b9719d911017c592',
        contentType: 'text/plain',
      });
      expect(fake.uploadCount).toBe(1);
    });

    it('answers 413 for a file above 50 MB and stores nothing', async () => {
      const res = await upload(Buffer.alloc(XAI_FAKE_MAX_FILE_BYTES + 1024 * 1024));

      expect(res.status).toBe(413);
      expect(res.body.error).toContain(String(XAI_FAKE_MAX_FILE_BYTES));
      expect(fake.files()).toEqual([]);
    });

    it('answers 400 for a body that is not multipart or has no file part', async () => {
      expect((await call('POST', '/v1/files', FILES_KEY, { file: 'x' })).status).toBe(400);
      const form = new FormData();
      form.append('purpose', 'assistants');
      const res = await fetch(`${fake.url}/v1/files`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${FILES_KEY}` },
        body: form,
      });
      expect(res.status).toBe(400);
    });

    it('reads and deletes a file, then answers 404', async () => {
      const id = (await upload('x')).body.id as string;

      expect((await call('GET', `/v1/files/${id}`, FILES_KEY)).body.id).toBe(id);
      expect((await call('DELETE', `/v1/files/${id}`, FILES_KEY)).status).toBe(200);
      expect((await call('GET', `/v1/files/${id}`, FILES_KEY)).status).toBe(404);
      expect((await call('DELETE', `/v1/files/${id}`, FILES_KEY)).status).toBe(404);
    });
  });

  describe('collections', () => {
    it('creates, partially updates and deletes a collection', async () => {
      const created = await mgmt('POST', '/v1/collections', {
        collection_name: 'Account - Kanzlei',
        collection_description: 'espocrm',
        field_definitions: [{ key: 'espocrm_id' }],
      });
      expect(created.status).toBe(200);
      const id = created.body.collection_id as string;
      expect(id).toMatch(/^collection_[0-9a-f-]{36}$/);

      const updated = await mgmt('PUT', `/v1/collections/${id}`, {
        collection_name: 'Account - Kanzlei GmbH',
        field_definition_updates: [
          { field_definition: { key: 'kind' }, operation: 'FIELD_DEFINITION_ADD' },
        ],
      });
      expect(updated.body).toMatchObject({
        collection_name: 'Account - Kanzlei GmbH',
        collection_description: 'espocrm',
        field_definitions: [{ key: 'espocrm_id' }, { key: 'kind' }],
      });

      expect((await mgmt('DELETE', `/v1/collections/${id}`)).status).toBe(200);
      expect((await mgmt('GET', `/v1/collections/${id}`)).status).toBe(404);
      expect((await mgmt('DELETE', `/v1/collections/${id}`)).status).toBe(404);
    });

    it('answers 400 for a collection without a name', async () => {
      expect((await mgmt('POST', '/v1/collections', {})).status).toBe(400);
    });

    it('pages collections with limit and pagination_token, stable under deletion', async () => {
      for (let i = 0; i < 5; i++)
        await mgmt('POST', '/v1/collections', { collection_name: `c${i}` });

      const first = await mgmt('GET', '/v1/collections?limit=2');
      const names = (first.body.collections as Array<{ collection_name: string }>).map(
        (c) => c.collection_name,
      );
      expect(names).toEqual(['c0', 'c1']);
      const token = first.body.pagination_token as string;
      expect(token).toBeTruthy();

      // c2 disappears between pages: the next page still starts right after c1.
      fake.deleteCollectionDirectly(
        fake.collections().find((c) => c.collection_name === 'c2')!.collection_id,
      );
      const second = await mgmt(
        'GET',
        `/v1/collections?limit=2&pagination_token=${encodeURIComponent(token)}`,
      );
      expect(
        (second.body.collections as Array<{ collection_name: string }>).map(
          (c) => c.collection_name,
        ),
      ).toEqual(['c3', 'c4']);
      expect(second.body.pagination_token).toBeNull();
    });

    it('answers 400 for an invalid limit or pagination_token', async () => {
      expect((await mgmt('GET', '/v1/collections?limit=0')).status).toBe(400);
      expect((await mgmt('GET', '/v1/collections?pagination_token=bogus')).status).toBe(400);
    });
  });

  describe('membership', () => {
    async function collectionWithFile(): Promise<{ cid: string; fid: string }> {
      const cid = (await mgmt('POST', '/v1/collections', { collection_name: 'c' })).body
        .collection_id as string;
      const fid = (await upload('content')).body.id as string;
      return { cid, fid };
    }

    it('removing a membership keeps the file', async () => {
      const { cid, fid } = await collectionWithFile();
      expect((await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`)).status).toBe(200);

      expect((await mgmt('DELETE', `/v1/collections/${cid}/documents/${fid}`)).status).toBe(200);

      expect(fake.members(cid)).toEqual([]);
      expect(fake.file(fid)).toBeDefined();
      expect((await call('GET', `/v1/files/${fid}`, FILES_KEY)).status).toBe(200);
      expect((await mgmt('DELETE', `/v1/collections/${cid}/documents/${fid}`)).status).toBe(404);
    });

    it('deleting a collection keeps its files', async () => {
      const { cid, fid } = await collectionWithFile();
      await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`);

      await mgmt('DELETE', `/v1/collections/${cid}`);

      expect(fake.file(fid)).toBeDefined();
    });

    it('deleting a file ends its memberships', async () => {
      const { cid, fid } = await collectionWithFile();
      await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`);

      await call('DELETE', `/v1/files/${fid}`, FILES_KEY);

      expect(fake.members(cid)).toEqual([]);
    });

    it('answers 404 for a file that does not exist and 409 for a second add', async () => {
      const { cid, fid } = await collectionWithFile();

      expect((await mgmt('POST', `/v1/collections/${cid}/documents/file_missing`)).status).toBe(
        404,
      );
      expect((await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`)).status).toBe(200);
      const again = await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('Already exists');
      expect(fake.members(cid)).toEqual([fid]);
    });

    it('answers 404 for a collection that does not exist', async () => {
      const fid = (await upload('x')).body.id as string;
      expect(
        (await mgmt('POST', `/v1/collections/collection_missing/documents/${fid}`)).status,
      ).toBe(404);
    });

    it('enforces required fields and stores the fields of a document', async () => {
      const cid = (
        await mgmt('POST', '/v1/collections', {
          collection_name: 'with fields',
          field_definitions: [{ key: 'espocrm_id', required: true }],
        })
      ).body.collection_id as string;
      const fid = (await upload('x')).body.id as string;

      expect((await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`)).status).toBe(400);
      expect(
        (
          await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`, {
            fields: { espocrm_id: 'd1' },
          })
        ).status,
      ).toBe(200);
      expect(fake.documents(cid)[0].fields).toEqual({ espocrm_id: 'd1' });
    });

    it('reports PROCESSING until the processing delay has passed, then PROCESSED', async () => {
      fake.processingDelayMs = 150;
      const { cid, fid } = await collectionWithFile();
      await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`);

      const early = await mgmt('GET', `/v1/collections/${cid}/documents/${fid}`);
      await sleep(200);
      const later = await mgmt('GET', `/v1/collections/${cid}/documents/${fid}`);

      expect(early.body.status).toBe('DOCUMENT_STATUS_PROCESSING');
      expect(later.body).toMatchObject({
        status: 'DOCUMENT_STATUS_PROCESSED',
        file_metadata: { file_id: fid, name: 'a.txt', size_bytes: '7', content_type: 'text/plain' },
        last_indexed_at: expect.any(String),
      });
    });

    it('pages documents with limit and pagination_token', async () => {
      const cid = (await mgmt('POST', '/v1/collections', { collection_name: 'paged' })).body
        .collection_id as string;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const fid = (await upload(`f${i}`)).body.id as string;
        await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`);
        ids.push(fid);
      }

      const first = await mgmt('GET', `/v1/collections/${cid}/documents?limit=2`);
      const second = await mgmt(
        'GET',
        `/v1/collections/${cid}/documents?limit=2&pagination_token=${first.body.pagination_token as string}`,
      );

      const idsOf = (a: Answer) =>
        (a.body.documents as Array<{ file_metadata: { file_id: string } }>).map(
          (d) => d.file_metadata.file_id,
        );
      expect([...idsOf(first), ...idsOf(second)]).toEqual(ids);
      expect(second.body.pagination_token).toBeNull();
      expect((await mgmt('GET', `/v1/collections/${cid}`)).body.documents_count).toBe(3);
    });

    it('lets a test mark a document as failed', async () => {
      const { cid, fid } = await collectionWithFile();
      await mgmt('POST', `/v1/collections/${cid}/documents/${fid}`);

      fake.setDocumentStatus(cid, fid, 'DOCUMENT_STATUS_FAILED', 'unparseable');

      expect((await mgmt('GET', `/v1/collections/${cid}/documents`)).body.documents).toEqual([
        expect.objectContaining({ status: 'DOCUMENT_STATUS_FAILED', error_message: 'unparseable' }),
      ]);
    });
  });

  describe('control API', () => {
    it('seeds files and collections with memberships and shows them in state', async () => {
      const seed = {
        files: [{ id: 'file_seeded', filename: 'alt.pdf', content: 'pdf' }],
        collections: [
          {
            collection_id: 'collection_seeded',
            collection_name: 'seeded',
            documents: [{ file_id: 'file_seeded' }],
          },
        ],
      };
      const res = await fetch(`${fake.url}/__fake/seed`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(seed),
      });
      expect(res.status).toBe(200);

      expect(fake.members('collection_seeded')).toEqual(['file_seeded']);
      const state = (await (await fetch(`${fake.url}/__fake/state`)).json()) as {
        files: Array<{ id: string }>;
        collections: Array<{ collection_id: string; documents: unknown[] }>;
      };
      expect(state.files.map((f) => f.id)).toEqual(['file_seeded']);
      expect(state.collections[0]).toMatchObject({
        collection_id: 'collection_seeded',
        documents_count: 1,
      });
      expect(state.collections[0].documents).toHaveLength(1);
    });

    it('rejects a seed membership of an unknown file', async () => {
      const res = await fetch(`${fake.url}/__fake/seed`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          collections: [{ collection_name: 'x', documents: [{ file_id: 'file_nope' }] }],
        }),
      });
      expect(res.status).toBe(400);
    });

    it('answers injected faults with an xAI-style body', async () => {
      fake.setFaults([{ route: 'GET /v1/collections', status: 503, times: 1 }]);
      const res = await mgmt('GET', '/v1/collections');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ code: 'Internal error', error: 'injected 503' });
    });

    it('reset empties the stores and restores the default keys', async () => {
      await upload('x');
      fake.managementKey = 'rotated';

      fake.reset();

      expect(fake.files()).toEqual([]);
      expect(fake.uploadCount).toBe(0);
      expect((await mgmt('GET', '/v1/collections')).status).toBe(200);
    });
  });
});
