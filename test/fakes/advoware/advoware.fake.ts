import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type {
  AdvowareAdresse,
  AdvowareBankverbindung,
  AdvowareBeteiligte,
  AdvowareBeteiligteFields,
  AdvowareKommunikation,
  AdvowareMitarbeiter,
  AdvowareTermin,
} from '../../../src/integrations/advoware/advoware.types.js';
import { advowareLocalTime } from '../../../src/integrations/advoware/advoware-time.js';
import { TEST_SECRETS } from '../../support/test-env.js';
import {
  type FakeOptions,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  sleep,
} from '../common/fake-server.js';
import { advowareDemoData } from './demo-data.js';

/**
 * Advoware as CONTRACTS.md and DOMAIN.md describe it: the HMAC-512 security
 * gateway at `/api/v1/Token` and the API below `/api/v1/advonet/` on one server.
 * It enforces what the real system enforces (signature, timestamp window, nonce
 * reuse, bearer tokens that expire, 403 on deletes, read-only address fields,
 * `frNr` ignored); error bodies follow ASP.NET Web API's `{Message}` (unverified).
 *
 * By default it answers in the documented shape: camelCase (`betNr`, `frNr`), the
 * party GET embeds its `kommunikation`, times carry an offset (UTC), `employees`
 * pages as `{data, total}`, `appointments` answers a create with `{id}`. Each known
 * deviation of a real installation is a switch (`variants`), settable at start, in
 * process (`setVariants`) or over HTTP (`POST /__control/variants`, reset by
 * `/__fake/reset`). The hub's former resource names `Mitarbeiter`/`Termine` still
 * answer unless `strictPaths` is on.
 */

export const ADVOWARE_API = '/api/v1/advonet';
export const ADVOWARE_TOKEN_PATH = '/api/v1/Token';

export interface AdvowareFakeCredentials {
  /** Base64; the HMAC key is its decoded bytes. */
  apiKey: string;
  appId: string;
  kanzlei: string;
  database: string;
  user: string;
  password: string;
  role: number;
  product: number;
}

/** The credentials `testEnv()` configures, so a default fake accepts a default test client. */
export const DEFAULT_ADVOWARE_CREDENTIALS: AdvowareFakeCredentials = {
  apiKey: TEST_SECRETS.ADVOWARE_API_KEY,
  appId: 'bitbylaw-hub-test',
  kanzlei: 'TESTKANZLEI',
  database: 'TESTDB',
  user: 'hub',
  password: TEST_SECRETS.ADVOWARE_PASSWORD,
  role: 2,
  product: 64,
};

/** Deviations from the documented shape, each one a real installation may show. */
export interface AdvowareFakeVariants {
  /** Answers `betnr`/`frnr` instead of the documented `betNr`/`frNr`. */
  lowercaseIds: boolean;
  /** The party GET embeds no `kommunikation`; only `GET …/Kommunikationen` lists them. */
  separateKommunikation: boolean;
  /** Times as Berlin wall-clock without offset (`2026-12-04T14:05:00`), as .NET's local DateTime. */
  zonelessTimes: boolean;
  /** Writes keep only the fields Advoware knows: `externeId` (our assumption) is dropped. */
  dropUnknownFields: boolean;
  /** `employees` answers a bare array instead of `{data, total}`. */
  employeesBareArray: boolean;
  /** Only the documented/observed paths answer: `Mitarbeiter`/`Termine` give 404. */
  strictPaths: boolean;
}

export const DEFAULT_ADVOWARE_VARIANTS: Readonly<AdvowareFakeVariants> = Object.freeze({
  lowercaseIds: false,
  separateKommunikation: false,
  zonelessTimes: false,
  dropUnknownFields: false,
  employeesBareArray: false,
  strictPaths: false,
});

/** Every deviation at once (the e2e suites' second run). */
export const ALL_ADVOWARE_DEVIATIONS: Readonly<AdvowareFakeVariants> = Object.freeze({
  lowercaseIds: true,
  separateKommunikation: true,
  zonelessTimes: true,
  dropUnknownFields: true,
  employeesBareArray: true,
  strictPaths: true,
});

/** Fields a real Advoware keeps on write (observed ones; `externeId` is not among them). */
const KNOWN_FIELDS: Record<'beteiligte' | 'kommunikation' | 'termin', ReadonlySet<string>> = {
  beteiligte: new Set([
    'name',
    'vorname',
    'rechtsform',
    'anrede',
    'titel',
    'geburtsdatum',
    'handelsRegisterNummer',
    'registergericht',
  ]),
  kommunikation: new Set(['kommArt', 'kommKz', 'tlf', 'bemerkung', 'online']),
  termin: new Set([
    'datum',
    'uhrzeitVon',
    'datumBis',
    'uhrzeitBis',
    'text',
    'notiz',
    'ort',
    'dauertermin',
    'turnus',
    'turnusArt',
    'kuerzel',
    'sachbearbeiter',
  ]),
};

export interface AdvowareFakeOptions extends Partial<FakeOptions> {
  /** Deviations from the documented shape (default: none). */
  variants?: Partial<AdvowareFakeVariants>;
  credentials?: Partial<AdvowareFakeCredentials>;
  /** `expires_in` of issued tokens (default 3300 s, the real ~55 min). */
  tokenLifetimeSeconds?: number;
  /** Allowed distance of `RequestTimeStamp` from now (default 300 s). */
  timestampSkewSeconds?: number;
  /** Which expiry field the token answer carries (some deployments send `expiration_utc`). */
  expiryField?: 'expires_in' | 'expiration_utc';
  /** Each write holds its entity this long, so overlapping writes become visible to `maxConcurrentWrites`. */
  writeHoldMs?: number;
}

