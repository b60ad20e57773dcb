import { jest } from '@jest/globals';
import { JobProducer } from '../../src/core/queue/job-producer.service.js';
import type {
  CAdressen,
  CBeteiligte,
  EspoRecord,
} from '../../src/integrations/espocrm/espocrm.types.js';
import { BeteiligteTopics } from '../../src/vmh/beteiligte/beteiligte.jobs.js';
import { parseBemerkung } from '../../src/vmh/beteiligte/kommunikation.diff.js';
import {
  ALL_ADVOWARE_DEVIATIONS,
  type AdvowareFake,
  type AdvowareFakeVariants,
  startAdvowareFake,
} from '../fakes/advoware/advoware.fake.js';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { postJson, startHub, waitFor, type RunningHub } from '../support/hub.js';
import { testEnv } from '../support/test-env.js';

const API = '/api/v1/advonet';
const LONG_AGO = '2020-01-01 00:00:00';

jest.setTimeout(30_000);

/**
 * The suite runs once per Advoware shape: as documented, as the "done when"
 * describes a real installation (documented casing and embedded kommunikation, but
 * zone-less local times and unknown fields dropped), and with every deviation on.
 */
const SHAPES: Array<[string, Partial<AdvowareFakeVariants>]> = [
  ['documented shape', {}],
  ['zone-less times, unknown fields dropped', { zonelessTimes: true, dropUnknownFields: true }],
  ['every deviation on', ALL_ADVOWARE_DEVIATIONS],
];

