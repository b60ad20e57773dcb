import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { TEST_SECRETS } from '../../support/test-env.js';
import { DEMO_IDS, espocrmDemoData } from './demo-data.js';
import { EspoCrmFake, startEspoCrmFake, type EspoFakeState } from './espocrm.fake.js';

interface Answer {
  status: number;
  reason: string | null;
  headers: Headers;
  body: unknown;
}

describe('EspoCRM fake (HTTP contract)', () => {
  let fake: EspoCrmFake;

  beforeAll(async () => {
    fake = await startEspoCrmFake({ duplicateCheck: { Account: ['name'] } });
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
    opts: {
      body?: unknown;
      key?: string | null;
      query?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const key = opts.key === undefined ? TEST_SECRETS.ESPOCRM_API_KEY : opts.key;
    if (key !== null) headers['X-Api-Key'] = key;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${fake.apiUrl}/${path}${opts.query ? `?${opts.query}` : ''}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // raw bytes stay text
    }
    return {
      status: res.status,
      reason: res.headers.get('x-status-reason'),
      headers: res.headers,
      body,
    };
  }

  const list = async (path: string, query: string) =>
    (await call('GET', path, { query })).body as {
      total: number;
      list: Array<Record<string, unknown>>;
    };
  const names = (r: { list: Array<Record<string, unknown>> }) => r.list.map((x) => x.name).sort();
  const searchParams = (o: unknown) => `searchParams=${encodeURIComponent(JSON.stringify(o))}`;

  describe('auth', () => {
    it('answers 401 without data for a missing or wrong X-Api-Key', async () => {
      fake.put('Account', { id: 'a1', name: 'Secret GmbH' });
      for (const key of [null, 'wrong-key', '']) {
        const res = await call('GET', 'Account/a1', { key });
        expect(res.status).toBe(401);
        expect(JSON.stringify(res.body ?? '')).not.toContain('Secret');
      }
      expect((await call('GET', 'Account/a1')).status).toBe(200);
    });

    it('takes a changed key and forgets it on reset', async () => {
      fake.apiKey = 'rotated';
      expect((await call('GET', 'Account')).status).toBe(401);
      expect((await call('GET', 'Account', { key: 'rotated' })).status).toBe(200);
      fake.reset();
      expect((await call('GET', 'Account')).status).toBe(200);
    });
  });

  describe('records', () => {
    it('creates with a 17-hex id and EspoCRM datetimes, ignoring a client-sent id', async () => {
      const res = await call('POST', 'CDokumente', {
        body: { id: 'mine', name: 'Doc', fileStatus: 'neu' },
      });
      expect(res.status).toBe(200);
      const rec = res.body as Record<string, string>;
      expect(rec.id).toMatch(/^[0-9a-f]{17}$/);
      expect(rec.createdAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(rec.modifiedAt).toBe(rec.createdAt);
      expect(fake.get('CDokumente', 'mine')).toBeUndefined();
    });

    it('changes only the sent fields on PUT and PATCH and bumps modifiedAt', async () => {
      let now = new Date('2026-03-01T10:00:00.000Z');
      fake.setClock(() => now);
      const rec = fake.put('CBeteiligte', { name: 'A', firstName: 'Anna', betnr: 1 });
      now = new Date('2026-03-01T10:05:00.000Z');
      const put = await call('PUT', `CBeteiligte/${rec.id}`, {
        body: { betnr: 2, modifiedAt: '1999-01-01 00:00:00' },
      });
      expect(put.body).toMatchObject({
        name: 'A',
        firstName: 'Anna',
        betnr: 2,
        modifiedAt: '2026-03-01 10:05:00',
      });
      expect((put.body as Record<string, unknown>).createdAt).toBe('2026-03-01 10:00:00');
      const patch = await call('PATCH', `CBeteiligte/${rec.id}`, { body: { firstName: 'Anne' } });
      expect(patch.body).toMatchObject({ name: 'A', firstName: 'Anne', betnr: 2 });
    });

    it('orders two writes within one second by when they happened', async () => {
      fake.setClock(() => new Date('2026-03-01T10:00:00.000Z'));
      const a = fake.put('Task', { name: 'a' });
      const b = fake.put('Task', { name: 'b' });
      await call('PUT', `Task/${a.id}`, { body: { status: 'Started' } });
      const asc = await list('Task', 'orderBy=modifiedAt&order=asc');
      expect(asc.list.map((t) => t.id)).toEqual([b.id, a.id]);
      const desc = await list('Task', 'orderBy=modifiedAt&order=desc');
      expect(desc.list.map((t) => t.id)).toEqual([a.id, b.id]);
    });

    it('answers 404 with X-Status-Reason for an unknown id on GET, PUT and DELETE', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await call(method, 'CBeteiligte/0123456789abcdef0', {
          body: method === 'PUT' ? { name: 'x' } : undefined,
        });
        expect(res.status).toBe(404);
        expect(res.reason).toContain('not found');
      }
    });

    it('answers 404 with X-Status-Reason for an entity type its metadata does not know', async () => {
      const calls: Array<[string, string, unknown]> = [
        ['POST', 'CBeteiligten', { name: 'typo' }],
        ['GET', 'CBeteiligten', undefined],
        ['GET', 'CBeteiligten/0123456789abcdef0', undefined],
        ['PUT', 'CBeteiligten/0123456789abcdef0', { name: 'x' }],
        ['DELETE', 'CBeteiligten/0123456789abcdef0', undefined],
        ['GET', 'CBeteiligten/0123456789abcdef0/dokumente', undefined],
        ['POST', 'CBeteiligten/0123456789abcdef0/dokumente', { id: 'x' }],
      ];
      for (const [method, path, body] of calls) {
        const res = await call(method, path, { body });
        expect([method, path, res.status, res.reason]).toEqual([
          method,
          path,
          404,
          'Entity type CBeteiligten does not exist',
        ]);
      }
      // Nothing was stored under the unknown type.
      expect(Object.keys(fake.state().records)).not.toContain('CBeteiligten');
      expect((await call('GET', 'Metadata', { query: 'key=entityDefs.CBeteiligten' })).body).toBe(
        null,
      );
    });

    it('knows a type once declared (Entity Manager) or seeded in-process', async () => {
      expect(fake.hasEntityType('CAkte')).toBe(false);
      fake.defineEntityType('CAkte', { aktenzeichen: { type: 'varchar' } });
      const created = await call('POST', 'CAkte', { body: { aktenzeichen: '1/26' } });
      expect(created.status).toBe(200);
      fake.put('CMandat', { name: 'seeded' });
      expect((await list('CMandat', '')).total).toBe(1);
      fake.reset();
      expect((await call('GET', 'CAkte')).status).toBe(404);
    });

    it('deletes with the answer true, then the record is gone', async () => {
      const rec = fake.put('Account', { name: 'Gone GmbH' });
      const res = await call('DELETE', `Account/${rec.id}`);
      expect(res).toMatchObject({ status: 200, body: true });
      expect((await call('GET', `Account/${rec.id}`)).status).toBe(404);
    });

    it('refuses an unknown enum option and a missing required field with 400 and a reason', async () => {
      const rec = fake.put('CBeteiligte', { name: 'A' });
      const bad = await call('PUT', `CBeteiligte/${rec.id}`, { body: { syncStatus: 'synced' } });
      expect(bad.status).toBe(400);
      expect(bad.reason).toBe('Field validation failure; field: syncStatus, type: valid');
      expect(fake.get('CBeteiligte', rec.id)?.syncStatus).toBeUndefined();
      const task = await call('POST', 'Task', { body: { description: 'nameless' } });
      expect(task.status).toBe(400);
      expect(task.reason).toContain('field: name');
      expect((await call('POST', 'Task', { body: [1] })).status).toBe(400);
    });

    it('answers 409 for a configured duplicate unless the duplicate check is skipped', async () => {
      fake.put('Account', { name: 'Twin AG' });
      const dup = await call('POST', 'Account', { body: { name: 'Twin AG' } });
      expect(dup.status).toBe(409);
      expect(dup.reason).toBe('Duplicate');
      const skipped = await call('POST', 'Account', {
        body: { name: 'Twin AG' },
        headers: { 'X-Skip-Duplicate-Check': 'true' },
      });
      expect(skipped.status).toBe(200);
    });

    it('keeps emailAddress and emailAddressData in step', async () => {
      const res = await call('POST', 'CBeteiligte', {
        body: {
          name: 'E',
          emailAddressData: [
            { emailAddress: 'b@example.de', primary: false },
            { emailAddress: 'a@example.de', primary: true },
          ],
        },
      });
      expect(res.body).toMatchObject({ emailAddress: 'a@example.de' });
    });
  });

  describe('lists', () => {
    beforeEach(() => {
      for (let i = 0; i < 30; i++) {
        fake.put('CBeteiligte', {
          name: `P${String(i).padStart(2, '0')}`,
          betnr: i < 25 ? i : null,
          syncStatus: i % 3 === 0 ? 'dirty' : 'clean',
          syncNextRetry: i < 5 ? `2026-01-0${i + 1} 12:00:00` : null,
          istFirma: i % 2 === 0,
        });
      }
    });

    it('answers 403 with X-Status-Reason for maxSize 201 and serves 200', async () => {
      const over = await call('GET', 'CBeteiligte', { query: 'maxSize=201' });
      expect(over.status).toBe(403);
      expect(over.reason).toMatch(/Max size/);
      const overJson = await call('GET', 'CBeteiligte', { query: searchParams({ maxSize: 500 }) });
      expect(overJson.status).toBe(403);
      expect((await call('GET', 'CBeteiligte', { query: 'maxSize=200' })).status).toBe(200);
    });

    it('pages 20 records by default, then by offset and maxSize', async () => {
      const first = await list('CBeteiligte', 'orderBy=name');
      expect(first.total).toBe(30);
      expect(first.list).toHaveLength(20);
      const second = await list('CBeteiligte', 'orderBy=name&offset=20&maxSize=7');
      expect(second.list.map((r) => r.name)).toEqual([
        'P20',
        'P21',
        'P22',
        'P23',
        'P24',
        'P25',
        'P26',
      ]);
      const last = await list('CBeteiligte', 'orderBy=name&order=desc&offset=28&maxSize=5');
      expect(last.list.map((r) => r.name)).toEqual(['P01', 'P00']);
    });

    it('returns only id and the selected fields', async () => {
      const res = await list('CBeteiligte', 'select=name,betnr&maxSize=1&orderBy=name');
      expect(res.list).toEqual([{ id: expect.any(String), name: 'P00', betnr: 0 }]);
    });

    it('filters the same in bracket form and as searchParams JSON', async () => {
      const where = [
        { type: 'in', attribute: 'syncStatus', value: ['dirty'] },
        {
          type: 'or',
          value: [
            { type: 'lessThan', attribute: 'betnr', value: 7 },
            { type: 'isNull', attribute: 'betnr' },
          ],
        },
      ];
      const bracket =
        'where[0][type]=in&where[0][attribute]=syncStatus&where[0][value][]=dirty' +
        '&where[1][type]=or&where[1][value][0][type]=lessThan&where[1][value][0][attribute]=betnr' +
        '&where[1][value][0][value]=7&where[1][value][1][type]=isNull&where[1][value][1][attribute]=betnr';
      const a = await list('CBeteiligte', `${bracket}&maxSize=200`);
      const b = await list('CBeteiligte', searchParams({ where, maxSize: 200 }));
      expect(names(a)).toEqual(['P00', 'P03', 'P06', 'P27']);
      expect(names(b)).toEqual(names(a));
    });

    it.each([
      [{ type: 'equals', attribute: 'name', value: 'P05' }, ['P05']],
      [
        { type: 'notEquals', attribute: 'syncStatus', value: 'clean' },
        ['P00', 'P03', 'P06', 'P09', 'P12', 'P15', 'P18', 'P21', 'P24', 'P27'],
      ],
      [
        {
          type: 'notIn',
          attribute: 'betnr',
          value: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22],
        },
        ['P23', 'P24'],
      ],
      [{ type: 'isNotNull', attribute: 'syncNextRetry' }, ['P00', 'P01', 'P02', 'P03', 'P04']],
      [{ type: 'isTrue', attribute: 'istFirma' }, 15],
      [{ type: 'isFalse', attribute: 'istFirma' }, 15],
      [
        { type: 'lessThanOrEqual', attribute: 'syncNextRetry', value: '2026-01-02 12:00:00' },
        ['P00', 'P01'],
      ],
      [
        { type: 'greaterThan', attribute: 'syncNextRetry', value: '2026-01-04 00:00:00' },
        ['P03', 'P04'],
      ],
      [{ type: 'greaterThanOrEqual', attribute: 'betnr', value: 23 }, ['P23', 'P24']],
      [
        { type: 'contains', attribute: 'name', value: 'p2' },
        ['P20', 'P21', 'P22', 'P23', 'P24', 'P25', 'P26', 'P27', 'P28', 'P29'],
      ],
      [{ type: 'startsWith', attribute: 'name', value: 'P1' }, 10],
      [
        {
          type: 'and',
          value: [
            { type: 'equals', attribute: 'syncStatus', value: 'clean' },
            { type: 'lessThan', attribute: 'betnr', value: 3 },
          ],
        },
        ['P01', 'P02'],
      ],
    ])('filters with %j', async (item, expected) => {
      const res = await list('CBeteiligte', searchParams({ where: [item], maxSize: 200 }));
      if (typeof expected === 'number') expect(res.total).toBe(expected);
      else expect(names(res)).toEqual(expected);
    });

    it('compares booleans and numbers sent as bracket strings by the field type', async () => {
      const res = await list(
        'CBeteiligte',
        'where[0][type]=equals&where[0][attribute]=betnr&where[0][value]=4',
      );
      expect(names(res)).toEqual(['P04']);
      const bools = await list(
        'CBeteiligte',
        'where[0][type]=equals&where[0][attribute]=istFirma&where[0][value]=true&maxSize=200',
      );
      expect(bools.total).toBe(15);
    });

    it('answers 400 for an unknown where type, bad JSON and a bad maxSize', async () => {
      const unknown = await call('GET', 'CBeteiligte', {
        query: searchParams({ where: [{ type: 'fuzzy', attribute: 'x' }] }),
      });
      expect(unknown.status).toBe(400);
      expect(unknown.reason).toBe('Unknown where type: fuzzy');
      expect((await call('GET', 'CBeteiligte', { query: 'searchParams={oops' })).status).toBe(400);
      expect((await call('GET', 'CBeteiligte', { query: 'maxSize=ten' })).status).toBe(400);
    });
  });

  describe('links', () => {
    let klage: string;
    let account: string;
    let docs: string[];
    beforeEach(() => {
      klage = fake.put('CVmhRaeumungsklage', { name: 'Klage' }).id;
      account = fake.put('Account', { name: 'Acc' }).id;
      docs = ['d1', 'd2', 'd3'].map((name) => fake.put('CDokumente', { name }).id);
    });

    it('links by id and ids and shows the link from both sides', async () => {
      expect(
        (
          await call('POST', `CVmhRaeumungsklage/${klage}/dokumente`, {
            body: { ids: [docs[0], docs[1]] },
          })
        ).body,
      ).toBe(true);
      expect(
        (await call('POST', `CDokumente/${docs[1]}/account`, { body: { id: account } })).body,
      ).toBe(true);

      expect(names(await list(`CVmhRaeumungsklage/${klage}/dokumente`, ''))).toEqual(['d1', 'd2']);
      expect(names(await list(`Account/${account}/dokumente`, ''))).toEqual(['d2']);
      expect(names(await list(`CDokumente/${docs[1]}/cVmhRaeumungsklage`, ''))).toEqual(['Klage']);
      expect(names(await list(`CDokumente/${docs[1]}/account`, ''))).toEqual(['Acc']);
      expect(names(await list(`CDokumente/${docs[2]}/cVmhRaeumungsklage`, ''))).toEqual([]);
    });

    it('filters related lists and lists with linkedWith', async () => {
      fake.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', docs);
      const related = await list(
        `CVmhRaeumungsklage/${klage}/dokumente`,
        searchParams({ where: [{ type: 'equals', attribute: 'name', value: 'd3' }] }),
      );
      expect(names(related)).toEqual(['d3']);
      fake.unlinkRecords('CVmhRaeumungsklage', klage, 'dokumente', docs[2]);
      const linked = await list(
        'CDokumente',
        searchParams({
          where: [{ type: 'linkedWith', attribute: 'cVmhRaeumungsklage', value: [klage] }],
        }),
      );
      expect(names(linked)).toEqual(['d1', 'd2']);
      const notLinked = await list(
        'CDokumente',
        searchParams({ where: [{ type: 'isNotLinked', attribute: 'cVmhRaeumungsklage' }] }),
      );
      expect(names(notLinked)).toEqual(['d3']);
    });

    it('reads a document with its reverse links as {link}Ids and {link}Names, in a list only when selected', async () => {
      fake.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', [docs[0], docs[1]]);
      fake.linkRecords('Account', account, 'dokumente', docs[0]);

      const read = (await call('GET', `CDokumente/${docs[0]}`)).body as Record<string, unknown>;
      expect(read).toMatchObject({
        cVmhRaeumungsklageIds: [klage],
        cVmhRaeumungsklageNames: { [klage]: 'Klage' },
        accountIds: [account],
        accountNames: { [account]: 'Acc' },
        cBeteiligteIds: [],
        cBeteiligteNames: {},
      });
      // The owner side's `dokumente` link has no link-multiple field.
      expect((await call('GET', `CVmhRaeumungsklage/${klage}`)).body).not.toHaveProperty(
        'dokumenteIds',
      );

      const plain = await list('CDokumente', searchParams({ select: ['id', 'name'] }));
      expect(plain.list.every((d) => !('accountIds' in d))).toBe(true);
      const selected = await list(
        'CDokumente',
        searchParams({
          select: ['id', 'accountIds', 'cVmhRaeumungsklageNames'],
          where: [{ type: 'equals', attribute: 'id', value: docs[0] }],
        }),
      );
      expect(selected.list).toEqual([
        {
          id: docs[0],
          accountIds: [account],
          cVmhRaeumungsklageNames: { [klage]: 'Klage' },
        },
      ]);
    });

    it('leaves {link}Ids out when the relationships have no link-multiple field, until reset', async () => {
      fake.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', docs[0]);
      fake.setDocumentLinkFields(false);
      const read = (await call('GET', `CDokumente/${docs[0]}`)).body as Record<string, unknown>;
      expect(Object.keys(read).filter((k) => k.endsWith('Ids') || k.endsWith('Names'))).toEqual([]);
      expect(
        (await call('GET', 'Metadata', { query: 'key=entityDefs.CDokumente.fields' })).body,
      ).not.toHaveProperty('cVmhRaeumungsklage');
      expect(names(await list(`CDokumente/${docs[0]}/cVmhRaeumungsklage`, ''))).toEqual(['Klage']);

      fake.reset();
      const id = fake.put('CDokumente', { name: 'd' }).id;
      expect((await call('GET', `CDokumente/${id}`)).body).toMatchObject({ accountIds: [] });
      expect(
        (await call('GET', 'Metadata', { query: 'key=entityDefs.CDokumente.fields.account' })).body,
      ).toEqual({ type: 'linkMultiple', entity: 'Account' });
    });

    it('takes the link-multiple switch from a seed over HTTP, and from the option', async () => {
      fake.linkRecords('Account', account, 'dokumente', docs[1]);
      const seeded = await fetch(`${fake.url}/__fake/seed`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ options: { linkMultipleFields: false } }),
      });
      expect(seeded.status).toBe(200);
      const read = (await call('GET', `CDokumente/${docs[1]}`)).body as Record<string, unknown>;
      expect(read).not.toHaveProperty('accountIds');
      expect(names(await list(`CDokumente/${docs[1]}/account`, ''))).toEqual(['Acc']);
      fake.setLinkMultipleFields(true);
      expect((await call('GET', `CDokumente/${docs[1]}`)).body).toMatchObject({
        accountIds: [account],
      });

      const off = await startEspoCrmFake({ linkMultipleFields: false });
      try {
        const d = off.put('CDokumente', { name: 'd' }).id;
        const res = await fetch(`${off.apiUrl}/CDokumente/${d}`, {
          headers: { 'X-Api-Key': TEST_SECRETS.ESPOCRM_API_KEY },
        });
        expect(Object.keys((await res.json()) as object).some((k) => k.endsWith('Ids'))).toBe(
          false,
        );
      } finally {
        await off.close();
      }
    });

    it('sets the links of a link-multiple field written as {link}Ids, without storing the ids', async () => {
      const other = fake.put('CVmhRaeumungsklage', { name: 'Andere' }).id;
      fake.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', docs[0]);
      const res = await call('PUT', `CDokumente/${docs[0]}`, {
        body: { cVmhRaeumungsklageIds: [other], cVmhRaeumungsklageNames: { [other]: 'x' } },
      });
      expect(res.status).toBe(200);
      expect(fake.linkedIds('CDokumente', docs[0], 'cVmhRaeumungsklage')).toEqual([other]);
      expect(fake.linkedIds('CVmhRaeumungsklage', klage, 'dokumente')).toEqual([]);
      expect(fake.get('CDokumente', docs[0])).not.toHaveProperty('cVmhRaeumungsklageIds');
      expect((await call('GET', `CDokumente/${docs[0]}`)).body).toMatchObject({
        cVmhRaeumungsklageNames: { [other]: 'Andere' },
      });

      const created = await call('POST', 'CDokumente', {
        body: { name: 'neu', accountIds: [account] },
      });
      expect(fake.linkedIds('Account', account, 'dokumente')).toEqual([
        (created.body as { id: string }).id,
      ]);
      const bad = await call('PUT', `CDokumente/${docs[1]}`, { body: { accountIds: 'nope' } });
      expect(bad.status).toBe(400);
    });

    it('unlinks with DELETE and forgets the links of a deleted record', async () => {
      fake.linkRecords('CVmhRaeumungsklage', klage, 'dokumente', docs);
      expect(
        (await call('DELETE', `CVmhRaeumungsklage/${klage}/dokumente`, { body: { id: docs[0] } }))
          .body,
      ).toBe(true);
      expect(fake.linkedIds('CDokumente', docs[0], 'cVmhRaeumungsklage')).toEqual([]);
      await call('DELETE', `CDokumente/${docs[1]}`);
      expect(fake.linkedIds('CVmhRaeumungsklage', klage, 'dokumente')).toEqual([docs[2]]);
    });

    it('answers 404 for an unknown link, parent or foreign record', async () => {
      const unknownLink = await call('POST', `CVmhRaeumungsklage/${klage}/dokuments`, {
        body: { id: docs[0] },
      });
      expect(unknownLink.status).toBe(404);
      expect(unknownLink.reason).toContain('dokuments');
      expect((await call('GET', `CVmhRaeumungsklage/nope/dokumente`)).status).toBe(404);
      expect(
        (await call('POST', `CVmhRaeumungsklage/${klage}/dokumente`, { body: { id: 'nope' } }))
          .status,
      ).toBe(404);
      expect(fake.linkedIds('CVmhRaeumungsklage', klage, 'dokumente')).toEqual([]);
    });

    it('lists a party’s bank accounts over the belongs-to key beteiligteId', async () => {
      const party = fake.put('CBeteiligte', { name: 'Erika' }).id;
      fake.put('CBankverbindungen', { name: 'Giro', beteiligteId: party });
      const other = fake.put('CBankverbindungen', { name: 'Spar' }).id;
      await call('POST', `CBeteiligte/${party}/bankverbindungen`, { body: { id: other } });
      expect(names(await list(`CBeteiligte/${party}/bankverbindungen`, ''))).toEqual([
        'Giro',
        'Spar',
      ]);
      expect((await call('GET', `CBankverbindungen/${other}`)).body).toMatchObject({
        beteiligteId: party,
        beteiligteName: 'Erika',
      });
    });
  });

  describe('attachments and metadata', () => {
    it('serves the exact bytes of an attachment with its type', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
      const id = fake.addAttachment({ name: 'x.pdf', type: 'application/pdf', bytes });
      const res = await fetch(`${fake.apiUrl}/Attachment/file/${id}`, {
        headers: { 'X-Api-Key': TEST_SECRETS.ESPOCRM_API_KEY },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
      expect((await call('GET', 'Attachment/file/0000000000000000f')).status).toBe(404);
      expect((await call('GET', `Attachment/file/${id}`, { key: null })).status).toBe(401);
    });

    it('stores an attachment POSTed as a data URL', async () => {
      const res = await call('POST', 'Attachment', {
        body: {
          name: 'n.txt',
          type: 'text/plain',
          role: 'Attachment',
          file: `data:text/plain;base64,${Buffer.from('hallo').toString('base64')}`,
        },
      });
      const id = (res.body as { id: string }).id;
      expect(fake.attachmentBytes(id)?.toString()).toBe('hallo');
    });

    it('serves metadata whole and by key', async () => {
      const all = (await call('GET', 'Metadata')).body as { entityDefs: Record<string, unknown> };
      expect(Object.keys(all.entityDefs)).toEqual(
        expect.arrayContaining(['CBeteiligte', 'CDokumente', 'CVmhRaeumungsklage']),
      );
      const link = (
        await call('GET', 'Metadata', {
          query: 'key=entityDefs.CDokumente.links.cVmhRaeumungsklage',
        })
      ).body;
      expect(link).toMatchObject({
        type: 'manyMany',
        entity: 'CVmhRaeumungsklage',
        foreign: 'dokumente',
      });
    });
  });

  describe('control API', () => {
    it('seeds the demo data over /__fake/seed and reports files as size and md5', async () => {
      const seeded = await fetch(`${fake.url}/__fake/seed`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(espocrmDemoData()),
      });
      expect(seeded.status).toBe(200);
      const state = (await (await fetch(`${fake.url}/__fake/state`)).json()) as EspoFakeState;
      expect(state.records.CBeteiligte).toHaveLength(4);
      expect(state.records.CBankverbindungen).toHaveLength(2);
      expect(state.records.CDokumente.every((d) => d.fileStatus === 'neu')).toBe(true);
      expect(state.links.filter((l) => l.entity === 'CVmhRaeumungsklage')).toHaveLength(3);
      const file = fake.attachmentBytes(DEMO_IDS.fileMietvertrag)!;
      expect(state.attachments).toContainEqual({
        id: DEMO_IDS.fileMietvertrag,
        name: 'Mietvertrag.pdf',
        type: 'application/pdf',
        size: file.length,
        md5: createHash('md5').update(file).digest('hex'),
      });
      expect(JSON.stringify(state)).not.toContain('Klageschrift\\n\\nIn Sachen');
    });

    it('answers an injected fault without a body, as EspoCRM does', async () => {
      fake.setFaults([{ route: 'GET /api/v1/:entity', status: 503, times: 1 }]);
      const res = await call('GET', 'Account');
      expect(res.status).toBe(503);
      expect(res.body).toBeUndefined();
      expect((await call('GET', 'Account')).status).toBe(200);
    });
  });
});
