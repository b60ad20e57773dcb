import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../../config/app-config.js';
import { UpstreamNotFoundError } from '../../core/errors/upstream.errors.js';
import { HubMetrics } from '../../core/metrics/hub-metrics.js';
import { REDIS_CACHE } from '../../core/redis/redis.module.js';
import {
  canonicalRecord,
  isRecord,
  readBeteiligte,
  readList,
  readMitarbeiter,
  readPage,
  readRecord,
  readTermin,
  tolerant,
  usableNumber,
} from './advoware.reader.js';
import { AdvowareTransport } from './advoware.transport.js';
import type {
  AdvowareAdresse,
  AdvowareAdresseInput,
  AdvowareBankverbindung,
  AdvowareBankverbindungInput,
  AdvowareBeteiligte,
  AdvowareBeteiligteInput,
  AdvowareKommunikation,
  AdvowareKommunikationInput,
  AdvowareMitarbeiter,
  AdvowareTermin,
  AdvowareTerminInput,
  AdvowareTerminQuery,
} from './advoware.types.js';

export { AdvowareAuthenticationError } from './advoware.errors.js';
export { advowareHttpTarget } from './advoware.transport.js';

/**
 * The hub's only door to Advoware: typed helpers for the resources the sync uses, on
 * top of AdvowareTransport (advoware.transport.ts: the token from the security gateway,
 * shared through Redis and refreshed once on a 401, and the generic `request` the
 * proxy uses, `path`, `cacheDegraded`).
 */
@Injectable()
export class AdvowareClient extends AdvowareTransport {
  /** `http`: AdvowareModule's HttpService (required by Nest); absent only without Nest (doctor, tests). */
  constructor(
    config: AppConfig,
    metrics: HubMetrics,
    @Inject(REDIS_CACHE) cache: Redis,
    http?: HttpService,
  ) {
    super(config, metrics, cache, http);
  }

  // --- Beteiligte -------------------------------------------------------------
  // Every answer below goes through advoware.reader.ts: documented names from any
  // casing, and a usable record number or a permanent error naming the field.

  async getBeteiligte(betNr: number | string): Promise<AdvowareBeteiligte> {
    const where = `GET ${this.paths.beteiligte}/${betNr}`;
    const { data } = await this.request<unknown>('GET', this.path('beteiligte', {}, betNr));
    if (
      data === null ||
      data === undefined ||
      data === '' ||
      (Array.isArray(data) && data.length === 0)
    ) {
      throw new UpstreamNotFoundError('advoware', `advoware has no Beteiligte ${betNr}`, {
        status: 404,
      });
    }
    return readBeteiligte(data, where);
  }

  /**
   * Our contract (assumed): the hub stores the EspoCRM id in `externeId` and filters
   * by it, so a retried create finds the party it already made. The answer is
   * filtered again here, because an API that ignores an unknown filter would otherwise
   * hand back someone else; an Advoware that drops the field finds nothing here (the
   * Beteiligte sync's create journal covers that).
   */
  async findBeteiligteByEspoId(espoId: string): Promise<AdvowareBeteiligte | undefined> {
    const list = await this.filteredBeteiligte({ externeId: espoId });
    return list.find((b) => b.externeId === espoId);
  }

  /**
   * Parties of that name (`name`, the surname or company name), newest (highest betNr)
   * first. The `name` filter is assumed; the answer is filtered again here.
   */
  async findBeteiligteByName(name: string): Promise<AdvowareBeteiligte[]> {
    const wanted = sameText(name);
    const list = await this.filteredBeteiligte({ name });
    return list.filter((b) => sameText(b.name) === wanted).sort((a, b) => b.betNr - a.betNr);
  }

  /**
   * One page of a filtered party list. Not walked: a filter Advoware honours answers a
   * few records; one it ignores would page through every party of the firm on each
   * create, which is worse than the rare miss it could prevent.
   */
  private async filteredBeteiligte(query: Record<string, string>): Promise<AdvowareBeteiligte[]> {
    const { data } = await this.request<unknown>('GET', this.path('beteiligte'), { query });
    return readPage(data).items.map((item) => readBeteiligte(item, `GET ${this.paths.beteiligte}`));
  }