describe.each(SHAPES)(
  'VMH Beteiligte sync (webhook → queue → fakes, real Redis), Advoware: %s',
  (_shape, variants) => {
    let espo: EspoCrmFake;
    let adv: AdvowareFake;
    let hub: RunningHub;
    let producer: JobProducer;

    beforeAll(async () => {
      espo = await startEspoCrmFake();
      adv = await startAdvowareFake({ variants });
      hub = await startHub(
        testEnv(
          { espocrm: espo.apiUrl, advoware: adv.url, advowareAuth: `${adv.url}/api/v1/Token` },
          { JOB_ATTEMPTS: '3', LOCK_TTL_MS: '2000', VMH_BETEILIGTE_SYNC_CRON: '0 0 0 1 1 *' },
        ),
      );
      producer = hub.app.get(JobProducer);
    });

    afterAll(async () => {
      await hub?.close();
      await espo?.close();
      await adv?.close();
    });

    afterEach(() => {
      adv.setFaults([]);
      espo.setFaults([]);
    });

    const hook = (action: 'create' | 'update' | 'delete', ids: string[]) =>
      postJson(
        `${hub.url}/vmh/webhook/beteiligte/${action}`,
        ids.map((id) => ({ id })),
      );

    const beteiligte = (id: string) => espo.get<CBeteiligte>('CBeteiligte', id)!;

    /** The queue is empty and stays so for a moment: every run caused by the test has ended. */
    async function settled(): Promise<void> {
      const q = producer.queueFor(BeteiligteTopics.Update);
      let quiet = 0;
      await waitFor(
        async () => {
          const c = await q.getJobCounts();
          quiet = c.waiting + c.active + c.delayed === 0 ? quiet + 1 : 0;
          return quiet >= 6;
        },
        { what: 'the Beteiligte queue to be idle', intervalMs: 50 },
      );
    }

    const advowareWrites = () =>
      Object.entries(adv.counts())
        .filter(([k]) => !k.startsWith('GET') && !k.includes('/Token'))
        .reduce((n, [, c]) => n + c, 0);

    function newParty(over: Partial<CBeteiligte> = {}): CBeteiligte {
      return espo.put<CBeteiligte>('CBeteiligte', {
        name: 'Erika Mustermann',
        firstName: 'Erika',
        lastName: 'Mustermann',
        rechtsform: 'Natürliche Person',
        anrede: 'Frau',
        geburtsdatum: '1980-05-17',
        syncStatus: 'pending_sync',
        assignedUserId: 'user-1',
        emailAddressData: [{ emailAddress: 'erika@example.de', primary: true }],
        phoneNumberData: [
          { phoneNumber: '+49 30 1234', type: 'Office', primary: true },
          { phoneNumber: '+49 170 5555', type: 'Mobile', primary: false },
        ],
        ...over,
      });
    }

    async function createSynced(
      over: Partial<CBeteiligte> = {},
    ): Promise<CBeteiligte & { betnr: number }> {
      const e = newParty(over);
      await hook('create', [e.id]);
      const synced = await waitFor(
        () => {
          const b = beteiligte(e.id);
          return b.syncStatus === 'clean' && b.betnr ? b : undefined;
        },
        { what: `CBeteiligte ${e.id} clean` },
      );
      await settled();
      return synced as CBeteiligte & { betnr: number };
    }

    /** A user edit as EspoCRM records it: new field values, `dirty`, a newer modifiedAt. */
    const userEdit = (id: string, fields: Record<string, unknown>) =>
      espo.patch('CBeteiligte', id, { ...fields, syncStatus: 'dirty' });

    const notifications = (id: string) =>
      espo.records<EspoRecord>('Notification').filter((n) => n.relatedId === id);

    it('answers the intake contract and 400 for a malformed body', async () => {
      const ok = await hook('update', ['nope-1', 'nope-1']);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        status: 'received',
        action: 'vmh.beteiligte.update',
        new_ids_count: 1,
        total_ids_in_batch: 2,
      });
      const bad = await postJson(`${hub.url}/vmh/webhook/beteiligte/create`, {
        id: 'not-an-array',
      });
      expect(bad.status).toBe(400);
      await settled();
    });

    it('creates the Advoware party with Kommunikationen and address, writes betnr back and ends clean', async () => {
      const e = newParty();
      const adresse = espo.put<CAdressen>('CAdressen', {
        name: 'Wohnung',
        strasse: 'Hauptstr. 1',
        plz: '10115',
        ort: 'Berlin',
        land: 'DE',
        istStandard: true,
        beteiligteId: e.id,
      });
      const synced = await createSynced({ id: e.id });
      const party = adv.beteiligte(synced.betnr)!;
      expect(party).toMatchObject({ name: 'Mustermann', vorname: 'Erika', anrede: 'Frau' });
      // externeId is our assumption: an Advoware that drops unknown fields never keeps it.
      expect(party.externeId).toBe(variants.dropUnknownFields ? undefined : e.id);
      expect(synced.advowareRowId).toBe(party.rowId);
      expect(synced.advowareLastSync).toBeTruthy();
      expect(synced.kommunikationHash).toMatch(/^[0-9a-f]{16}$/);
      const komm = adv.kommunikationen(synced.betnr);
      expect(komm.map((k) => [k.kommKz, k.tlf]).sort()).toEqual([
        [1, '+49 30 1234'],
        [3, '+49 170 5555'],
        [4, 'erika@example.de'],
      ]);
      expect(komm.every((k) => parseBemerkung(k.bemerkung).type === 'marked')).toBe(true);
      const adressen = adv.adressen(synced.betnr);
      expect(adressen).toHaveLength(1);
      expect(adressen[0]).toMatchObject({
        strasse: 'Hauptstr. 1',
        plz: '10115',
        ort: 'Berlin',
        land: 'DE',
      });
      expect(adressen[0].bemerkung).toContain(adresse.id);
    });

    it('ends the echo of its own write as no_change with zero writes', async () => {
      const synced = await createSynced();
      adv.clearLog();
      espo.clearLog();
      await hook('update', [synced.id]);
      await waitFor(() => espo.count('GET', '/api/v1/:entity/:id') >= 1, { what: 'the echo run' });
      await settled();
      expect(advowareWrites()).toBe(0);
      expect(espo.countWrites()).toBe(0);
      expect(beteiligte(synced.id).syncStatus).toBe('clean');
    });

    it('makes Advoware follow an EspoCRM change and EspoCRM follow an Advoware change', async () => {
      const synced = await createSynced();
      userEdit(synced.id, {
        lastName: 'Schmidt',
        phoneNumberData: [{ phoneNumber: '+49 30 9999', type: 'Office', primary: true }],
      });
      await hook('update', [synced.id]);
      await waitFor(() => adv.beteiligte(synced.betnr)?.name === 'Schmidt', {
        what: 'Advoware name updated',
      });
      await waitFor(() => beteiligte(synced.id).syncStatus === 'clean', { what: 'clean again' });
      await settled();
      const phones = adv.kommunikationen(synced.betnr).filter((k) => k.kommKz !== 4);
      expect(phones.find((k) => k.kommKz === 1)?.tlf).toBe('+49 30 9999');
      expect(phones.find((k) => k.kommKz === 3)).toMatchObject({
        tlf: '',
        bemerkung: '[ESPOCRM-SLOT:3]',
      });

      adv.putBeteiligte(synced.betnr, { vorname: 'Erika Maria' });
      const mail = adv.kommunikationen(synced.betnr).find((k) => k.kommKz === 4)!;
      adv.putKommunikation(synced.betnr, mail.id, { tlf: 'neu@example.de' });
      await hook('update', [synced.id]);
      await waitFor(() => beteiligte(synced.id).firstName === 'Erika Maria', {
        what: 'EspoCRM firstName updated',
      });
      await settled();
      const after = beteiligte(synced.id);
      expect(after.emailAddressData).toEqual([{ emailAddress: 'neu@example.de', primary: true }]);
      expect(after.syncStatus).toBe('clean');
      expect(after.advowareRowId).toBe(adv.beteiligte(synced.betnr)!.rowId);
    });

    it('removes from EspoCRM a phone deleted only in Advoware and never calls DELETE', async () => {
      const synced = await createSynced();
      const mobile = adv.kommunikationen(synced.betnr).find((k) => k.kommKz === 3)!;
      adv.removeKommunikation(synced.betnr, mobile.id);
      await hook('update', [synced.id]);
      await waitFor(() => beteiligte(synced.id).phoneNumberData?.length === 1, {
        what: 'the mobile removed in EspoCRM',
      });
      await settled();
      expect(beteiligte(synced.id).phoneNumberData).toEqual([
        { phoneNumber: '+49 30 1234', type: 'Office', primary: true },
      ]);
      expect(adv.kommunikationen(synced.betnr)).toHaveLength(2);
      expect(Object.keys(adv.counts()).some((k) => k.startsWith('DELETE'))).toBe(false);
    });

    it('lets EspoCRM win a conflict, sets conflict and notifies the assigned user', async () => {
      const synced = await createSynced();
      adv.putBeteiligte(synced.betnr, { name: 'AdvoName' });
      userEdit(synced.id, { lastName: 'EspoName' });
      await hook('update', [synced.id]);
      await waitFor(() => beteiligte(synced.id).syncStatus === 'conflict', {
        what: 'conflict status',
      });
      await settled();
      expect(adv.beteiligte(synced.betnr)!.name).toBe('EspoName');
      expect(notifications(synced.id)).toEqual([
        expect.objectContaining({ userId: 'user-1', type: 'Message' }),
      ]);
    });

    it('marks deleted_in_advoware on a 404 for a known betnr, notifies and never recreates', async () => {
      const synced = await createSynced();
      adv.removeBeteiligte(synced.betnr);
      const before = adv.allBeteiligte().length;
      userEdit(synced.id, { lastName: 'Weg' });
      await hook('update', [synced.id]);
      await waitFor(() => beteiligte(synced.id).syncStatus === 'deleted_in_advoware', {
        what: 'deleted_in_advoware',
      });
      await hook('update', [synced.id]);
      await settled();
      expect(adv.allBeteiligte()).toHaveLength(before);
      expect(notifications(synced.id)).toHaveLength(1);
    });

    it('makes exactly one Advoware party when the first create answer is lost', async () => {
      adv.clearLog();
      adv.setFaults([
        { route: `POST ${API}/Beteiligte`, status: 503, times: 1, applyThenFail: true },
      ]);
      const synced = await createSynced({ lastName: 'Verloren', name: 'Erika Verloren' });
      // Found again by externeId, or (when Advoware dropped it) through the create journal.
      expect(adv.allBeteiligte().filter((b) => b.name === 'Verloren')).toEqual([
        expect.objectContaining({ betNr: synced.betnr, vorname: 'Erika' }),
      ]);
      expect(adv.count('POST', `${API}/Beteiligte`)).toBe(1);
      expect(
        adv
          .kommunikationen(synced.betnr)
          .map((k) => k.tlf)
          .sort(),
      ).toEqual(['+49 170 5555', '+49 30 1234', 'erika@example.de']);
    });

    it('ends clean with phone and email in Advoware, reading Kommunikation from the party record when it embeds them', async () => {
      adv.clearLog();
      const synced = await createSynced({ lastName: 'Eingebettet', name: 'Erika Eingebettet' });
      expect(synced.syncStatus).toBe('clean');
      expect(
        adv
          .kommunikationen(synced.betnr)
          .map((k) => [k.kommKz, k.tlf])
          .sort(),
      ).toEqual([
        [1, '+49 30 1234'],
        [3, '+49 170 5555'],
        [4, 'erika@example.de'],
      ]);
      const listCalls = adv.count('GET', `${API}/Beteiligte/:betnr/Kommunikationen`);
      if (variants.separateKommunikation) expect(listCalls).toBeGreaterThan(0);
      else expect(listCalls).toBe(0);
      // The echo of the hub's own write changes nothing, whatever the shape.
      adv.clearLog();
      await hook('update', [synced.id]);
      await waitFor(() => adv.count('GET', `${API}/Beteiligte/:betnr`) >= 1, {
        what: 'the echo run',
      });
      await settled();
      expect(advowareWrites()).toBe(0);
      expect(beteiligte(synced.id).syncStatus).toBe('clean');
    });

    it("first sync of an existing pair compares Advoware's time as Berlin time: a later EspoCRM edit wins", async () => {
      const changed = Date.now() - 2 * 3600_000;
      const party = adv.addBeteiligte({
        name: 'Zeitzone',
        vorname: 'Anna',
        rechtsform: 'Natürliche Person',
        geaendertAm: new Date(changed).toISOString(),
      });
      // EspoCRM was edited 30 minutes after Advoware; read as UTC, a zone-less Berlin time
      // would look an hour later than it is and win.
      const e = espo.put<CBeteiligte>('CBeteiligte', {
        firstName: 'Anna',
        lastName: 'EspoNeuer',
        rechtsform: 'Natürliche Person',
        betnr: party.betNr,
        syncStatus: 'clean',
        modifiedAt: new Date(changed + 30 * 60_000).toISOString().slice(0, 19).replace('T', ' '),
      });
      await hook('update', [e.id]);
      await waitFor(() => adv.beteiligte(party.betNr)?.name === 'EspoNeuer', {
        what: 'Advoware took the newer EspoCRM name',
      });
      await settled();
      expect(beteiligte(e.id).lastName).toBe('EspoNeuer');
    });

    it('turns 10 identical update webhooks into exactly one Advoware PUT', async () => {
      const synced = await createSynced();
      adv.clearLog();
      userEdit(synced.id, { lastName: 'Zehnmal' });
      await Promise.all(Array.from({ length: 10 }, () => hook('update', [synced.id])));
      await waitFor(() => beteiligte(synced.id).syncStatus === 'clean', { what: 'clean' });
      await settled();
      expect(adv.count('PUT', `${API}/Beteiligte/:betnr`)).toBe(1);
      expect(adv.beteiligte(synced.betnr)!.name).toBe('Zehnmal');
    });

    it('retries through injected 503s and ends clean', async () => {
      const synced = await createSynced();
      adv.setFaults([{ route: `GET ${API}/Beteiligte/:betnr`, status: 503, times: 4 }]);
      userEdit(synced.id, { lastName: 'Trotzdem' });
      await hook('update', [synced.id]);
      await waitFor(() => adv.beteiligte(synced.betnr)?.name === 'Trotzdem', {
        what: 'PUT after the 503s',
      });
      await waitFor(() => beteiligte(synced.id).syncStatus === 'clean', { what: 'clean' });
      expect(beteiligte(synced.id).syncRetryCount ?? 0).toBe(0);
    });

    it('fails validation errors at once with the reason: exactly one POST, no retry', async () => {
      await settled();
      adv.clearLog();
      const e = newParty({ firstName: null, lastName: null, name: '   ', rechtsform: 'GmbH' });
      await hook('create', [e.id]);
      const failed = await waitFor(
        () => (beteiligte(e.id).syncStatus === 'failed' ? beteiligte(e.id) : undefined),
        { what: 'failed' },
      );
      await settled();
      expect(failed.syncErrorMessage).toContain('name ist erforderlich');
      expect(failed.syncNextRetry ?? null).toBeNull();
      expect(
        adv.requests.filter((r) => r.method === 'POST' && r.route === `${API}/Beteiligte`),
      ).toEqual([expect.objectContaining({ status: 400 })]);
      // A validation failure is not scheduled for retry: still failed, still no next retry.
      expect(beteiligte(e.id)).toMatchObject({ syncStatus: 'failed', syncNextRetry: null });
    });

    it('follows the retry schedule and turns the fifth failed run into permanently_failed', async () => {
      const synced = await createSynced();
      adv.setFaults([{ route: `GET ${API}/Beteiligte/:betnr`, status: 403 }]);
      userEdit(synced.id, { lastName: 'Nie' });
      for (let n = 1; n <= 5; n++) {
        if (n > 1) espo.patch('CBeteiligte', synced.id, { syncNextRetry: LONG_AGO });
        await hook('update', [synced.id]);
        await waitFor(() => beteiligte(synced.id).syncRetryCount === n, { what: `failure ${n}` });
        await settled();
        const b = beteiligte(synced.id);
        if (n < 5) {
          expect(b.syncStatus).toBe('failed');
          expect(b.syncNextRetry! > b.modifiedAt!.slice(0, 19)).toBe(true);
        }
      }
      const b = beteiligte(synced.id);
      expect(b.syncStatus).toBe('permanently_failed');
      expect(b.syncAutoResetAt).toBeTruthy();
      // Held back while permanently failed: another webhook changes nothing.
      await hook('update', [synced.id]);
      await settled();
      expect(beteiligte(synced.id).syncRetryCount).toBe(5);
    });

    it('cron picks up a change made only in Advoware', async () => {
      const synced = await createSynced();
      espo.put('CBeteiligte', {
        ...beteiligte(synced.id),
        modifiedAt: '2020-01-01 00:00:00',
        advowareLastSync: '2020-01-01 00:00:01',
      });
      adv.putBeteiligte(synced.betnr, { anrede: 'Frau Dr.' });
      const { functions } = (await (await hub.ops('/_console/functions')).json()) as {
        functions: Array<{ function_id: string }>;
      };
      const id = functions.find((f) => f.function_id === 'vmh-beteiligte-sync-check')?.function_id;
      expect(id).toBeDefined();
      const res = await hub.ops('/_console/cron/trigger', {
        method: 'POST',
        body: JSON.stringify({ function_id: id }),
      });
      expect(res.status).toBeLessThan(300);
      await waitFor(() => beteiligte(synced.id).anrede === 'Frau Dr.', {
        what: 'EspoCRM anrede from Advoware',
      });
      await settled();
      expect(beteiligte(synced.id).syncStatus).toBe('clean');
    });

    it('first sync of an existing pair: newer Advoware data wins and an equal unmarked email is only marked', async () => {
      const party = adv.addBeteiligte({
        name: 'Altbestand',
        vorname: 'Anna',
        rechtsform: 'Natürliche Person',
        geaendertAm: new Date().toISOString(),
        kommunikationen: [{ kommKz: 4, tlf: 'anna@example.de', bemerkung: 'Hauptadresse' }],
      });
      const e = espo.put<CBeteiligte>('CBeteiligte', {
        firstName: 'Anna',
        lastName: 'Veraltet',
        rechtsform: 'Natürliche Person',
        betnr: party.betnr,
        syncStatus: 'clean',
        modifiedAt: LONG_AGO,
        emailAddressData: [{ emailAddress: 'anna@example.de', primary: true }],
      });
      await hook('update', [e.id]);
      await waitFor(() => beteiligte(e.id).lastName === 'Altbestand', {
        what: 'EspoCRM took the newer Advoware name',
      });
      await settled();
      expect(adv.beteiligte(party.betnr)!.name).toBe('Altbestand');
      const komm = adv.kommunikationen(party.betnr);
      expect(komm).toHaveLength(1);
      expect(parseBemerkung(komm[0].bemerkung)).toEqual({
        type: 'marked',
        value: 'anna@example.de',
        kommKz: 4,
        userText: 'Hauptadresse',
      });
      expect(beteiligte(e.id).emailAddressData).toEqual([
        { emailAddress: 'anna@example.de', primary: true },
      ]);
    });

    it('turns a read-only address difference into one Task, not one per run', async () => {
      const synced = await createSynced();
      const a = espo.put<CAdressen>('CAdressen', {
        strasse: 'Weg 2',
        plz: '20095',
        ort: 'Hamburg',
        land: 'DE',
        beteiligteId: synced.id,
      });
      userEdit(synced.id, { lastName: 'MitAdresse' });
      await hook('update', [synced.id]);
      await waitFor(() => adv.adressen(synced.betnr).length === 1, { what: 'address created' });
      await settled();
      espo.patch('CAdressen', a.id, { land: 'AT', strasse: 'Weg 3' });
      for (let i = 0; i < 2; i++) {
        userEdit(synced.id, { lastName: `MitAdresse${i}` });
        await hook('update', [synced.id]);
        await waitFor(() => adv.beteiligte(synced.betnr)?.name === `MitAdresse${i}`, {
          what: `run ${i}`,
        });
        await settled();
      }
      expect(adv.adressen(synced.betnr)[0]).toMatchObject({ strasse: 'Weg 3', land: 'DE' });
      const tasks = espo.records<EspoRecord>('Task').filter((t) => t.parentId === synced.id);
      expect(tasks).toHaveLength(1);
      expect(String(tasks[0].description)).toContain('readonly_field_conflict');
    });

    it('cron resets a permanently_failed entity whose 24 h are over and syncs it', async () => {
      const synced = await createSynced();
      espo.patch('CBeteiligte', synced.id, {
        lastName: 'Zurueck',
        // The edit that then failed five times, a day ago (after the last good sync).
        advowareLastSync: '2021-01-01 00:00:00',
        syncStatus: 'permanently_failed',
        syncRetryCount: 5,
        syncNextRetry: LONG_AGO,
        syncAutoResetAt: LONG_AGO,
        syncErrorMessage: 'old failure',
      });
      await hub.ops('/_console/cron/trigger', {
        method: 'POST',
        body: JSON.stringify({ function_id: 'vmh-beteiligte-sync-check' }),
      });
      await waitFor(() => adv.beteiligte(synced.betnr)?.name === 'Zurueck', {
        what: 'synced after the reset',
      });
      await waitFor(() => beteiligte(synced.id).syncStatus === 'clean', { what: 'clean' });
      await settled();
      expect(beteiligte(synced.id)).toMatchObject({ syncRetryCount: 0, syncErrorMessage: null });
    });

    it('drops a delete webhook for a record EspoCRM still has: no notification, no Task', async () => {
      const synced = await createSynced();
      const reads = () =>
        espo.requests.filter(
          (r) => r.method === 'GET' && r.path.endsWith(`/CBeteiligte/${synced.id}`),
        ).length;
      const before = reads();
      await hook('delete', [synced.id]);
      await waitFor(() => reads() > before, { what: 'the delete run reading the record' });
      await settled();
      expect(notifications(synced.id)).toHaveLength(0);
      expect(espo.records<EspoRecord>('Task').filter((t) => t.parentId === synced.id)).toHaveLength(
        0,
      );
      expect(beteiligte(synced.id).syncStatus).toBe('clean');
    });

    it('never deletes in Advoware when EspoCRM deletes, and notifies instead', async () => {
      const synced = await createSynced();
      espo.remove('CBeteiligte', synced.id);
      await hook('delete', [synced.id]);
      await waitFor(() => espo.records('Task').some((t) => t.parentId === synced.id), {
        what: 'a Task for the deletion',
      });
      expect(adv.beteiligte(synced.betnr)).toBeDefined();
    });
  },
);
