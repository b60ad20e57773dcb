import { jest } from '@jest/globals';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import type {
  CBankverbindungen,
  CBeteiligte,
  EspoTask,
} from '../../src/integrations/espocrm/espocrm.types.js';
import { BankverbindungenModule } from '../../src/vmh/bankverbindungen/bankverbindungen.module.js';
import { BeteiligteModule } from '../../src/vmh/beteiligte/beteiligte.module.js';
import {
  ADVOWARE_API,
  startAdvowareFake,
  type AdvowareFake,
} from '../fakes/advoware/advoware.fake.js';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import {
  finishedJobs,
  postJson,
  queuesIdle,
  startHub,
  waitFor,
  type RunningHub,
} from '../support/hub.js';
import { testEnv } from '../support/test-env.js';

const BANK_ROUTE = `${ADVOWARE_API}/Beteiligte/:betnr/Bankverbindungen`;
const BANK_ITEM_ROUTE = `${BANK_ROUTE}/:id`;
const IBAN_DE = 'DE89370400440532013000';
const IBAN_DE_2 = 'DE02120300000000202051';
const IBAN_AT = 'AT611904300234573201';

/**
 * EspoCRM CBankverbindungen → Advoware through the whole hub (webhooks, Bull, locks,
 * the Beteiligte sync for the party) against the EspoCRM and Advoware fakes.
 */