  async listBeteiligte(query: Record<string, string> = {}): Promise<AdvowareBeteiligte[]> {
    const where = `GET ${this.paths.beteiligte}`;
    const items = await this.readAllPages(this.path('beteiligte'), query);
    return items.map((item) => readBeteiligte(item, where));
  }

  async createBeteiligte(data: AdvowareBeteiligteInput): Promise<AdvowareBeteiligte> {
    const answer = await this.request<unknown>('POST', this.path('beteiligte'), { body: data });
    return readBeteiligte(answer.data, `POST ${this.paths.beteiligte}`);
  }

  /** The answer, or `undefined` when Advoware answers a PUT without the record. */
  async updateBeteiligte(
    betNr: number | string,
    data: AdvowareBeteiligteInput,
  ): Promise<AdvowareBeteiligte | undefined> {
    const answer = await this.request<unknown>('PUT', this.path('beteiligte', {}, betNr), {
      body: data,
    });
    if (!isRecord(answer.data)) return undefined;
    // The number is the one just written to; an answer that leaves it out still names the party.
    const record = canonicalRecord('beteiligte', answer.data);
    if (usableNumber(record.betNr) === undefined) record.betNr = betNr;
    return readBeteiligte(record, `PUT ${this.paths.beteiligte}/${betNr}`);
  }

  // --- Kommunikationen (no delete: Advoware answers 403) --------------------

  /** The party's entries: the embedded `kommunikation` when the record has it, else the list call. */
  async kommunikationenOf(party: AdvowareBeteiligte): Promise<AdvowareKommunikation[]> {
    return party.kommunikation ?? this.listKommunikationen(party.betNr);
  }

  /** Fresh entries of a party: its record (one GET), or the list when the record does not embed them. */
  async readKommunikationen(betNr: number | string): Promise<AdvowareKommunikation[]> {
    return this.kommunikationenOf(await this.getBeteiligte(betNr));
  }

  async listKommunikationen(betNr: number | string): Promise<AdvowareKommunikation[]> {
    const { data } = await this.request<unknown>('GET', this.path('kommunikationen', { betNr }));
    return readList<AdvowareKommunikation>(
      'kommunikation',
      data,
      `GET Kommunikationen of ${betNr}`,
    );
  }

  async createKommunikation(
    betNr: number | string,
    data: AdvowareKommunikationInput,
  ): Promise<AdvowareKommunikation> {
    const answer = await this.request<unknown>('POST', this.path('kommunikationen', { betNr }), {
      body: data,
    });
    return tolerant<AdvowareKommunikation>('kommunikation', answer.data);
  }

  /** `kommKz` cannot change by PUT; Advoware keeps the old one. */
  async updateKommunikation(
    betNr: number | string,
    id: number | string,
    data: AdvowareKommunikationInput,
  ): Promise<AdvowareKommunikation> {
    const answer = await this.request<unknown>('PUT', this.path('kommunikationen', { betNr }, id), {
      body: data,
    });
    return tolerant<AdvowareKommunikation>('kommunikation', answer.data);
  }

  // --- Adressen (PUT changes only strasse, plz, ort, anschrift; no delete) ----

  /** Embedded `adressen` when a party answer carries them (assumed), else the list call. */
  async adressenOf(party: AdvowareBeteiligte): Promise<AdvowareAdresse[]> {
    return party.adressen ?? this.listAdressen(party.betNr);
  }

  async listAdressen(betNr: number | string): Promise<AdvowareAdresse[]> {
    const { data } = await this.request<unknown>('GET', this.path('adressen', { betNr }));
    return readList<AdvowareAdresse>('adresse', data, `GET Adressen of ${betNr}`);
  }

  async createAdresse(
    betNr: number | string,
    data: AdvowareAdresseInput,
  ): Promise<AdvowareAdresse> {
    const answer = await this.request<unknown>('POST', this.path('adressen', { betNr }), {
      body: data,
    });
    return tolerant<AdvowareAdresse>('adresse', answer.data);
  }

  async updateAdresse(
    betNr: number | string,
    id: number | string,
    data: AdvowareAdresseInput,
  ): Promise<AdvowareAdresse> {
    const answer = await this.request<unknown>('PUT', this.path('adressen', { betNr }, id), {
      body: data,
    });
    return tolerant<AdvowareAdresse>('adresse', answer.data);
  }

  // --- Bankverbindungen (paths our contract, assumed) -------------------------