export interface AdvowareSeedBeteiligte extends Partial<AdvowareBeteiligteFields> {
  /** Legacy spelling of `betNr` in seeds written before the documented casing. */
  betnr?: number;
  [field: string]: unknown;
  kommunikationen?: Array<Partial<AdvowareKommunikation> & { reportKommKzZero?: boolean }>;
  adressen?: Array<Partial<AdvowareAdresse>>;
  bankverbindungen?: Array<Partial<AdvowareBankverbindung>>;
}

export interface AdvowareSeed {
  beteiligte?: AdvowareSeedBeteiligte[];
  mitarbeiter?: AdvowareMitarbeiter[];
  termine?: Array<Partial<AdvowareTermin>>;
  /** Documents served at `GET /api/v1/advonet/Dokumente/{id}/Download` (our contract, for the proxy). */
  dokumente?: Array<{ id: string | number; contentType?: string; base64: string }>;
}

interface BeteiligteRecord {
  data: AdvowareBeteiligte;
  kommunikationen: Map<number, AdvowareKommunikation>;
  adressen: Map<number, AdvowareAdresse>;
  bankverbindungen: Map<number, AdvowareBankverbindung>;
}

const ADDRESS_WRITABLE = ['strasse', 'plz', 'ort', 'anschrift'] as const;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const denied = (): FakeResponse => ({
  status: 401,
  body: { Message: 'Authorization has been denied for this request.' },
});
const notFound = (what: string): FakeResponse => ({
  status: 404,
  body: { Message: `${what} nicht gefunden` },
});
const forbidden = (what: string): FakeResponse => ({
  status: 403,
  body: { Message: `${what} ist nicht erlaubt` },
});
const badRequest = (message: string): FakeResponse => ({ status: 400, body: { Message: message } });