describe('VMH Bankverbindungen → Advoware (e2e)', () => {
  jest.setTimeout(30_000);
  let espo: EspoCrmFake;
  let advoware: AdvowareFake;
  let hub: RunningHub;
  let seq = 0;

  beforeAll(async () => {
    espo = await startEspoCrmFake({ logBodies: true });
    advoware = await startAdvowareFake({ logBodies: true });
    hub = await startHub(
      testEnv(
        {
          espocrm: espo.apiUrl,
          advoware: advoware.url,
          advowareAuth: `${advoware.url}/api/v1/Token`,
        },
        { WORKER_CONCURRENCY: '8' },
      ),
      // Both are in the app's domain modules too; Nest loads a module once.
      [BeteiligteModule, BankverbindungenModule],
    );
  });
  afterAll(async () => {
    await hub?.close();
    await espo?.close();
    await advoware?.close();
  });

  const post = (action: string, ids: string[]) =>
    postJson(
      `${hub.url}/vmh/webhook/bankverbindungen/${action}`,
      ids.map((id) => ({ id })),
    );

  /** A party that is already synced: in Advoware with a betnr, clean in EspoCRM. */
  function syncedParty(): { id: string; betnr: number } {
    const n = ++seq;
    const betnr = advoware.addBeteiligte({ name: `Mustermann${n}`, vorname: 'Erika' }).betnr;
    const id = espo.put<CBeteiligte>('CBeteiligte', {
      name: `Erika Mustermann${n}`,
      firstName: 'Erika',
      lastName: `Mustermann${n}`,
      rechtsform: 'Natürliche Person',
      betnr,
      syncStatus: 'clean',
      assignedUserId: 'user-sb',
    }).id;
    return { id, betnr };
  }

  function newAccount(beteiligteId: string, fields: Partial<CBankverbindungen> = {}): string {
    return espo.put<CBankverbindungen>('CBankverbindungen', {
      name: `Konto ${++seq}`,
      iban: 'DE89 3704 0044 0532 0130 00',
      bic: 'COBADEFFXXX',
      kontoinhaber: 'Erika Mustermann',
      bankname: 'Commerzbank',
      istAktiv: true,
      istStandard: false,
      beteiligteId,
      syncStatus: 'unclean',
      ...fields,
    }).id;
  }

  const account = (id: string) => espo.get<CBankverbindungen>('CBankverbindungen', id)!;
  const advowareAccount = (betnr: number, id: string) =>
    advoware
      .bankverbindungen(betnr)
      .find((b) => String(b.bemerkung ?? '').startsWith(`[ESPOCRM:${id}]`));
  const advowareWrites = (method: string, template: string, betnr: number) =>
    advoware.requests.filter(
      (r) =>
        r.method === method && r.route === template && r.path.includes(`/Beteiligte/${betnr}/`),
    ).length;
  const espoWritesTo = (id: string) =>
    espo.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/CBankverbindungen/${id}`));
  const openTasks = (parentType: string, parentId: string) =>
    espo
      .records<EspoTask>('Task')
      .filter(
        (t) => t.parentType === parentType && t.parentId === parentId && t.status !== 'Completed',
      );

  const idle = () => queuesIdle(hub, ['vmh-bankverbindungen', 'vmh-beteiligte']);

  async function syncedAccount(
    fields: Partial<CBankverbindungen> = {},
  ): Promise<{ party: { id: string; betnr: number }; id: string; kontoId: number }> {
    const party = syncedParty();
    const id = newAccount(party.id, fields);
    expect((await post('create', [id])).status).toBe(200);
    await waitFor(() => account(id).syncStatus === 'clean', { what: 'account clean' });
    await idle();
    return { party, id, kontoId: Number(account(id).advowareKontoId) };
  }

  it('creates the account below its party in Advoware and stores advowareKontoId, clean', async () => {
    const party = syncedParty();
    const id = newAccount(party.id, { iban: 'de89 3704 0044 0532 0130 00', istStandard: true });
    const res = await post('create', [id]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'received',
      action: 'vmh.bankverbindungen.create',
      new_ids_count: 1,
      total_ids_in_batch: 1,
    });

    await waitFor(() => account(id).syncStatus === 'clean', { what: 'account clean' });
    const stored = account(id);
    const created = advowareAccount(party.betnr, id);
    expect(created).toMatchObject({
      iban: IBAN_DE,
      bic: 'COBADEFFXXX',
      kontoinhaber: 'Erika Mustermann',
      bankname: 'Commerzbank',
      istStandard: true,
      bemerkung: `[ESPOCRM:${id}]`,
    });
    expect(stored.advowareKontoId).toBe(created!.id);
    expect(stored.advowareLastSync).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(stored.syncErrorMessage ?? null).toBeNull();
    await idle();
    // The echo of the hub's own EspoCRM write ends without another write on either side.
    expect(advowareWrites('POST', BANK_ROUTE, party.betnr)).toBe(1);
    expect(advowareWrites('PUT', BANK_ITEM_ROUTE, party.betnr)).toBe(0);
    expect(espoWritesTo(id)).toHaveLength(1);
  });

  it('puts a changed account once and writes nothing on either side when nothing changed', async () => {
    const { party, id, kontoId } = await syncedAccount();
    espo.patch('CBankverbindungen', id, { kontoinhaber: 'Max Mustermann', iban: IBAN_AT, bic: '' });
    expect((await post('update', [id])).status).toBe(200);
    await waitFor(
      () => advoware.bankverbindungen(party.betnr)[0]?.kontoinhaber === 'Max Mustermann',
      {
        what: 'Advoware updated',
      },
    );
    await idle();
    expect(advowareAccount(party.betnr, id)).toMatchObject({
      id: kontoId,
      iban: IBAN_AT,
      bic: null,
    });
    expect(advoware.bankverbindungen(party.betnr)).toHaveLength(1);
    expect(advowareWrites('PUT', BANK_ITEM_ROUTE, party.betnr)).toBe(1);
    expect(account(id)).toMatchObject({ syncStatus: 'clean', advowareKontoId: kontoId });

    const espoWrites = espoWritesTo(id).length;
    const finished = await finishedJobs(hub, 'vmh-bankverbindungen');
    expect((await post('update', [id])).status).toBe(200);
    // The no-change run happened (its job finished), and whatever it enqueued is done.
    await waitFor(async () => (await finishedJobs(hub, 'vmh-bankverbindungen')) > finished, {
      what: 'the update job to finish',
    });
    await idle();
    expect(advowareWrites('PUT', BANK_ITEM_ROUTE, party.betnr)).toBe(1);
    expect(advowareWrites('POST', BANK_ROUTE, party.betnr)).toBe(1);
    expect(espoWritesTo(id)).toHaveLength(espoWrites);
  });

  it('makes one Advoware account when the same create webhook arrives five times at once', async () => {
    const party = syncedParty();
    const id = newAccount(party.id);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('create', [id])));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await waitFor(() => account(id).syncStatus === 'clean', { what: 'account clean' });
    await idle();
    expect(advoware.bankverbindungen(party.betnr)).toHaveLength(1);
    expect(advowareWrites('POST', BANK_ROUTE, party.betnr)).toBe(1);
    expect(advowareWrites('PUT', BANK_ITEM_ROUTE, party.betnr)).toBe(0);
  });

  it.each([
    ['a wrong IBAN checksum', { iban: 'DE89370400440532013001' }, 'Prüfsumme'],
    ['a German IBAN of the wrong length', { iban: 'DE8937040044053201300' }, '22'],
    ['a BIC of 9 characters', { bic: 'COBADEFF1' }, 'BIC'],
  ])(
    'marks an account with %s failed with the reason and makes no Advoware call',
    async (_what, fields, reason) => {
      const party = syncedParty();
      const id = newAccount(party.id, fields);
      advoware.clearLog();
      expect((await post('create', [id])).status).toBe(200);
      await waitFor(() => account(id).syncStatus === 'failed', { what: 'account failed' });
      await idle();
      expect(account(id).syncErrorMessage).toContain(reason);
      expect(advoware.requests).toHaveLength(0);
      // Not retried: a second event finds the same failure and writes nothing new.
      const writes = espoWritesTo(id).length;
      expect((await post('update', [id])).status).toBe(200);
      await idle();
      expect(espoWritesTo(id)).toHaveLength(writes);
      expect(advoware.requests).toHaveLength(0);
    },
  );

  it('syncs an account that arrives before its party has a betnr after the party sync, recording no failure', async () => {
    const n = ++seq;
    const partyId = espo.put<CBeteiligte>('CBeteiligte', {
      name: `Hans Neumann${n}`,
      firstName: 'Hans',
      lastName: `Neumann${n}`,
      rechtsform: 'Natürliche Person',
      syncStatus: 'pending_sync',
    }).id;
    const id = newAccount(partyId, { iban: IBAN_DE_2, bic: null, syncStatus: null });

    // Only the account's webhook: the hub itself must get the party synced first.
    expect((await post('create', [id])).status).toBe(200);
    await waitFor(() => account(id).syncStatus === 'clean', {
      what: 'account clean after its party',
    });
    const party = espo.get<CBeteiligte>('CBeteiligte', partyId)!;
    expect(party.betnr).toEqual(expect.any(Number));
    expect(advowareAccount(Number(party.betnr), id)).toMatchObject({
      id: account(id).advowareKontoId,
      iban: IBAN_DE_2,
    });
    await idle();
    const statuses = espoWritesTo(id).map((r) => (r.body as { syncStatus?: string }).syncStatus);
    expect(statuses).not.toContain('failed');
    expect(await hub.app.get(JobProducer).queueFor('vmh-bankverbindungen').getFailedCount()).toBe(
      0,
    );
    // The party went to Advoware first, then its account.
    const order = advoware.requests
      .filter((r) => r.method === 'POST' && r.route !== '/api/v1/Token')
      .map((r) => r.route);
    expect(order.indexOf(`${ADVOWARE_API}/Beteiligte`)).toBeLessThan(order.indexOf(BANK_ROUTE));
    expect(advoware.count('POST', `${ADVOWARE_API}/Beteiligte`)).toBeGreaterThanOrEqual(1);
    expect(advoware.allBeteiligte().filter((b) => b.name === `Neumann${n}`)).toHaveLength(1);
  });

  it('finds its own account after a create whose answer was lost, instead of making a second one', async () => {
    const party = syncedParty();
    const id = newAccount(party.id);
    advoware.setFaults([
      { route: `POST ${BANK_ROUTE}`, status: 503, applyThenFail: true, times: 1 },
    ]);
    try {
      expect((await post('create', [id])).status).toBe(200);
      await waitFor(() => account(id).syncStatus === 'clean', { what: 'account clean' });
      await idle();
    } finally {
      advoware.setFaults([]);
    }
    const posts = advoware.requests.filter(
      (r) => r.method === 'POST' && r.route === BANK_ROUTE && r.path.includes(`/${party.betnr}/`),
    );
    expect(posts.map((r) => r.status)).toEqual([503]);
    expect(advoware.bankverbindungen(party.betnr)).toHaveLength(1);
    expect(account(id).advowareKontoId).toBe(advowareAccount(party.betnr, id)!.id);
  });

  it('does nothing in Advoware when an account that was never synced is deleted', async () => {
    const party = syncedParty();
    const id = newAccount(party.id);
    espo.remove('CBankverbindungen', id);
    advoware.clearLog();
    expect((await post('delete', [id])).status).toBe(200);
    await idle();
    expect(advoware.requests).toHaveLength(0);
    expect(openTasks('CBeteiligte', party.id)).toHaveLength(0);
  });

  it('turns a delete that Advoware refuses into one Task on the party, however often it arrives', async () => {
    const { party, id, kontoId } = await syncedAccount();
    espo.remove('CBankverbindungen', id);
    expect((await post('delete', [id])).status).toBe(200);
    await waitFor(() => openTasks('CBeteiligte', party.id).length === 1, { what: 'the Task' });
    await idle();
    expect((await post('delete', [id])).status).toBe(200);
    await idle();
    expect(advowareWrites('DELETE', BANK_ITEM_ROUTE, party.betnr)).toBe(2);

    const tasks = openTasks('CBeteiligte', party.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0].name).toContain(`Bankverbindung ${kontoId}`);
    expect(tasks[0].description).toContain(IBAN_DE);
    expect(tasks[0].assignedUserId).toBe('user-sb');
    // The account stays in Advoware until a person deletes it there.
    expect(advowareAccount(party.betnr, id)).toBeDefined();
  });

  it('drops a delete webhook for an account EspoCRM still has: no Advoware call, no Task, no write', async () => {
    const { party, id } = await syncedAccount();
    advoware.clearLog();
    const reads = () =>
      espo.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/CBankverbindungen/${id}`))
        .length;
    const readsBefore = reads();
    const writesBefore = espoWritesTo(id).length;
    expect((await post('delete', [id])).status).toBe(200);
    await waitFor(() => reads() > readsBefore, { what: 'the delete run reading the record' });
    await idle();
    expect(advoware.requests.filter((r) => !r.route.endsWith('/Token'))).toHaveLength(0);
    expect(openTasks('CBeteiligte', party.id)).toHaveLength(0);
    expect(espoWritesTo(id)).toHaveLength(writesBefore);
    expect(account(id).syncStatus).toBe('clean');
  });

  it('turns an update that Advoware refuses (403) into one Task and a truthful failed status', async () => {
    const { party, id } = await syncedAccount();
    advoware.setFaults([{ route: `PUT ${BANK_ITEM_ROUTE}`, status: 403 }]);
    try {
      espo.patch('CBankverbindungen', id, { bankname: 'Deutsche Bank', syncStatus: 'unclean' });
      expect((await post('update', [id])).status).toBe(200);
      await waitFor(() => account(id).syncStatus === 'failed', { what: 'account failed' });
      await idle();
      expect((await post('update', [id])).status).toBe(200);
      await idle();
    } finally {
      advoware.setFaults([]);
    }
    expect(account(id).syncErrorMessage).toContain('abgelehnt');
    const tasks = openTasks('CBankverbindungen', id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0].name).toContain('ändern');
    expect(advowareAccount(party.betnr, id)?.bankname).toBe('Commerzbank');
  });

  it('sends only the most recently modified of several standard accounts as standard', async () => {
    const { party, id: older } = await syncedAccount({ istStandard: true });
    expect(advowareAccount(party.betnr, older)?.istStandard).toBe(true);
    // EspoCRM's modifiedAt has whole seconds: the newer account must be made in a later
    // second than the older one's last change, or the two tie.
    const olderSecond = Date.parse(`${String(account(older).modifiedAt).replace(' ', 'T')}Z`);
    await waitFor(() => Math.floor(Date.now() / 1000) * 1000 > olderSecond, {
      what: "EspoCRM's clock to pass the older account's second",
    });
    const newer = newAccount(party.id, { iban: IBAN_AT, istStandard: true });
    expect((await post('create', [newer])).status).toBe(200);
    await waitFor(
      () =>
        advowareAccount(party.betnr, newer)?.istStandard === true &&
        advowareAccount(party.betnr, older)?.istStandard === false,
      { what: 'one standard account in Advoware' },
    );
    await idle();
    expect(advoware.bankverbindungen(party.betnr).filter((b) => b.istStandard)).toHaveLength(1);
    expect(account(older).syncStatus).toBe('clean');
  });

  it('picks up unclean and failed accounts on the cron check', async () => {
    const party = syncedParty();
    const unclean = newAccount(party.id);
    const failed = newAccount(party.id, {
      iban: IBAN_AT,
      syncStatus: 'failed',
      syncErrorMessage: 'timeout',
    });
    const res = await hub.ops('/_console/cron/trigger', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'vmh-bankverbindungen-sync-check' }),
    });
    expect(res.status).toBe(202);
    await waitFor(
      () => account(unclean).syncStatus === 'clean' && account(failed).syncStatus === 'clean',
      {
        what: 'both accounts clean',
      },
    );
    expect(account(failed).syncErrorMessage ?? null).toBeNull();
    expect(advoware.bankverbindungen(party.betnr)).toHaveLength(2);
  });
});
