import { createHmac, randomUUID } from 'node:crypto';
import {
  ADVOWARE_API,
  ADVOWARE_TOKEN_PATH,
  type AdvowareFake,
  DEFAULT_ADVOWARE_CREDENTIALS,
  startAdvowareFake,
} from './advoware.fake.js';
import { advowareDemoData } from './demo-data.js';

const creds = DEFAULT_ADVOWARE_CREDENTIALS;

function tokenBody(
  overrides: Record<string, unknown> = {},
  key = creds.apiKey,
): Record<string, unknown> {
  const Nonce = (overrides.Nonce as string | undefined) ?? randomUUID();
  const RequestTimeStamp =
    (overrides.RequestTimeStamp as string | undefined) ?? new Date().toISOString();
  const HMAC512Signature = createHmac('sha512', Buffer.from(key, 'base64'))
    .update(`${creds.product}:${creds.appId}:${Nonce}:${RequestTimeStamp}`)
    .digest('base64');
  return {
    AppID: creds.appId,
    Kanzlei: creds.kanzlei,
    Database: creds.database,
    User: creds.user,
    Role: creds.role,
    Product: creds.product,
    Password: creds.password,
    Nonce,
    HMAC512Signature,
    RequestTimeStamp,
    ...overrides,
  };
}

describe('Advoware fake contract', () => {
  let fake: AdvowareFake;

  beforeAll(async () => {
    fake = await startAdvowareFake();
  });
  beforeEach(() => {
    fake.reset();
    fake.seed(advowareDemoData());
  });
  afterAll(async () => {
    await fake.close();
  });

  async function call(method: string, path: string, body?: unknown, token?: string) {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  async function token(): Promise<string> {
    const res = await call('POST', ADVOWARE_TOKEN_PATH, tokenBody());
    expect(res.status).toBe(200);
    return (res.body as { access_token: string }).access_token;
  }

  describe('token endpoint', () => {
    it('issues a token with expires_in for a correctly signed request', async () => {
      const res = await call('POST', ADVOWARE_TOKEN_PATH, tokenBody());
      expect(res).toMatchObject({
        status: 200,
        body: { access_token: expect.any(String), expires_in: 3300 },
      });
      expect(fake.tokenRequests).toBe(1);
    });

    it.each([
      [
        'a signature made with another key',
        tokenBody({}, Buffer.from('other').toString('base64')),
        'invalid_signature',
      ],
      [
        'a signature over other data',
        tokenBody({ HMAC512Signature: tokenBody().HMAC512Signature }),
        'invalid_signature',
      ],
      [
        'a timestamp 10 minutes old',
        tokenBody({ RequestTimeStamp: new Date(Date.now() - 600_000).toISOString() }),
        'invalid_request',
      ],
      [
        'a timestamp without zone',
        tokenBody({ RequestTimeStamp: '2024-05-01T10:00:00' }),
        'invalid_request',
      ],
      ['a nonce that is no UUID', tokenBody({ Nonce: 'abc' }), 'invalid_request'],
      ['a wrong password', tokenBody({ Password: 'nope' }), 'invalid_client'],
      ['a missing Kanzlei', tokenBody({ Kanzlei: undefined }), 'invalid_client'],
      ['Role as a string', tokenBody({ Role: '2' }), 'invalid_client'],
      ['a wrong Product', tokenBody({ Product: 1 }), 'invalid_client'],
    ])('answers 401 with a JSON error for %s', async (_name, body, error) => {
      const res = await call('POST', ADVOWARE_TOKEN_PATH, body);
      expect(res).toMatchObject({ status: 401, body: { error } });
      expect(fake.tokensIssued).toBe(0);
    });

    it('refuses a reused nonce', async () => {
      const body = tokenBody();
      expect((await call('POST', ADVOWARE_TOKEN_PATH, body)).status).toBe(200);
      expect(await call('POST', ADVOWARE_TOKEN_PATH, body)).toMatchObject({
        status: 401,
        body: { error: 'invalid_request' },
      });
      expect(fake.tokenRejections).toEqual(['invalid_request: Nonce already used']);
    });
  });

  describe('bearer auth', () => {
    it('answers 401 without a bearer token, with an unknown one and with an expired one', async () => {
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`)).status).toBe(401);
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`, undefined, 'made-up')).status).toBe(
        401,
      );
      const t = await token();
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`, undefined, t)).status).toBe(200);
      expect((await call('POST', '/__control/expire-tokens', {})).status).toBe(200);
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`, undefined, t)).status).toBe(401);
    });

    it('lets tokens run out on the fake clock', async () => {
      const t = await token();
      fake.advanceClock(3299_000);
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`, undefined, t)).status).toBe(200);
      await call('POST', '/__control/clock', { advanceMs: 2000 });
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`, undefined, t)).status).toBe(401);
    });
  });

  describe('Beteiligte', () => {
    it('creates with increasing numeric betNr, reads, filters by externeId and answers 404 for unknown', async () => {
      const t = await token();
      const a = await call(
        'POST',
        `${ADVOWARE_API}/Beteiligte`,
        { name: 'A', externeId: 'espo-a' },
        t,
      );
      const b = await call('POST', `${ADVOWARE_API}/Beteiligte`, { name: 'B' }, t);
      const betnrA = (a.body as { betNr: number }).betNr;
      const betnrB = (b.body as { betNr: number }).betNr;
      expect(a.status).toBe(201);
      expect(betnrB).toBeGreaterThan(betnrA);
      expect(
        (await call('GET', `${ADVOWARE_API}/Beteiligte/${betnrA}`, undefined, t)).body,
      ).toMatchObject({ name: 'A' });
      const found = await call('GET', `${ADVOWARE_API}/Beteiligte?externeId=espo-a`, undefined, t);
      expect((found.body as Array<{ betNr: number }>).map((x) => x.betNr)).toEqual([betnrA]);
      expect((await call('GET', `${ADVOWARE_API}/Beteiligte/424242`, undefined, t)).status).toBe(
        404,
      );
      expect(
        (await call('PUT', `${ADVOWARE_API}/Beteiligte/424242`, { name: 'x' }, t)).status,
      ).toBe(404);
    });

    it('changes rowId and geaendertAm on every write', async () => {
      const t = await token();
      const before = fake.beteiligte(10001)!;
      fake.advanceClock(1000);
      const put = await call(
        'PUT',
        `${ADVOWARE_API}/Beteiligte/10001`,
        { vorname: 'Hans-Peter', rowId: 'forged' },
        t,
      );
      const after = put.body as {
        rowId: string;
        geaendertAm: string;
        vorname: string;
        name: string;
      };
      expect(after).toMatchObject({ vorname: 'Hans-Peter', name: 'Müller' });
      expect(after.rowId).not.toBe(before.rowId);
      expect(after.rowId).not.toBe('forged');
      expect(after.geaendertAm > String(before.geaendertAm)).toBe(true);
      const again = (
        await call('PUT', `${ADVOWARE_API}/Beteiligte/10001`, { vorname: 'Hans-Peter' }, t)
      ).body as { rowId: string };
      expect(again.rowId).not.toBe(after.rowId);
    });

    it('counts overlapping writes per Beteiligte', async () => {
      fake.writeHoldMs = 50;
      const t = await token();
      await Promise.all([
        call('PUT', `${ADVOWARE_API}/Beteiligte/10001`, { vorname: 'x' }, t),
        call(
          'POST',
          `${ADVOWARE_API}/Beteiligte/10001/Kommunikationen`,
          { kommKz: 1, tlf: '1' },
          t,
        ),
      ]);
      expect(fake.maxConcurrentWrites('Beteiligte:10001')).toBe(2);
      await call('PUT', `${ADVOWARE_API}/Beteiligte/10001`, { vorname: 'y' }, t);
      expect(fake.maxConcurrentWrites('Beteiligte:10001')).toBe(2);
    });
  });

  describe('Kommunikationen', () => {
    it('creates and updates, keeps kommKz on PUT, changes rowId, and refuses DELETE with 403', async () => {
      const t = await token();
      const [phone] = fake.kommunikationen(10001);
      const put = await call(
        'PUT',
        `${ADVOWARE_API}/Beteiligte/10001/Kommunikationen/${phone.id}`,
        { kommKz: 4, tlf: '+49 30 999' },
        t,
      );
      expect(put.body).toMatchObject({ id: phone.id, kommKz: phone.kommKz, tlf: '+49 30 999' });
      expect((put.body as { rowId: string }).rowId).not.toBe(phone.rowId);
      const del = await call(
        'DELETE',
        `${ADVOWARE_API}/Beteiligte/10001/Kommunikationen/${phone.id}`,
        undefined,
        t,
      );
      expect(del.status).toBe(403);
      expect(fake.kommunikationen(10001)).toHaveLength(2);
    });

    it('reports kommKz 0 on GET for flagged entries while keeping the true value', async () => {
      const t = await token();
      const [phone, email] = fake.kommunikationen(10001);
      fake.reportKommKzZero(email.id);
      const list = (
        await call('GET', `${ADVOWARE_API}/Beteiligte/10001/Kommunikationen`, undefined, t)
      ).body as Array<{
        id: number;
        kommKz: number;
      }>;
      expect(list.find((k) => k.id === phone.id)?.kommKz).toBe(1);
      expect(list.find((k) => k.id === email.id)?.kommKz).toBe(0);
      expect(fake.kommunikationen(10001).find((k) => k.id === email.id)?.kommKz).toBe(4);
    });
  });

  describe('Adressen and Bankverbindungen', () => {
    it('accepts every field on POST but changes only strasse, plz, ort and anschrift on PUT', async () => {
      const t = await token();
      const created = (
        await call(
          'POST',
          `${ADVOWARE_API}/Beteiligte/10001/Adressen`,
          {
            strasse: 'A-Weg 1',
            plz: '1',
            ort: 'X',
            land: 'AT',
            bemerkung: 'espo:adr1',
            reihenfolgeIndex: 2,
          },
          t,
        )
      ).body as { id: number; rowId: string };
      expect(created).toMatchObject({ land: 'AT', bemerkung: 'espo:adr1', reihenfolgeIndex: 2 });
      const put = await call(
        'PUT',
        `${ADVOWARE_API}/Beteiligte/10001/Adressen/${created.id}`,
        {
          strasse: 'B-Weg 2',
          plz: '2',
          ort: 'Y',
          anschrift: 'neu',
          land: 'DE',
          bemerkung: 'changed',
          gueltigBis: '2030-01-01',
          standardAnschrift: true,
        },
        t,
      );
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({
        strasse: 'B-Weg 2',
        plz: '2',
        ort: 'Y',
        anschrift: 'neu',
        land: 'AT',
        bemerkung: 'espo:adr1',
      });
      expect(put.body).not.toHaveProperty('gueltigBis');
      expect(put.body).not.toHaveProperty('standardAnschrift');
      expect((put.body as { rowId: string }).rowId).not.toBe(created.rowId);
      expect(
        (
          await call(
            'DELETE',
            `${ADVOWARE_API}/Beteiligte/10001/Adressen/${created.id}`,
            undefined,
            t,
          )
        ).status,
      ).toBe(403);
    });

    it('creates and updates a Bankverbindung and refuses its DELETE with 403', async () => {
      const t = await token();
      const created = (
        await call(
          'POST',
          `${ADVOWARE_API}/Beteiligte/10001/Bankverbindungen`,
          { iban: 'DE02120300000000202051' },
          t,
        )
      ).body as { id: number };
      const put = await call(
        'PUT',
        `${ADVOWARE_API}/Beteiligte/10001/Bankverbindungen/${created.id}`,
        { bic: 'BYLADEM1001' },
        t,
      );
      expect(put.body).toMatchObject({ iban: 'DE02120300000000202051', bic: 'BYLADEM1001' });
      expect(
        (
          await call(
            'DELETE',
            `${ADVOWARE_API}/Beteiligte/10001/Bankverbindungen/${created.id}`,
            undefined,
            t,
          )
        ).status,
      ).toBe(403);
      expect(fake.bankverbindungen(10001)).toHaveLength(2);
    });
  });

  describe('Termine', () => {
    it('honours lowercase frnr and ignores frNr, answering the unfiltered list', async () => {
      const t = await token();
      const byLower = (await call('GET', `${ADVOWARE_API}/Termine?frnr=70003`, undefined, t))
        .body as unknown[];
      expect(byLower).toEqual([expect.objectContaining({ frNr: 70003 })]);
      const byCamel = (await call('GET', `${ADVOWARE_API}/Termine?frNr=70003`, undefined, t))
        .body as unknown[];
      expect(byCamel).toHaveLength(fake.termine().length);
    });

    it('filters by kuerzel and overlapping date window, multi-day appointments included', async () => {
      const t = await token();
      const multi = fake.termin(70013)!;
      const day = String(multi.datumBis).slice(0, 10);
      const list = (
        await call('GET', `${ADVOWARE_API}/Termine?kuerzel=AB&von=${day}&bis=${day}`, undefined, t)
      ).body as Array<{
        frNr: number;
      }>;
      expect(list.map((x) => x.frNr)).toEqual([70013]);
    });

    it('creates, updates (moving zuletztGeaendertAm) and deletes by frNr', async () => {
      const t = await token();
      const created = (
        await call(
          'POST',
          `${ADVOWARE_API}/Termine`,
          { kuerzel: 'MS', datum: '2030-01-02', text: 'neu' },
          t,
        )
      ).body as {
        frNr: number;
        zuletztGeaendertAm: string;
      };
      fake.advanceClock(1000);
      const put = (
        await call('PUT', `${ADVOWARE_API}/Termine/${created.frNr}`, { text: 'geändert' }, t)
      ).body as {
        zuletztGeaendertAm: string;
      };
      expect(put).toMatchObject({ frNr: created.frNr, text: 'geändert', kuerzel: 'MS' });
      expect(put.zuletztGeaendertAm > created.zuletztGeaendertAm).toBe(true);
      expect(
        (await call('DELETE', `${ADVOWARE_API}/Termine/${created.frNr}`, undefined, t)).status,
      ).toBe(204);
      expect(fake.termin(created.frNr)).toBeUndefined();
      expect(
        (await call('DELETE', `${ADVOWARE_API}/Termine/${created.frNr}`, undefined, t)).status,
      ).toBe(404);
    });
  });

  describe('documented shape (default) and the variant switches', () => {
    const party = async (t: string) =>
      (await call('GET', `${ADVOWARE_API}/Beteiligte/10001`, undefined, t)).body as Record<
        string,
        unknown
      >;

    it('by default answers camelCase betNr, embeds kommunikation in the party and sends times with an offset', async () => {
      const t = await token();
      const p = await party(t);
      expect(p.betNr).toBe(10001);
      expect(p).not.toHaveProperty('betnr');
      expect(String(p.geaendertAm)).toMatch(/(Z|[+-]\d{2}:\d{2})$/);
      const komm = p.kommunikation as Array<Record<string, unknown>>;
      expect(komm).toHaveLength(2);
      for (const k of komm) {
        expect(Object.keys(k).sort()).toEqual(
          ['bemerkung', 'betNr', 'id', 'kommArt', 'kommKz', 'online', 'rowId', 'tlf'].sort(),
        );
        expect(k.betNr).toBe(10001);
      }
      const list = (
        await call('GET', `${ADVOWARE_API}/Beteiligte/10001/Kommunikationen`, undefined, t)
      ).body as unknown[];
      expect(list).toEqual(komm);
    });

    it('lowercaseIds answers betnr and frnr instead', async () => {
      fake.setVariants({ lowercaseIds: true });
      const t = await token();
      const p = await party(t);
      expect(p.betnr).toBe(10001);
      expect(p).not.toHaveProperty('betNr');
      expect((p.kommunikation as Array<Record<string, unknown>>)[0]).toHaveProperty('betnr', 10001);
      const termine = (await call('GET', `${ADVOWARE_API}/appointments?frnr=70001`, undefined, t))
        .body as Array<Record<string, unknown>>;
      expect(termine).toEqual([expect.objectContaining({ frnr: 70001 })]);
      expect(termine[0]).not.toHaveProperty('frNr');
    });

    it('separateKommunikation leaves the array out of the party; the list endpoint still has it', async () => {
      fake.setVariants({ separateKommunikation: true });
      const t = await token();
      expect(await party(t)).not.toHaveProperty('kommunikation');
      const list = (
        await call('GET', `${ADVOWARE_API}/Beteiligte/10001/Kommunikationen`, undefined, t)
      ).body as unknown[];
      expect(list).toHaveLength(2);
    });

    it('zonelessTimes sends Berlin wall-clock without offset', async () => {
      fake.addBeteiligte({ betNr: 20001, name: 'Winter', geaendertAm: '2026-12-04T13:05:00Z' });
      fake.addTermin({
        frNr: 79001,
        datum: '2026-07-01',
        zuletztGeaendertAm: '2026-07-01T12:00:00Z',
      });
      fake.setVariants({ zonelessTimes: true });
      const t = await token();
      const p = (await call('GET', `${ADVOWARE_API}/Beteiligte/20001`, undefined, t)).body as {
        geaendertAm: string;
      };
      expect(p.geaendertAm).toBe('2026-12-04T14:05:00');
      const [termin] = (await call('GET', `${ADVOWARE_API}/appointments?frnr=79001`, undefined, t))
        .body as Array<{ zuletztGeaendertAm: string }>;
      expect(termin.zuletztGeaendertAm).toBe('2026-07-01T14:00:00');
      const fresh = (await call('PUT', `${ADVOWARE_API}/Beteiligte/20001`, { vorname: 'W' }, t))
        .body as { geaendertAm: string };
      expect(fresh.geaendertAm).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    });

    it('dropUnknownFields keeps only known fields on write: externeId is lost', async () => {
      fake.setVariants({ dropUnknownFields: true });
      const t = await token();
      const created = (
        await call('POST', `${ADVOWARE_API}/Beteiligte`, { name: 'Neu', externeId: 'espo-x' }, t)
      ).body as { betNr: number; name: string };
      expect(created.name).toBe('Neu');
      expect(created).not.toHaveProperty('externeId');
      expect(fake.beteiligte(created.betNr)).not.toHaveProperty('externeId');
      const byId = (await call('GET', `${ADVOWARE_API}/Beteiligte?externeId=espo-x`, undefined, t))
        .body as unknown[];
      expect(byId).toEqual([]);
      await call(
        'PUT',
        `${ADVOWARE_API}/Beteiligte/10001`,
        { externeId: 'espo-y', vorname: 'H' },
        t,
      );
      expect(fake.beteiligte(10001)).toMatchObject({ vorname: 'H', externeId: null });
    });

    it('pages employees as {data, total} with limit/offset, or as a bare array with employeesBareArray', async () => {
      const t = await token();
      const page = (await call('GET', `${ADVOWARE_API}/employees?limit=1&offset=1`, undefined, t))
        .body as { data: Array<{ kuerzel: string }>; total: number };
      expect(page).toEqual({ data: [expect.objectContaining({ kuerzel: 'AB' })], total: 2 });
      fake.setVariants({ employeesBareArray: true });
      const bare = (await call('GET', `${ADVOWARE_API}/employees`, undefined, t)).body as Array<{
        kuerzel: string;
      }>;
      expect(bare.map((m) => m.kuerzel)).toEqual(['MS', 'AB']);
    });

    it('appointments: POST {datum, uhrzeitVon, text} answers {id}; PUT and DELETE appointments/{id}; list by frnr', async () => {
      const t = await token();
      const created = await call(
        'POST',
        `${ADVOWARE_API}/appointments`,
        { datum: '2026-12-10', uhrzeitVon: '10:00:00', text: 'Neu', kuerzel: 'MS' },
        t,
      );
      expect(created.status).toBe(201);
      const { id } = created.body as { id: number };
      expect(Object.keys(created.body as object)).toEqual(['id']);
      expect(fake.termin(id)).toMatchObject({ datum: '2026-12-10', text: 'Neu' });
      const put = await call('PUT', `${ADVOWARE_API}/appointments/${id}`, { text: 'Geändert' }, t);
      expect(put.body).toMatchObject({ frNr: id, text: 'Geändert' });
      const listed = (await call('GET', `${ADVOWARE_API}/appointments?frnr=${id}`, undefined, t))
        .body as Array<{ frNr: number }>;
      expect(listed.map((x) => x.frNr)).toEqual([id]);
      expect(
        (await call('DELETE', `${ADVOWARE_API}/appointments/${id}`, undefined, t)).status,
      ).toBe(204);
      expect(fake.termin(id)).toBeUndefined();
    });

    it("strictPaths answers 404 on the hub's former Mitarbeiter/Termine names", async () => {
      const t = await token();
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`, undefined, t)).status).toBe(200);
      fake.setVariants({ strictPaths: true });
      expect((await call('GET', `${ADVOWARE_API}/Mitarbeiter`, undefined, t)).status).toBe(404);
      expect((await call('GET', `${ADVOWARE_API}/Termine`, undefined, t)).status).toBe(404);
      expect((await call('GET', `${ADVOWARE_API}/employees`, undefined, t)).status).toBe(200);
    });

    it('sets variants over HTTP, refuses unknown names, and resets them with the fake', async () => {
      const set = await call('POST', '/__control/variants', {
        zonelessTimes: true,
        lowercaseIds: true,
      });
      expect(set.body).toMatchObject({
        zonelessTimes: true,
        lowercaseIds: true,
        dropUnknownFields: false,
      });
      expect((await call('GET', '/__control/variants')).body).toMatchObject({
        zonelessTimes: true,
      });
      expect((await call('POST', '/__control/variants', { lowerCaseIds: true })).status).toBe(400);
      expect((await call('POST', '/__control/variants', { zonelessTimes: 'yes' })).status).toBe(
        400,
      );
      await call('POST', '/__fake/reset');
      expect((await call('GET', '/__control/variants')).body).toMatchObject({
        zonelessTimes: false,
        lowercaseIds: false,
      });
    });

    it('takes its variants from the start options', async () => {
      const other = await startAdvowareFake({ variants: { separateKommunikation: true } });
      try {
        expect(other.variants).toMatchObject({ separateKommunikation: true, lowercaseIds: false });
        other.setVariants({ lowercaseIds: true });
        other.reset();
        expect(other.variants).toMatchObject({ separateKommunikation: true, lowercaseIds: false });
      } finally {
        await other.close();
      }
    });
  });

  describe('control API', () => {
    it('resets and seeds over HTTP', async () => {
      expect((await call('POST', '/__fake/reset')).status).toBe(200);
      expect(fake.mitarbeiter()).toEqual([]);
      expect(
        (await call('POST', '/__fake/seed', { mitarbeiter: [{ kuerzel: 'ZZ', name: 'Z' }] }))
          .status,
      ).toBe(200);
      const state = (await call('GET', '/__fake/state')).body as {
        mitarbeiter: Array<{ kuerzel: string }>;
      };
      expect(state.mitarbeiter.map((m) => m.kuerzel)).toEqual(['ZZ']);
    });
  });
});
