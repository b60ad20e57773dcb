import { Injectable, Logger } from '@nestjs/common';
import {
  PermanentUpstreamError,
  UpstreamNotFoundError,
} from '../../core/errors/upstream.errors.js';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { BeteiligteCreateJournal, adoptionCandidate } from './create-journal.js';
import { ENTITY, masterDataDiff, toAdvoware } from './beteiligte.mapper.js';

/** The party, or null when Advoware answers 404 (any other error passes on). */
export async function readBeteiligte(
  advoware: AdvowareClient,
  betnr: number,
): Promise<AdvowareBeteiligte | null> {
  try {
    return await advoware.getBeteiligte(betnr);
  } catch (err) {
    if (err instanceof UpstreamNotFoundError) return null;
    throw err;
  }
}

/** PUT EspoCRM's master data; the party returned carries the rowId our write produced. */
export async function putToAdvoware(
  advoware: AdvowareClient,
  espo: CBeteiligte,
  betnr: number,
): Promise<AdvowareBeteiligte> {
  const answer = await advoware.updateBeteiligte(betnr, toAdvoware(espo));
  // The stored rowId must be the one our write produced, or the echo looks like an Advoware change.
  return answer?.rowId ? answer : advoware.getBeteiligte(betnr);
}

/**
 * The create path of a Beteiligte sync: a party for an EspoCRM record without a betnr,
 * made once even when an earlier attempt's answer was lost (journal, adoption).
 */
@Injectable()
export class BeteiligteCreateService {
  private readonly logger = new Logger(BeteiligteCreateService.name);

  constructor(
    private readonly espocrm: EspoCrmClient,
    private readonly advoware: AdvowareClient,
    private readonly journal: BeteiligteCreateJournal,
  ) {}

  /**
   * A create whose answer was lost may have stored the party. Looked for first by the
   * EspoCRM id in `externeId`; when Advoware does not keep that field, through the
   * create journal (written before every POST): the party it names, or the newest
   * namesake made after it that no other EspoCRM record holds.
   */
  async createOrAdopt(espo: CBeteiligte): Promise<AdvowareBeteiligte> {
    const existing =
      (await this.advoware.findBeteiligteByEspoId(espo.id)) ?? (await this.fromJournal(espo));
    if (existing) {
      this.logger.log(
        `CBeteiligte/${espo.id} create: adopting Advoware betnr ${existing.betNr} made by an earlier attempt`,
      );
      await this.journal.created(espo.id, existing.betNr);
      return masterDataDiff(espo, existing).length > 0
        ? putToAdvoware(this.advoware, espo, existing.betNr)
        : existing;
    }
    const body = toAdvoware(espo);
    await this.journal.beforeCreate(espo.id, String(body.name ?? ''), body.vorname);
    let created: AdvowareBeteiligte;
    try {
      created = await this.advoware.createBeteiligte(body);
    } catch (err) {
      // An answered refusal (4xx) made nothing; a lost answer (5xx, timeout) may have.
      if (err instanceof PermanentUpstreamError && (err.status ?? 0) >= 400)
        await this.journal.forget(espo.id);
      throw err;
    }
    await this.journal.created(espo.id, created.betNr);
    return created;
  }

  private async fromJournal(espo: CBeteiligte): Promise<AdvowareBeteiligte | undefined> {
    const entry = await this.journal.get(espo.id);
    if (!entry) return undefined;
    if (entry.betNr !== undefined) {
      const known = await readBeteiligte(this.advoware, entry.betNr);
      if (known) return known;
    }
    const namesakes = (
      await Promise.all(entry.names.map((n) => this.advoware.findBeteiligteByName(n)))
    ).flat();
    const candidate = adoptionCandidate(entry, espo.id, namesakes);
    if (!candidate) return undefined;
    const holders = await this.espocrm.list<CBeteiligte>(ENTITY, {
      where: [{ type: 'equals', attribute: 'betnr', value: candidate.betNr }],
      select: ['id'],
      maxSize: 5,
    });
    if (holders.list.some((h) => h.id !== espo.id)) {
      this.logger.warn(
        `CBeteiligte/${espo.id} create: namesake betnr ${candidate.betNr} belongs to another EspoCRM record; not adopted`,
      );
      return undefined;
    }
    return candidate;
  }
}