  /** Embedded `bankverbindungen` when a party answer carries them (assumed), else the list call. */
  async bankverbindungenOf(party: AdvowareBeteiligte): Promise<AdvowareBankverbindung[]> {
    return party.bankverbindungen ?? this.listBankverbindungen(party.betNr);
  }

  async listBankverbindungen(betNr: number | string): Promise<AdvowareBankverbindung[]> {
    const { data } = await this.request<unknown>('GET', this.path('bankverbindungen', { betNr }));
    return readList<AdvowareBankverbindung>(
      'bankverbindung',
      data,
      `GET Bankverbindungen of ${betNr}`,
    );
  }

  /** The answer must carry the new account's `id` (the sync stores it in EspoCRM). */
  async createBankverbindung(
    betNr: number | string,
    data: AdvowareBankverbindungInput,
  ): Promise<AdvowareBankverbindung> {
    const answer = await this.request<unknown>('POST', this.path('bankverbindungen', { betNr }), {
      body: data,
    });
    return readRecord<AdvowareBankverbindung>(
      'bankverbindung',
      answer.data,
      `POST Bankverbindungen of ${betNr}`,
    );
  }

  async updateBankverbindung(
    betNr: number | string,
    id: number | string,
    data: AdvowareBankverbindungInput,
  ): Promise<AdvowareBankverbindung> {
    const answer = await this.request<unknown>(
      'PUT',
      this.path('bankverbindungen', { betNr }, id),
      { body: data },
    );
    return tolerant<AdvowareBankverbindung>('bankverbindung', answer.data);
  }

  /** Throws UpstreamForbiddenError when Advoware refuses (the sync turns that into a Task). */
  async deleteBankverbindung(betNr: number | string, id: number | string): Promise<void> {
    await this.request('DELETE', this.path('bankverbindungen', { betNr }, id));
  }

  // --- Mitarbeiter and Termine (resources `employees` and `appointments`) -------

  async listMitarbeiter(): Promise<AdvowareMitarbeiter[]> {
    const items = await this.readAllPages(this.path('employees'), {});
    return items.map((m) => readMitarbeiter(m, `GET ${this.paths.employees}`));
  }

  /** `kuerzel`/`von`/`bis` as the hub has always sent them (assumed for `appointments`). */
  async listTermine(q: AdvowareTerminQuery): Promise<AdvowareTermin[]> {
    const items = await this.readAllPages(this.path('appointments'), {
      kuerzel: q.kuerzel,
      von: isoDate(q.from),
      bis: isoDate(q.to),
    });
    return items.map((t) => readTermin(t, `GET ${this.paths.appointments}`));
  }

  /**
   * Lowercase `frnr`: the real API ignores `frNr` and answers the unfiltered list
   * (observed), so the answer is filtered again here as well.
   */
  async getTermin(frNr: number | string): Promise<AdvowareTermin | undefined> {
    const { data } = await this.request<unknown>('GET', this.path('appointments'), {
      query: { frnr: String(frNr) },
    });
    return readList<AdvowareTermin>('termin', data, `GET ${this.paths.appointments}`).find(
      (t) => String(t.frNr) === String(frNr),
    );
  }

  /**
   * `appointments` answers a create with `{id}` (observed in the previous system): the
   * Termin is then what was sent, under that number (`frNr`); a full record is taken as is.
   */
  async createTermin(data: AdvowareTerminInput): Promise<AdvowareTermin> {
    const answer = await this.request<unknown>('POST', this.path('appointments'), { body: data });
    const created = readTermin(answer.data, `POST ${this.paths.appointments}`);
    return { ...data, ...created } as AdvowareTermin;
  }

  /** PUT/DELETE `appointments/{frNr}` (observed in the previous system). */
  async updateTermin(frNr: number | string, data: AdvowareTerminInput): Promise<AdvowareTermin> {
    const answer = await this.request<unknown>('PUT', this.path('appointments', {}, frNr), {
      body: data,
    });
    return tolerant<AdvowareTermin>('termin', answer.data);
  }

  async deleteTermin(frNr: number | string): Promise<void> {
    await this.request('DELETE', this.path('appointments', {}, frNr));
  }
}

function sameText(value: unknown): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

function isoDate(value: string | Date): string {
  return typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);
}
