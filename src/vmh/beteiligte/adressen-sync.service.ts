import { Injectable, Logger } from '@nestjs/common';
import { AdvowareClient } from '../../integrations/advoware/advoware.client.js';
import { EspoCrmClient } from '../../integrations/espocrm/espocrm.client.js';
import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import type { CAdressen, CBeteiligte } from '../../integrations/espocrm/espocrm.types.js';
import { diffAdressen } from './adressen.diff.js';

/** EspoCRM `CAdressen` (hasMany `adressen` of CBeteiligte) → Advoware Adressen, plus Tasks for what the API cannot do. */
@Injectable()
export class AdressenSyncService {
  private readonly logger = new Logger(AdressenSyncService.name);

  constructor(
    private readonly espocrm: EspoCrmClient,
    private readonly advoware: AdvowareClient,
  ) {}

  /** `party`: the Advoware record as read; embedded `adressen` are used when it has them. */
  async sync(
    espo: CBeteiligte,
    party: AdvowareBeteiligte,
  ): Promise<{ advowareWrites: number; tasks: number }> {
    const betnr = party.betNr;
    const espoAdressen: CAdressen[] = [];
    for await (const a of this.espocrm.listAllRelated<CAdressen>(
      'CBeteiligte',
      espo.id,
      'adressen',
    ))
      espoAdressen.push(a);
    const plan = diffAdressen(betnr, espoAdressen, await this.advoware.adressenOf(party));

    for (const c of plan.creates) await this.advoware.createAdresse(betnr, c);
    for (const u of plan.updates) await this.advoware.updateAdresse(betnr, u.id, u.data);
    let tasks = 0;
    for (const t of plan.tasks) {
      if (await this.espocrm.findOpenTask('CBeteiligte', espo.id, t.name)) continue;
      await this.espocrm.createTask({
        name: t.name,
        description: t.description,
        parentType: 'CBeteiligte',
        parentId: espo.id,
        assignedUserId: espo.assignedUserId ?? undefined,
      });
      tasks += 1;
    }
    const advowareWrites = plan.creates.length + plan.updates.length;
    if (advowareWrites > 0 || tasks > 0) {
      this.logger.log(
        `Adressen CBeteiligte/${espo.id} betnr ${betnr}: ${plan.creates.length} created, ${plan.updates.length} updated, ${tasks} new Tasks`,
      );
    }
    return { advowareWrites, tasks };
  }
}
