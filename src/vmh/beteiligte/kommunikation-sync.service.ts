import { Injectable, Logger } from '@nestjs/common';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import type { CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { diffKommunikation, kommunikationHash } from './kommunikation.diff.js';

export interface KommunikationSyncResult {
  /** EspoCRM fields to write (emailAddressData/phoneNumberData), empty when EspoCRM already matches. */
  espoFields: Record<string, unknown>;
  /** Hash over Advoware's sync-relevant entries after the writes. */
  hash: string;
  advowareWrites: number;
}

/** Applies the Kommunikation diff to Advoware; EspoCRM's side is returned for the one final write. */
@Injectable()
export class KommunikationSyncService {
  private readonly logger = new Logger(KommunikationSyncService.name);

  constructor(private readonly advoware: AdvowareClient) {}

  /**
   * `party`: the Advoware record as read; its embedded `kommunikation` is used when
   * present (no extra call). `espoChangedSinceSync`: EspoCRM was edited after the last
   * sync (then a missing Advoware entry means "new in EspoCRM").
   */
  async sync(
    espo: CBeteiligte,
    party: AdvowareBeteiligte,
    espoChangedSinceSync: boolean,
  ): Promise<KommunikationSyncResult> {
    const betnr = party.betNr;
    const entries = await this.advoware.kommunikationenOf(party);
    const before = kommunikationHash(entries);
    const advowareOnlyChanged =
      !!espo.kommunikationHash && espo.kommunikationHash !== before && !espoChangedSinceSync;
    const plan = diffKommunikation({
      emails: espo.emailAddressData ?? [],
      phones: espo.phoneNumberData ?? [],
      advoware: entries,
      advowareOnlyChanged,
    });

    for (const u of plan.updates) {
      // kommKz is left out: Advoware keeps it on PUT, and GET may have reported 0.
      await this.advoware.updateKommunikation(betnr, u.id, { tlf: u.tlf, bemerkung: u.bemerkung });
    }
    for (const c of plan.creates) {
      await this.advoware.createKommunikation(betnr, c);
    }
    const advowareWrites = plan.updates.length + plan.creates.length;
    const hash =
      advowareWrites > 0
        ? kommunikationHash(await this.advoware.readKommunikationen(betnr))
        : before;
    const espoFields: Record<string, unknown> =
      plan.emails && plan.phones
        ? { emailAddressData: plan.emails, phoneNumberData: plan.phones }
        : {};
    if (advowareWrites > 0 || plan.emails) {
      this.logger.log(
        `Kommunikation CBeteiligte/${espo.id} betnr ${betnr}: ${plan.creates.length} created, ` +
          `${plan.updates.length} updated in Advoware${plan.emails ? ', EspoCRM lists changed' : ''}`,
      );
    }
    return { espoFields, hash, advowareWrites };
  }
}
