import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../../src/config/app-config.js';
import {
  PermanentUpstreamError,
  TransientUpstreamError,
  UpstreamForbiddenError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
  ValidationError,
} from '../../src/core/errors/upstream.errors.js';
import { HubMetrics } from '../../src/core/metrics/hub-metrics.js';
import { EspoCrmClient } from '../../src/integrations/espocrm/espocrm.client.js';
import { EspoCrmModule } from '../../src/integrations/espocrm/espocrm.module.js';
import type {
  CBeteiligte,
  CDokumente,
  EspoRecord,
} from '../../src/integrations/espocrm/espocrm.types.js';
import { EspoCrmFake, startEspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { testConfig } from '../support/test-env.js';

describe('EspoCrmClient against the EspoCRM fake', () => {
  let fake: EspoCrmFake;
  let client: EspoCrmClient;
  const newClient = (overrides: Record<string, string> = {}) =>
    new EspoCrmClient(testConfig({ espocrm: fake.apiUrl }, overrides), new HubMetrics());

  beforeAll(async () => {
    fake = await startEspoCrmFake();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.setFaults([]);
    fake.clearLog();
    client = newClient();
  });

  async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  }

  it('creates, reads, updates only the sent fields and deletes a record', async () => {
    const created = await client.create<CBeteiligte>('CBeteiligte', {
      name: 'Erika Mustermann',
      firstName: 'Erika',
      syncStatus: 'pending_sync',
    });
    expect(created.id).toMatch(/^[0-9a-f]{17}$/);
    expect(created.createdAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const updated = await client.update<CBeteiligte>('CBeteiligte', created.id, {
      syncStatus: 'clean',
      betnr: 4711,
    });
    expect(updated).toMatchObject({
      name: 'Erika Mustermann',
      firstName: 'Erika',
      syncStatus: 'clean',
      betnr: 4711,
    });
    expect(fake.get('CBeteiligte', created.id)).toMatchObject({ firstName: 'Erika', betnr: 4711 });

    expect(await client.get<CBeteiligte>('CBeteiligte', created.id)).toMatchObject({ betnr: 4711 });
    await client.delete('CBeteiligte', created.id);
    expect(fake.get('CBeteiligte', created.id)).toBeUndefined();
    await expect(client.get('CBeteiligte', created.id)).rejects.toBeInstanceOf(
      UpstreamNotFoundError,
    );
  });

  it('lists with where, select, order and paging', async () => {
    for (let i = 0; i < 5; i++) {
      fake.put('CBeteiligte', { name: `P${i}`, betnr: i, syncStatus: i % 2 ? 'dirty' : 'clean' });
    }
    const res = await client.list<CBeteiligte>('CBeteiligte', {
      where: [
        { type: 'equals', attribute: 'syncStatus', value: 'clean' },
        { type: 'greaterThan', attribute: 'betnr', value: 0 },
      ],
      select: ['name'],
      orderBy: 'betnr',
      order: 'desc',
    });
    expect(res.total).toBe(2);
    expect(res.list).toEqual([
      { id: expect.any(String), name: 'P4' },
      { id: expect.any(String), name: 'P2' },
    ]);
    const page = await client.list('CBeteiligte', { orderBy: 'betnr', maxSize: 2, offset: 2 });
    expect(page.total).toBe(5);
    expect(page.list.map((r) => r.betnr)).toEqual([2, 3]);
  });

  it('lists all 450 records in pages of at most 200', async () => {
    for (let i = 0; i < 450; i++) fake.put('CDokumente', { name: `D${i}` });
    const seen = await collect(client.listAll<CDokumente>('CDokumente'));
    expect(seen).toHaveLength(450);
    expect(new Set(seen.map((d) => d.id)).size).toBe(450);
    const pages = fake.requests.filter((r) => r.method === 'GET' && r.route === '/api/v1/:entity');
    expect(pages).toHaveLength(3);
    for (const p of pages) {
      const sp = JSON.parse(new URLSearchParams(p.query).get('searchParams') ?? '{}') as {
        maxSize?: number;
      };
      expect(sp.maxSize).toBeLessThanOrEqual(200);
    }
  });

  it('rejects a maxSize above 200 before calling EspoCRM', async () => {
    await expect(client.list('CDokumente', { maxSize: 201 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('links, lists related records in both directions and unlinks', async () => {
    const klage = fake.put('CVmhRaeumungsklage', { name: 'Klage 1' });
    const docs = [fake.put('CDokumente', { name: 'a' }), fake.put('CDokumente', { name: 'b' })];
    await client.link(
      'CVmhRaeumungsklage',
      klage.id,
      'dokumente',
      docs.map((d) => d.id),
    );

    const related = await collect(
      client.listAllRelated<CDokumente>('CVmhRaeumungsklage', klage.id, 'dokumente'),
    );
    expect(related.map((d) => d.name).sort()).toEqual(['a', 'b']);
    const back = await client.listRelated('CDokumente', docs[0].id, 'cVmhRaeumungsklage');
    expect(back.list.map((k) => k.id)).toEqual([klage.id]);

    await client.unlink('CVmhRaeumungsklage', klage.id, 'dokumente', docs[0].id);
    expect(fake.linkedIds('CVmhRaeumungsklage', klage.id, 'dokumente')).toEqual([docs[1].id]);
  });

  it('downloads the exact bytes of an attachment with the type, name and size its headers announce', async () => {
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x80, 0x0a]);
    const id = fake.addAttachment({ name: 'Schriftsatz ä.pdf', type: 'application/pdf', bytes });
    const got = await client.downloadAttachment(id);
    expect(createHash('md5').update(got.data).digest('hex')).toBe(
      createHash('md5').update(bytes).digest('hex'),
    );
    expect(got).toMatchObject({
      contentType: 'application/pdf',
      filename: 'Schriftsatz ä.pdf',
      size: bytes.length,
    });
  });

  it('refuses an attachment whose Content-Length is above maxBytes, naming size and limit', async () => {
    const id = fake.addAttachment({
      name: 'gross.pdf',
      type: 'application/pdf',
      bytes: Buffer.alloc(2048),
    });
    const err = await client.downloadAttachment(id, { maxBytes: 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain('2048 bytes');
    expect((err as Error).message).toContain('limit of 1024 bytes');
    expect(fake.count('GET', '/api/v1/Attachment/file/:id')).toBe(1);
  });

  it('hands the headers to refuse before the body and aborts with its reason', async () => {
    const id = fake.addAttachment({ name: 'scan.zip', type: 'application/zip', text: 'PK' });
    const seen: unknown[] = [];
    const err = await client
      .downloadAttachment(id, {
        refuse: (head) => {
          seen.push(head);
          return head.contentType === 'application/zip' ? 'zip is not indexed' : undefined;
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe('zip is not indexed');
    expect(seen).toEqual([{ contentType: 'application/zip', size: 2, filename: 'scan.zip' }]);
    expect(fake.count('GET', '/api/v1/Attachment/file/:id')).toBe(1);
  });

  it('cuts off a download without Content-Length once the bytes received pass maxBytes', async () => {
    let written = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/pdf' });
      const timer = setInterval(() => {
        written += 1024;
        res.write(Buffer.alloc(1024));
        if (written >= 1024 * 1024) {
          clearInterval(timer);
          res.end();
        }
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const chunked = new EspoCrmClient(
        testConfig({ espocrm: `http://127.0.0.1:${port}/api/v1` }),
        new HubMetrics(),
      );
      const err = await chunked
        .downloadAttachment('a1', { maxBytes: 4096 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toContain('limit of 4096 bytes');
      expect(written).toBeLessThan(1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('maps a failed download to typed errors and retries a 503', async () => {
    await expect(client.downloadAttachment('nope')).rejects.toBeInstanceOf(UpstreamNotFoundError);
    const id = fake.addAttachment({ name: 'a.txt', type: 'text/plain', text: 'hallo' });
    fake.setFaults([{ route: 'GET /api/v1/Attachment/file/:id', status: 503, rate: 1, times: 1 }]);
    const got = await client.downloadAttachment(id);
    expect(got.data.toString('utf8')).toBe('hallo');
    expect(fake.count('GET', '/api/v1/Attachment/file/:id')).toBe(3);
  });

  it('maps 404, 400 with its X-Status-Reason and 401 to typed errors', async () => {
    await expect(client.get('CBeteiligte', 'nope')).rejects.toBeInstanceOf(UpstreamNotFoundError);

    const bad = await client
      .list('CBeteiligte', { where: [{ type: 'noSuchType', attribute: 'x' }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PermanentUpstreamError);
    expect((bad as PermanentUpstreamError).status).toBe(400);
    expect((bad as Error).message).toContain('Unknown where type: noSuchType');

    const wrongKey = newClient({ ESPOCRM_API_KEY: 'wrong-key' });
    await expect(wrongKey.get('CBeteiligte', 'x')).rejects.toBeInstanceOf(
      UpstreamUnauthorizedError,
    );
  });

  it('gets a permanent 404 naming the type for an entity type EspoCRM does not have, once, storing nothing', async () => {
    const err = await client.create('CBeteiligten', { name: 'typo' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamNotFoundError);
    expect((err as Error).message).toContain('Entity type CBeteiligten does not exist');
    await expect(client.list('CBeteiligten')).rejects.toBeInstanceOf(UpstreamNotFoundError);
    expect(fake.count('POST', '/api/v1/:entity')).toBe(1);
    expect(fake.records('CBeteiligten')).toEqual([]);
  });

  it('retries a 503 in-call and then succeeds', async () => {
    const rec = fake.put('CBeteiligte', { name: 'X' });
    fake.setFaults([{ route: 'GET /api/v1/:entity/:id', status: 503, times: 2 }]);
    expect(await client.get('CBeteiligte', rec.id)).toMatchObject({ name: 'X' });
    expect(fake.count('GET', '/api/v1/:entity/:id')).toBe(3);
  });

  it('does not retry a 400', async () => {
    await expect(client.create('Task', { description: 'no name' })).rejects.toThrow(/field: name/);
    expect(fake.count('POST', '/api/v1/:entity')).toBe(1);
  });

  it('gives up after 3 attempts of a persistent 503 with a transient error', async () => {
    fake.setFaults([{ route: 'GET /api/v1/:entity', status: 503 }]);
    await expect(client.list('Task')).rejects.toBeInstanceOf(TransientUpstreamError);
    expect(fake.count('GET', '/api/v1/:entity')).toBe(3);
  });

  it('maps an EspoCRM 403 to UpstreamForbiddenError', async () => {
    fake.setFaults([{ route: 'GET /api/v1/:entity', status: 403, times: 1 }]);
    await expect(client.list('Task')).rejects.toBeInstanceOf(UpstreamForbiddenError);
  });

  it('creates a task once per problem and finds it while open', async () => {
    const parentId = fake.put('CBeteiligte', { name: 'P' }).id;
    expect(
      await client.findOpenTask('CBeteiligte', parentId, 'address_delete_required'),
    ).toBeUndefined();
    const task = await client.createTask({
      name: 'address_delete_required',
      parentType: 'CBeteiligte',
      parentId,
    });
    expect(task).toMatchObject({ status: 'Not Started', priority: 'Normal' });
    expect(
      (await client.findOpenTask('CBeteiligte', parentId, 'address_delete_required'))?.id,
    ).toBe(task.id);
    fake.patch('Task', task.id, { status: 'Completed' });
    expect(
      await client.findOpenTask('CBeteiligte', parentId, 'address_delete_required'),
    ).toBeUndefined();
  });

  it('creates a notification for a user', async () => {
    const n = await client.createNotification({
      userId: 'u1',
      message: 'Konflikt',
      relatedType: 'CBeteiligte',
      relatedId: 'b1',
    });
    expect(fake.get<EspoRecord>('Notification', n.id)).toMatchObject({
      type: 'Message',
      userId: 'u1',
      message: 'Konflikt',
    });
  });

  it('caches metadata within the TTL', async () => {
    const a = await client.getMetadata<{ fields: Record<string, unknown> }>(
      'entityDefs.CDokumente',
    );
    const b = await client.getMetadata<{ fields: Record<string, unknown> }>(
      'entityDefs.CDokumente',
    );
    expect(a.fields.fileStatus).toBeDefined();
    expect(b).toEqual(a);
    expect(fake.count('GET', '/api/v1/Metadata')).toBe(1);
  });
  describe('retries', () => {
    it('resends a create that EspoCRM refused with 503, making one record', async () => {
      fake.setFaults([{ route: 'POST /api/v1/:entity', status: 503, times: 1 }]);
      const rec = await client.create('CDokumente', { name: 'once' });
      expect(fake.count('POST', '/api/v1/:entity')).toBe(2);
      expect(fake.records('CDokumente').map((d) => d.id)).toEqual([rec.id]);
    });

    it('does not resend a create whose answer was lost, so no duplicate appears', async () => {
      fake.setFaults([
        { route: 'POST /api/v1/:entity', status: 500, applyThenFail: true, times: 1 },
      ]);
      await expect(client.create('CDokumente', { name: 'maybe' })).rejects.toBeInstanceOf(
        TransientUpstreamError,
      );
      fake.setFaults([{ route: 'POST /api/v1/:entity', dropRate: 1, times: 1 }]);
      await expect(client.create('CDokumente', { name: 'dropped' })).rejects.toBeInstanceOf(
        TransientUpstreamError,
      );
      expect(fake.count('POST', '/api/v1/:entity')).toBe(2);
      expect(fake.records('CDokumente').map((d) => d.name)).toEqual(['maybe']);
    });

    it('treats a 404 on the retry of a delete whose answer was lost as done', async () => {
      const rec = fake.put('Task', { name: 't' });
      fake.setFaults([
        { route: 'DELETE /api/v1/:entity/:id', status: 503, applyThenFail: true, times: 1 },
      ]);
      await client.delete('Task', rec.id);
      expect(fake.count('DELETE', '/api/v1/:entity/:id')).toBe(2);
      expect(fake.get('Task', rec.id)).toBeUndefined();
    });

    it('still reports a 404 for a delete of a record that never existed', async () => {
      await expect(client.delete('Task', '0000000000000000a')).rejects.toBeInstanceOf(
        UpstreamNotFoundError,
      );
      expect(fake.count('DELETE', '/api/v1/:entity/:id')).toBe(1);
    });

    it('retries a read that timed out', async () => {
      const slow = newClient({ ESPOCRM_API_TIMEOUT_SECONDS: '1' });
      const rec = fake.put('Account', { name: 'A' });
      fake.setFaults([{ route: 'GET /api/v1/:entity/:id', timeoutRate: 1, times: 1 }]);
      expect(await slow.get('Account', rec.id)).toMatchObject({ name: 'A' });
      expect(fake.count('GET', '/api/v1/:entity/:id')).toBe(2);
    });

    it('retries a 429 after its Retry-After', async () => {
      fake.setFaults([
        { route: 'GET /api/v1/:entity', status: 429, retryAfterSeconds: 0, times: 1 },
      ]);
      expect((await client.list('Account')).total).toBe(0);
      expect(fake.count('GET', '/api/v1/:entity')).toBe(2);
    });

    it('leaves a 429 with a long Retry-After to the queue instead of waiting in-call', async () => {
      fake.setFaults([
        { route: 'GET /api/v1/:entity', status: 429, retryAfterSeconds: 30, times: 1 },
      ]);
      const started = Date.now();
      const err = (await client.list('Account').catch((e: unknown) => e)) as TransientUpstreamError;
      expect(err).toBeInstanceOf(TransientUpstreamError);
      expect(err.retryAfterMs).toBe(30_000);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(fake.count('GET', '/api/v1/:entity')).toBe(1);
    });

    it('does not retry a 401 and keeps the key out of the error', async () => {
      const wrongKey = newClient({ ESPOCRM_API_KEY: 'wrong-key-d41d8cd9' });
      const err = (await wrongKey.list('Account').catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(UpstreamUnauthorizedError);
      expect(err.message).not.toContain('wrong-key-d41d8cd9');
      expect(fake.count('GET', '/api/v1/:entity')).toBe(1);
    });
  });

  describe('paging', () => {
    it('pages with the caller’s smaller maxSize and where', async () => {
      for (let i = 0; i < 130; i++)
        fake.put('CDokumente', { name: `D${i}`, fileStatus: i % 2 ? 'neu' : 'synced' });
      const seen = await collect(
        client.listAll<CDokumente>('CDokumente', {
          where: [{ type: 'equals', attribute: 'fileStatus', value: 'neu' }],
          maxSize: 50,
        }),
      );
      expect(seen).toHaveLength(65);
      expect(seen.every((d) => d.fileStatus === 'neu')).toBe(true);
      expect(fake.count('GET', '/api/v1/:entity')).toBe(2);
    });

    it('misses none of the existing records while new ones are created between pages', async () => {
      const before = Array.from(
        { length: 250 },
        (_, i) => fake.put('CBeteiligte', { name: `B${i}` }).id,
      );
      const seen: string[] = [];
      for await (const rec of client.listAll('CBeteiligte')) {
        seen.push(rec.id);
        if (seen.length === 1)
          for (let i = 0; i < 10; i++) fake.put('CBeteiligte', { name: `new${i}` });
      }
      expect(seen).toEqual(expect.arrayContaining(before));
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('pages related records past 200', async () => {
      const klage = fake.put('CVmhRaeumungsklage', { name: 'K' }).id;
      const ids = Array.from(
        { length: 230 },
        (_, i) => fake.put('CDokumente', { name: `D${i}` }).id,
      );
      fake.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', ids);
      const seen = await collect(client.listAllRelated('CVmhRaeumungsklage', klage, 'dokumente'));
      expect(seen.map((d) => d.id).sort()).toEqual([...ids].sort());
      expect(fake.count('GET', '/api/v1/:entity/:id/:link')).toBe(2);
    });

    it('stops after an empty first page', async () => {
      expect(await collect(client.listAll('Task'))).toEqual([]);
      expect(fake.count('GET', '/api/v1/:entity')).toBe(1);
    });
  });

  describe('metadata cache', () => {
    it('asks again for every call when the TTL is 0', async () => {
      const uncached = newClient({ ESPOCRM_METADATA_TTL_SECONDS: '0' });
      await uncached.getMetadata();
      await uncached.getMetadata();
      expect(fake.count('GET', '/api/v1/Metadata')).toBe(2);
    });

    it('shares one request between concurrent callers and caches per key', async () => {
      await Promise.all([client.getMetadata(), client.getMetadata(), client.getMetadata('scopes')]);
      expect(fake.count('GET', '/api/v1/Metadata')).toBe(2);
    });

    it('does not cache a failure', async () => {
      fake.setFaults([{ route: 'GET /api/v1/Metadata', status: 400, times: 1 }]);
      await expect(client.getMetadata()).rejects.toBeInstanceOf(PermanentUpstreamError);
      expect(await client.getMetadata()).toHaveProperty('entityDefs');
      expect(fake.count('GET', '/api/v1/Metadata')).toBe(2);
    });
  });

  it('sends nothing to link or unlink an empty list', async () => {
    await client.link('CVmhRaeumungsklage', 'x', 'dokumente', []);
    await client.unlink('CVmhRaeumungsklage', 'x', 'dokumente', []);
    expect(fake.requests).toHaveLength(0);
  });
  it('is provided by EspoCrmModule from the global AppConfig and HubMetrics, one instance per app', async () => {
    const config = testConfig({ espocrm: fake.apiUrl });
    @Global()
    @Module({
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: HubMetrics, useValue: new HubMetrics() },
      ],
      exports: [AppConfig, HubMetrics],
    })
    class GlobalsModule {}
    @Module({ imports: [EspoCrmModule] })
    class FeatureA {}
    @Module({ imports: [EspoCrmModule] })
    class FeatureB {}
    @Module({ imports: [GlobalsModule, FeatureA, FeatureB] })
    class AppModule {}

    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    try {
      const a = app.select(FeatureA).get(EspoCrmClient);
      expect(app.select(FeatureB).get(EspoCrmClient)).toBe(a);
      const rec = fake.put('Account', { name: 'DI' });
      expect(await a.get('Account', rec.id)).toMatchObject({ name: 'DI' });
    } finally {
      await app.close();
    }
  });
});