function newRowId(): string {
  return randomBytes(9).toString('base64');
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKnown<T extends Record<string, unknown>>(body: T, known: ReadonlySet<string>): T {
  return Object.fromEntries(Object.entries(body).filter(([k]) => known.has(k))) as T;
}

/** In-process records keep the former `betnr` as a hidden alias, for tests written before `betNr`. */
function withLegacyBetnr<T extends { betNr: number }>(record: T): T & { betnr: number } {
  Object.defineProperty(record, 'betnr', { value: record.betNr, enumerable: false });
  return record as T & { betnr: number };
}

export class AdvowareFake extends FakeServer {
  credentials: AdvowareFakeCredentials;
  tokenLifetimeSeconds: number;
  timestampSkewSeconds: number;
  expiryField: 'expires_in' | 'expiration_utc';
  writeHoldMs: number;
  variants: AdvowareFakeVariants;

  /** Every POST to the token endpoint, accepted or not. */
  tokenRequests = 0;
  /** Token requests answered 401, with the reason, newest last. */
  tokenRejections: string[] = [];

  private readonly defaults: {
    credentials: AdvowareFakeCredentials;
    tokenLifetimeSeconds: number;
    timestampSkewSeconds: number;
    expiryField: 'expires_in' | 'expiration_utc';
    writeHoldMs: number;
    variants: AdvowareFakeVariants;
  };
  private clockOffsetMs = 0;
  private tokens = new Map<string, number>();
  private nonces = new Set<string>();
  private beteiligteStore = new Map<number, BeteiligteRecord>();
  private kommKzZero = new Set<number>();
  private mitarbeiterStore: AdvowareMitarbeiter[] = [];
  private termineStore = new Map<number, AdvowareTermin>();
  private dokumenteStore = new Map<string, { contentType: string; bytes: Buffer }>();
  private nextBetnr = 10001;
  private nextChildId = 1;
  private nextFrNr = 70001;
  private inFlight = new Map<string, number>();
  private maxInFlight = new Map<string, number>();

  constructor(options: AdvowareFakeOptions = {}) {
    super({ name: 'advoware', latencyMs: options.latencyMs, logBodies: options.logBodies });
    this.defaults = {
      credentials: { ...DEFAULT_ADVOWARE_CREDENTIALS, ...options.credentials },
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3300,
      timestampSkewSeconds: options.timestampSkewSeconds ?? 300,
      expiryField: options.expiryField ?? 'expires_in',
      writeHoldMs: options.writeHoldMs ?? 0,
      variants: { ...DEFAULT_ADVOWARE_VARIANTS, ...options.variants },
    };
    this.variants = { ...this.defaults.variants };
    this.credentials = { ...DEFAULT_ADVOWARE_CREDENTIALS, ...options.credentials };
    this.tokenLifetimeSeconds = this.defaults.tokenLifetimeSeconds;
    this.timestampSkewSeconds = this.defaults.timestampSkewSeconds;
    this.expiryField = this.defaults.expiryField;
    this.writeHoldMs = this.defaults.writeHoldMs;
    this.registerRoutes();
  }

  // --- clock and tokens --------------------------------------------------------

  /** The fake's clock: real time plus what `advanceClock` added. Token lifetimes run on it. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Every token issued so far stops working (as after ~55 minutes). */
  expireAllTokens(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }

  /** Tokens issued and still valid on the fake clock. */
  liveTokens(): string[] {
    const now = this.now();
    return [...this.tokens].filter(([, exp]) => exp > now).map(([t]) => t);
  }

  get tokensIssued(): number {
    return this.tokens.size;
  }

  /** Switches deviations on or off (the rest stay as they are); answers the whole set. */
  setVariants(patch: Partial<AdvowareFakeVariants>): AdvowareFakeVariants {
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in DEFAULT_ADVOWARE_VARIANTS))
        throw new Error(`unknown Advoware fake variant ${key}`);
      if (typeof value !== 'boolean') throw new Error(`variant ${key} must be true or false`);
    }
    this.variants = { ...this.variants, ...patch };
    return { ...this.variants };
  }

  // --- in-process API for tests ---------------------------------------------------
  // Records as stored: documented names (`betNr`), times as written (UTC unless seeded
  // otherwise), whatever the variants make the HTTP answers look like.

  beteiligte(betNr: number): (AdvowareBeteiligte & { betnr: number }) | undefined {
    const rec = this.beteiligteStore.get(Number(betNr));
    return rec ? withLegacyBetnr(clone(rec.data)) : undefined;
  }

  allBeteiligte(): Array<AdvowareBeteiligte & { betnr: number }> {
    return [...this.beteiligteStore.values()].map((r) => withLegacyBetnr(clone(r.data)));
  }

  /** Creates a party as a person in Advoware would; returns it with its betNr. */
  addBeteiligte(data: AdvowareSeedBeteiligte): AdvowareBeteiligte & { betnr: number } {
    const { kommunikationen, adressen, bankverbindungen, betnr: legacy, ...fields } = data;
    const given = fields.betNr ?? legacy;
    const betNr = given !== undefined ? Number(given) : this.nextBetnr++;
    this.nextBetnr = Math.max(this.nextBetnr, betNr + 1);
    const rec: BeteiligteRecord = {
      data: {
        ...fields,
        betNr,
        rowId: fields.rowId ?? newRowId(),
        geaendertAm: fields.geaendertAm ?? this.stamp(),
      },
      kommunikationen: new Map(),
      adressen: new Map(),
      bankverbindungen: new Map(),
    };
    this.beteiligteStore.set(betNr, rec);
    for (const k of (kommunikationen as AdvowareSeedBeteiligte['kommunikationen']) ?? [])
      this.addKommunikation(betNr, k);
    for (const a of (adressen as AdvowareSeedBeteiligte['adressen']) ?? [])
      this.addAdresse(betNr, a);
    for (const b of (bankverbindungen as AdvowareSeedBeteiligte['bankverbindungen']) ?? [])
      this.addBankverbindung(betNr, b);
    return withLegacyBetnr(clone(rec.data));
  }

  /** A change made in Advoware: merges fields, new rowId and geaendertAm. */
  putBeteiligte(betnr: number, patch: Partial<AdvowareBeteiligte>): AdvowareBeteiligte {
    const rec = this.mustGet(betnr);
    const { betNr: _b, rowId: _r, geaendertAm: _g, ...rest } = patch;
    rec.data = { ...rec.data, ...rest, rowId: newRowId(), geaendertAm: this.stamp() };
    return clone(rec.data);
  }

  /** The party disappears from Advoware (for `deleted_in_advoware`). */
  removeBeteiligte(betnr: number): void {
    this.beteiligteStore.delete(Number(betnr));
  }

  /** What the API would answer, except that `kommKz` is the true one (not the reported 0). */
  kommunikationen(betnr: number): AdvowareKommunikation[] {
    return [...this.mustGet(betnr).kommunikationen.values()].map(clone);
  }

  addKommunikation(
    betnr: number,
    data: Partial<AdvowareKommunikation> & { reportKommKzZero?: boolean },
  ): AdvowareKommunikation {
    const { reportKommKzZero, ...fields } = data;
    const id = fields.id ?? this.nextChildId++;
    this.nextChildId = Math.max(this.nextChildId, id + 1);
    const entry: AdvowareKommunikation = {
      kommArt: 0,
      tlf: '',
      bemerkung: null,
      online: false,
      kommKz: 1,
      ...fields,
      id,
      betNr: Number(betnr),
      rowId: newRowId(),
    };
    this.mustGet(betnr).kommunikationen.set(id, entry);
    if (reportKommKzZero) this.kommKzZero.add(id);
    return clone(entry);
  }

  /** A person edits an entry in Advoware (any field, kommKz included). */
  putKommunikation(
    betnr: number,
    id: number,
    patch: Partial<AdvowareKommunikation>,
  ): AdvowareKommunikation {
    const map = this.mustGet(betnr).kommunikationen;
    const old = map.get(id);
    if (!old) throw new Error(`no Kommunikation ${id} on Beteiligte ${betnr}`);
    const entry = { ...old, ...patch, id, rowId: newRowId() };
    map.set(id, entry);
    return clone(entry);
  }

  /** A person removes an entry in Advoware (the API itself cannot). */
  removeKommunikation(betnr: number, id: number): void {
    this.mustGet(betnr).kommunikationen.delete(id);
  }

  /** Make GET report `kommKz: 0` for this entry, as the real API sometimes does. */
  reportKommKzZero(id: number, on = true): void {
    if (on) this.kommKzZero.add(id);
    else this.kommKzZero.delete(id);
  }

  adressen(betnr: number): AdvowareAdresse[] {
    return [...this.mustGet(betnr).adressen.values()].map(clone);
  }

  addAdresse(betnr: number, data: Partial<AdvowareAdresse>): AdvowareAdresse {
    const id = data.id ?? this.nextChildId++;
    this.nextChildId = Math.max(this.nextChildId, id + 1);
    const entry: AdvowareAdresse = { ...data, id, rowId: newRowId() };
    this.mustGet(betnr).adressen.set(id, entry);
    return clone(entry);
  }

  bankverbindungen(betnr: number): AdvowareBankverbindung[] {
    return [...this.mustGet(betnr).bankverbindungen.values()].map(clone);
  }

  addBankverbindung(betnr: number, data: Partial<AdvowareBankverbindung>): AdvowareBankverbindung {
    const id = data.id ?? this.nextChildId++;
    this.nextChildId = Math.max(this.nextChildId, id + 1);
    const entry: AdvowareBankverbindung = { ...data, id, rowId: newRowId() };
    this.mustGet(betnr).bankverbindungen.set(id, entry);
    return clone(entry);
  }

  mitarbeiter(): AdvowareMitarbeiter[] {
    return this.mitarbeiterStore.map(clone);
  }

  termine(kuerzel?: string): AdvowareTermin[] {
    return [...this.termineStore.values()]
      .filter((t) => !kuerzel || t.kuerzel === kuerzel)
      .map(clone);
  }

  termin(frNr: number): AdvowareTermin | undefined {
    const t = this.termineStore.get(Number(frNr));
    return t ? clone(t) : undefined;
  }

  addTermin(data: Partial<AdvowareTermin>): AdvowareTermin {
    const frNr = data.frNr !== undefined ? Number(data.frNr) : this.nextFrNr++;
    this.nextFrNr = Math.max(this.nextFrNr, frNr + 1);
    const t: AdvowareTermin = {
      datum: '',
      ...data,
      frNr,
      zuletztGeaendertAm: data.zuletztGeaendertAm ?? this.stamp(),
    };
    this.termineStore.set(frNr, t);
    return clone(t);
  }

  /** A change made in Advoware: merges fields and moves `zuletztGeaendertAm`. */
  putTermin(frNr: number, patch: Partial<AdvowareTermin>): AdvowareTermin {
    const old = this.termineStore.get(Number(frNr));
    if (!old) throw new Error(`no Termin ${frNr}`);
    const t = { ...old, ...patch, frNr: old.frNr, zuletztGeaendertAm: this.stamp() };
    this.termineStore.set(old.frNr, t);
    return clone(t);
  }

  removeTermin(frNr: number): void {
    this.termineStore.delete(Number(frNr));
  }

  /** Highest number of overlapping API writes seen for one entity (`Beteiligte:<betnr>` or `Termin:<frNr>`), or over all. */
  maxConcurrentWrites(entity?: string): number {
    if (entity) return this.maxInFlight.get(entity) ?? 0;
    return Math.max(0, ...this.maxInFlight.values());
  }

  // --- FakeServer contract ------------------------------------------------------

  state(): unknown {
    return {
      beteiligte: [...this.beteiligteStore.values()].map((r) => ({
        ...r.data,
        kommunikationen: [...r.kommunikationen.values()],
        adressen: [...r.adressen.values()],
        bankverbindungen: [...r.bankverbindungen.values()],
      })),
      kommKzZeroIds: [...this.kommKzZero],
      mitarbeiter: this.mitarbeiterStore,
      termine: [...this.termineStore.values()],
      dokumente: [...this.dokumenteStore.keys()],
      tokens: {
        requests: this.tokenRequests,
        issued: this.tokens.size,
        live: this.liveTokens().length,
        rejections: this.tokenRejections,
      },
      clockOffsetMs: this.clockOffsetMs,
      variants: this.variants,
      maxConcurrentWrites: Object.fromEntries(this.maxInFlight),
    };
  }

  /** Also clears the request log and faults, so an in-process reset equals `POST /__fake/reset`. */
  reset(): void {
    this.setFaults([]);
    this.clearLog();
    this.credentials = { ...this.defaults.credentials };
    this.tokenLifetimeSeconds = this.defaults.tokenLifetimeSeconds;
    this.timestampSkewSeconds = this.defaults.timestampSkewSeconds;
    this.expiryField = this.defaults.expiryField;
    this.writeHoldMs = this.defaults.writeHoldMs;
    this.variants = { ...this.defaults.variants };
    this.tokenRequests = 0;
    this.tokenRejections = [];
    this.clockOffsetMs = 0;
    this.tokens = new Map();
    this.nonces = new Set();
    this.beteiligteStore = new Map();
    this.kommKzZero = new Set();
    this.mitarbeiterStore = [];
    this.termineStore = new Map();
    this.dokumenteStore = new Map();
    this.nextBetnr = 10001;
    this.nextChildId = 1;
    this.nextFrNr = 70001;
    this.inFlight = new Map();
    this.maxInFlight = new Map();
  }

  /** Adds to what is there; records with a given betnr/frNr/id replace the existing one. */
  seed(data: unknown): void {
    if (!isObject(data))
      throw new Error('seed must be an object {beteiligte?, mitarbeiter?, termine?, dokumente?}');
    const seed = data as AdvowareSeed;
    for (const b of seed.beteiligte ?? []) this.addBeteiligte(b);
    for (const m of seed.mitarbeiter ?? []) {
      this.mitarbeiterStore = this.mitarbeiterStore
        .filter((x) => x.kuerzel !== m.kuerzel)
        .concat({ aktiv: true, ...m });
    }
    for (const t of seed.termine ?? []) this.addTermin(t);
    for (const d of seed.dokumente ?? []) {
      this.dokumenteStore.set(String(d.id), {
        contentType: d.contentType ?? 'application/pdf',
        bytes: Buffer.from(d.base64, 'base64'),
      });
    }
  }

  protected override faultBody(status: number): unknown {
    return { Message: `injected ${status}` };
  }

  // --- routes ----------------------------------------------------------------------

  private registerRoutes(): void {
    this.route('POST', ADVOWARE_TOKEN_PATH, (req) => this.issueToken(req));
    this.route('POST', '/__control/expire-tokens', () => {
      this.expireAllTokens();
      return { status: 200, body: { ok: true, expired: this.tokens.size } };
    });
    this.route('GET', '/__control/variants', () => ({ status: 200, body: this.variants }));
    this.route('POST', '/__control/variants', (req) => {
      if (!isObject(req.body)) return badRequest('variants object expected');
      try {
        return { status: 200, body: this.setVariants(req.body as Partial<AdvowareFakeVariants>) };
      } catch (err) {
        return badRequest((err as Error).message);
      }
    });
    this.route('POST', '/__control/clock', (req) => {
      const advanceMs = Number((req.body as { advanceMs?: unknown } | undefined)?.advanceMs ?? 0);
      this.advanceClock(advanceMs);
      return { status: 200, body: { ok: true, now: new Date(this.now()).toISOString() } };
    });

    const api = (
      method: string,
      path: string,
      handler: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>,
    ) =>
      this.route(method, `${ADVOWARE_API}${path}`, (req) =>
        this.authorized(req) ? handler(req) : denied(),
      );

    api('GET', '/Beteiligte', (req) => {
      const externeId = req.query.get('externeId');
      // The `name` filter is our assumption; the hub filters the answer again anyway.
      const name = req.query.get('name')?.trim().toLowerCase();
      const list = [...this.beteiligteStore.values()]
        .filter((r) => externeId === null || r.data.externeId === externeId)
        .filter(
          (r) =>
            !name ||
            String(r.data.name ?? '')
              .trim()
              .toLowerCase() === name,
        )
        .map((r) => this.presentParty(r, false));
      return { status: 200, body: list };
    });
    api('POST', '/Beteiligte', (req) =>
      this.write('Beteiligte:new', () => {
        if (!isObject(req.body)) return badRequest('Beteiligter fehlt');
        if (typeof req.body.name !== 'string' || req.body.name.trim() === '')
          return badRequest('name ist erforderlich');
        const {
          betNr: _b,
          betnr: _l,
          rowId: _r,
          geaendertAm: _g,
          ...fields
        } = req.body as Partial<AdvowareBeteiligte>;
        const kept = this.variants.dropUnknownFields
          ? onlyKnown(fields, KNOWN_FIELDS.beteiligte)
          : fields;
        const created = this.addBeteiligte(kept);
        return { status: 201, body: this.presentParty(this.mustGet(created.betNr), true) };
      }),
    );
    api('GET', '/Beteiligte/:betnr', (req) => {
      const rec = this.beteiligteStore.get(Number(req.params.betnr));
      return rec
        ? { status: 200, body: this.presentParty(rec, true) }
        : notFound(`Beteiligter ${req.params.betnr}`);
    });
    api('PUT', '/Beteiligte/:betnr', (req) =>
      this.write(`Beteiligte:${req.params.betnr}`, () => {
        const rec = this.beteiligteStore.get(Number(req.params.betnr));
        if (!rec) return notFound(`Beteiligter ${req.params.betnr}`);
        if (!isObject(req.body)) return badRequest('Beteiligter fehlt');
        const body = req.body as Partial<AdvowareBeteiligte>;
        this.putBeteiligte(
          rec.data.betNr,
          this.variants.dropUnknownFields ? onlyKnown(body, KNOWN_FIELDS.beteiligte) : body,
        );
        return { status: 200, body: this.presentParty(rec, true) };
      }),
    );

    this.childRoutes(api);

    // The previous system's resources (observed): employees paged as {data, total}, appointments.
    api('GET', '/employees', (req) => {
      const all = this.mitarbeiter();
      const offset = Math.max(0, Number(req.query.get('offset') ?? 0) || 0);
      const limitRaw = Number(req.query.get('limit') ?? 0);
      const limit = limitRaw > 0 ? limitRaw : all.length;
      const page = all.slice(offset, offset + limit);
      return {
        status: 200,
        body: this.variants.employeesBareArray ? page : { data: page, total: all.length },
      };
    });
    api('GET', '/appointments', (req) => ({
      status: 200,
      body: this.queryTermine(req.query).map((t) => this.presentTermin(t)),
    }));
    api('POST', '/appointments', (req) =>
      this.write('Termin:new', () => {
        const fields = this.terminBody(req.body);
        if (typeof fields === 'string') return badRequest(fields);
        return { status: 201, body: { id: this.addTermin(fields).frNr } };
      }),
    );
    api('PUT', '/appointments/:frNr', (req) => this.putTerminRoute(req));
    api('DELETE', '/appointments/:frNr', (req) => this.deleteTerminRoute(req));

    // The hub's former names (never documented); gone with `strictPaths`.
    const legacy = (
      method: string,
      path: string,
      handler: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>,
    ) =>
      api(method, path, (req) =>
        this.variants.strictPaths ? notFound(`Ressource ${path}`) : handler(req),
      );
    legacy('GET', '/Mitarbeiter', () => ({ status: 200, body: this.mitarbeiter() }));
    legacy('GET', '/Termine', (req) => ({
      status: 200,
      body: this.queryTermine(req.query).map((t) => this.presentTermin(t)),
    }));
    legacy('POST', '/Termine', (req) =>
      this.write('Termin:new', () => {
        const fields = this.terminBody(req.body);
        if (typeof fields === 'string') return badRequest(fields);
        return { status: 201, body: this.presentTermin(this.addTermin(fields)) };
      }),
    );
    legacy('PUT', '/Termine/:frNr', (req) => this.putTerminRoute(req));
    legacy('DELETE', '/Termine/:frNr', (req) => this.deleteTerminRoute(req));

    api('GET', '/Dokumente/:id/Download', (req) => {
      const doc = this.dokumenteStore.get(req.params.id);
      if (!doc) return notFound(`Dokument ${req.params.id}`);
      return { status: 200, raw: doc.bytes, headers: { 'Content-Type': doc.contentType } };
    });
  }

  private childRoutes(
    api: (
      method: string,
      path: string,
      handler: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>,
    ) => void,
  ): void {
    const parent = (req: FakeRequest) => this.beteiligteStore.get(Number(req.params.betnr));

    // Kommunikationen: POST and PUT work, kommKz survives a PUT, DELETE is refused.
    api('GET', '/Beteiligte/:betnr/Kommunikationen', (req) => {
      const rec = parent(req);
      if (!rec) return notFound(`Beteiligter ${req.params.betnr}`);
      return { status: 200, body: this.presentKommunikationen(rec) };
    });
    api('POST', '/Beteiligte/:betnr/Kommunikationen', (req) =>
      this.write(`Beteiligte:${req.params.betnr}`, () => {
        if (!parent(req)) return notFound(`Beteiligter ${req.params.betnr}`);
        if (!isObject(req.body) || typeof req.body.kommKz !== 'number')
          return badRequest('kommKz ist erforderlich');
        const { id: _i, rowId: _r, ...fields } = req.body as Partial<AdvowareKommunikation>;
        const kept = this.variants.dropUnknownFields
          ? onlyKnown(fields, KNOWN_FIELDS.kommunikation)
          : fields;
        return {
          status: 201,
          body: this.ids(this.addKommunikation(Number(req.params.betnr), kept), 'betNr'),
        };
      }),
    );
    api('PUT', '/Beteiligte/:betnr/Kommunikationen/:id', (req) =>
      this.write(`Beteiligte:${req.params.betnr}`, () => {
        const rec = parent(req);
        const old = rec?.kommunikationen.get(Number(req.params.id));
        if (!rec || !old) return notFound(`Kommunikation ${req.params.id}`);
        if (!isObject(req.body)) return badRequest('Kommunikation fehlt');
        const {
          id: _i,
          rowId: _r,
          kommKz: _k,
          ...fields
        } = req.body as Partial<AdvowareKommunikation>;
        const kept = this.variants.dropUnknownFields
          ? onlyKnown(fields, KNOWN_FIELDS.kommunikation)
          : fields;
        return {
          status: 200,
          body: this.ids(
            this.putKommunikation(rec.data.betNr, old.id, { ...kept, kommKz: old.kommKz }),
            'betNr',
          ),
        };
      }),
    );
    api('DELETE', '/Beteiligte/:betnr/Kommunikationen/:id', () =>
      forbidden('Löschen von Kommunikationen'),
    );

    // Adressen: POST takes every field, PUT only strasse/plz/ort/anschrift (the rest silently ignored), no DELETE.
    api('GET', '/Beteiligte/:betnr/Adressen', (req) => {
      const rec = parent(req);
      return rec
        ? { status: 200, body: [...rec.adressen.values()] }
        : notFound(`Beteiligter ${req.params.betnr}`);
    });
    api('POST', '/Beteiligte/:betnr/Adressen', (req) =>
      this.write(`Beteiligte:${req.params.betnr}`, () => {
        if (!parent(req)) return notFound(`Beteiligter ${req.params.betnr}`);
        if (!isObject(req.body)) return badRequest('Adresse fehlt');
        const { id: _i, rowId: _r, ...fields } = req.body as Partial<AdvowareAdresse>;
        return { status: 201, body: this.addAdresse(Number(req.params.betnr), fields) };
      }),
    );
    api('PUT', '/Beteiligte/:betnr/Adressen/:id', (req) =>
      this.write(`Beteiligte:${req.params.betnr}`, () => {
        const rec = parent(req);
        const old = rec?.adressen.get(Number(req.params.id));
        if (!rec || !old) return notFound(`Adresse ${req.params.id}`);
        if (!isObject(req.body)) return badRequest('Adresse fehlt');
        const next: AdvowareAdresse = { ...old, rowId: newRowId() };
        for (const field of ADDRESS_WRITABLE) {
          if (field in req.body) next[field] = req.body[field] as string | null;
        }
        rec.adressen.set(old.id, next);
        return { status: 200, body: clone(next) };
      }),
    );
    api('DELETE', '/Beteiligte/:betnr/Adressen/:id', () => forbidden('Löschen von Adressen'));

    // Bankverbindungen (our contract): GET/POST/PUT, DELETE refused.
    api('GET', '/Beteiligte/:betnr/Bankverbindungen', (req) => {
      const rec = parent(req);
      return rec
        ? { status: 200, body: [...rec.bankverbindungen.values()] }
        : notFound(`Beteiligter ${req.params.betnr}`);
    });
    api('POST', '/Beteiligte/:betnr/Bankverbindungen', (req) =>
      this.write(`Beteiligte:${req.params.betnr}`, () => {
        if (!parent(req)) return notFound(`Beteiligter ${req.params.betnr}`);
        if (!isObject(req.body)) return badRequest('Bankverbindung fehlt');
        const { id: _i, rowId: _r, ...fields } = req.body as Partial<AdvowareBankverbindung>;
        return { status: 201, body: this.addBankverbindung(Number(req.params.betnr), fields) };
      }),
    );
    api('PUT', '/Beteiligte/:betnr/Bankverbindungen/:id', (req) =>
      this.write(`Beteiligte:${req.params.betnr}`, () => {
        const rec = parent(req);
        const old = rec?.bankverbindungen.get(Number(req.params.id));
        if (!rec || !old) return notFound(`Bankverbindung ${req.params.id}`);
        if (!isObject(req.body)) return badRequest('Bankverbindung fehlt');
        const { id: _i, rowId: _r, ...fields } = req.body as Partial<AdvowareBankverbindung>;
        const next = { ...old, ...fields, id: old.id, rowId: newRowId() };
        rec.bankverbindungen.set(old.id, next);
        return { status: 200, body: clone(next) };
      }),
    );
    api('DELETE', '/Beteiligte/:betnr/Bankverbindungen/:id', () =>
      forbidden('Löschen von Bankverbindungen'),
    );
  }

  /** `frnr` (lowercase) filters by id; `frNr` is not a known parameter and is ignored, as in the real API. */
  private queryTermine(q: URLSearchParams): AdvowareTermin[] {
    const frnr = q.get('frnr');
    const kuerzel = q.get('kuerzel');
    const von = q.get('von')?.slice(0, 10);
    const bis = q.get('bis')?.slice(0, 10);
    return [...this.termineStore.values()]
      .filter((t) => frnr === null || String(t.frNr) === frnr)
      .filter((t) => !kuerzel || t.kuerzel === kuerzel)
      .filter((t) => {
        const start = String(t.datum).slice(0, 10);
        const end = String(t.datumBis ?? t.datum).slice(0, 10);
        return (!bis || start <= bis) && (!von || end >= von);
      })
      .map(clone);
  }

  /** A Termin body of a create, or the reason it is refused. */
  private terminBody(body: unknown): Partial<AdvowareTermin> | string {
    if (!isObject(body)) return 'Termin fehlt';
    if (typeof body.datum !== 'string' || body.datum === '') return 'datum ist erforderlich';
    const { frNr: _f, zuletztGeaendertAm: _z, ...fields } = body as Partial<AdvowareTermin>;
    const kept = this.variants.dropUnknownFields ? onlyKnown(fields, KNOWN_FIELDS.termin) : fields;
    return { ...kept, zuletztGeaendertAm: undefined };
  }

  private putTerminRoute(req: FakeRequest): Promise<FakeResponse> {
    return this.write(`Termin:${req.params.frNr}`, () => {
      if (!this.termineStore.has(Number(req.params.frNr)))
        return notFound(`Termin ${req.params.frNr}`);
      if (!isObject(req.body)) return badRequest('Termin fehlt');
      const { frNr: _f, zuletztGeaendertAm: _z, ...fields } = req.body as Partial<AdvowareTermin>;
      const kept = this.variants.dropUnknownFields
        ? onlyKnown(fields, KNOWN_FIELDS.termin)
        : fields;
      return {
        status: 200,
        body: this.presentTermin(this.putTermin(Number(req.params.frNr), kept)),
      };
    });
  }

  private deleteTerminRoute(req: FakeRequest): Promise<FakeResponse> {
    return this.write(`Termin:${req.params.frNr}`, () => {
      if (!this.termineStore.has(Number(req.params.frNr)))
        return notFound(`Termin ${req.params.frNr}`);
      this.removeTermin(Number(req.params.frNr));
      return { status: 204 };
    });
  }

  // --- how answers look under the variants ------------------------------------------

  /** A party as the API answers it; `embed`: the single-record answers carry `kommunikation`. */
  private presentParty(rec: BeteiligteRecord, embed: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      ...clone(rec.data),
      geaendertAm: this.presentTime(rec.data.geaendertAm),
    };
    if (embed && !this.variants.separateKommunikation)
      out.kommunikation = this.presentKommunikationen(rec);
    return this.ids(out, 'betNr');
  }

  private presentKommunikationen(rec: BeteiligteRecord): Array<Record<string, unknown>> {
    return [...rec.kommunikationen.values()].map((k) =>
      this.ids({ ...clone(k), kommKz: this.kommKzZero.has(k.id) ? 0 : k.kommKz }, 'betNr'),
    );
  }

  private presentTermin(t: AdvowareTermin): Record<string, unknown> {
    return this.ids(
      { ...clone(t), zuletztGeaendertAm: this.presentTime(t.zuletztGeaendertAm) },
      'frNr',
    );
  }

  /** `zonelessTimes`: an instant becomes Berlin wall-clock without offset. */
  private presentTime(value: unknown): unknown {
    if (!this.variants.zonelessTimes || typeof value !== 'string') return value;
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(value)) return value;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : advowareLocalTime(ms);
  }

  /** `lowercaseIds`: the number field spelled in lower case, in its place. */
  private ids<T extends object>(record: T, field: 'betNr' | 'frNr'): T {
    if (!this.variants.lowercaseIds || !(field in record)) return record;
    return Object.fromEntries(
      Object.entries(record).map(([k, v]) => [k === field ? field.toLowerCase() : k, v]),
    ) as T;
  }

  private issueToken(req: FakeRequest): FakeResponse {
    this.tokenRequests += 1;
    const reject = (error: string, description: string): FakeResponse => {
      this.tokenRejections.push(`${error}: ${description}`);
      return { status: 401, body: { error, error_description: description } };
    };
    const b = req.body;
    if (!isObject(b)) return reject('invalid_request', 'JSON body expected');
    const c = this.credentials;
    const expected: Record<string, unknown> = {
      AppID: c.appId,
      Kanzlei: c.kanzlei,
      Database: c.database,
      User: c.user,
      Role: c.role,
      Product: c.product,
      Password: c.password,
    };
    for (const [field, value] of Object.entries(expected)) {
      if (b[field] !== value) return reject('invalid_client', `${field} is missing or wrong`);
    }
    const nonce = b.Nonce;
    if (typeof nonce !== 'string' || !UUID.test(nonce))
      return reject('invalid_request', 'Nonce must be a UUID');
    const ts = b.RequestTimeStamp;
    if (typeof ts !== 'string' || !ISO_UTC.test(ts)) {
      return reject('invalid_request', 'RequestTimeStamp must be an ISO-8601 time with zone');
    }
    // The timestamp window is checked against real time: the fake clock only ages tokens.
    if (Math.abs(Date.parse(ts) - Date.now()) > this.timestampSkewSeconds * 1000) {
      return reject('invalid_request', 'RequestTimeStamp outside the allowed window');
    }
    const signature =
      typeof b.HMAC512Signature === 'string'
        ? Buffer.from(b.HMAC512Signature, 'base64')
        : Buffer.alloc(0);
    const expectedSignature = createHmac('sha512', Buffer.from(c.apiKey, 'base64'))
      .update(`${c.product}:${c.appId}:${nonce}:${ts}`)
      .digest();
    if (
      signature.length !== expectedSignature.length ||
      !timingSafeEqual(signature, expectedSignature)
    ) {
      return reject('invalid_signature', 'HMAC512Signature does not match');
    }
    if (this.nonces.has(nonce)) return reject('invalid_request', 'Nonce already used');
    this.nonces.add(nonce);

    const token = `fake-${randomUUID()}`;
    const expiresAt = this.now() + this.tokenLifetimeSeconds * 1000;
    this.tokens.set(token, expiresAt);
    const expiry =
      this.expiryField === 'expires_in'
        ? { expires_in: this.tokenLifetimeSeconds }
        : { expiration_utc: new Date(Date.now() + this.tokenLifetimeSeconds * 1000).toISOString() };
    return { status: 200, body: { access_token: token, token_type: 'bearer', ...expiry } };
  }

  private authorized(req: FakeRequest): boolean {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer (\S+)$/.exec(header) : null;
    if (!match) return false;
    const expiresAt = this.tokens.get(match[1]);
    return expiresAt !== undefined && expiresAt > this.now();
  }

  private async write(entity: string, work: () => FakeResponse): Promise<FakeResponse> {
    const n = (this.inFlight.get(entity) ?? 0) + 1;
    this.inFlight.set(entity, n);
    this.maxInFlight.set(entity, Math.max(this.maxInFlight.get(entity) ?? 0, n));
    try {
      await sleep(this.writeHoldMs);
      return work();
    } finally {
      this.inFlight.set(entity, (this.inFlight.get(entity) ?? 1) - 1);
    }
  }

  private mustGet(betnr: number): BeteiligteRecord {
    const rec = this.beteiligteStore.get(Number(betnr));
    if (!rec) throw new Error(`no Beteiligte ${betnr} in the Advoware fake`);
    return rec;
  }

  /** Change time as stored: UTC ISO; answers show it as Berlin wall-clock under `zonelessTimes`. */
  private stamp(): string {
    return new Date(this.now()).toISOString();
  }
}

export interface StartAdvowareFakeOptions extends AdvowareFakeOptions {
  port?: number;
  /** Data to load after start; `'demo'` loads `advowareDemoData()`. */
  seed?: AdvowareSeed | 'demo';
}

export async function startAdvowareFake(
  options: StartAdvowareFakeOptions = {},
): Promise<AdvowareFake> {
  const { port, seed, ...rest } = options;
  const fake = new AdvowareFake(rest);
  await fake.listen(port);
  if (seed) fake.seed(seed === 'demo' ? advowareDemoData() : seed);
  return fake;
}
