import type {
  AdvowareAdresse,
  AdvowareAdresseInput,
} from '../../integrations/advoware/advoware.types.js';
import type { CAdressen } from '../../integrations/espocrm/espocrm.types.js';

/**
 * Adressen (DOMAIN.md): EspoCRM `CAdressen` records linked to the party (`adressen`)
 * → Advoware addresses. The EspoCRM id in Advoware's `bemerkung` is the matching key
 * (written on create; `bemerkung` is read-only afterwards). PUT changes only the four
 * writable fields; what the API cannot do becomes a Task for a person.
 */

export type AdresseTaskAction = 'address_delete_required' | 'readonly_field_conflict';

export interface AdresseTask {
  action: AdresseTaskAction;
  /** Stable per problem, so a Task is made once per problem, not once per run. */
  name: string;
  description: string;
}

export interface AdressenPlan {
  creates: AdvowareAdresseInput[];
  updates: Array<{
    id: number;
    data: Pick<AdvowareAdresseInput, 'strasse' | 'plz' | 'ort' | 'anschrift'>;
  }>;
  tasks: AdresseTask[];
}

const WRITABLE = ['strasse', 'plz', 'ort', 'anschrift'] as const;
const ID_MARKER = /\[ESPOCRM-ID:([^\]\s]+)\]/;

export function adresseMarker(espoId: string): string {
  return `[ESPOCRM-ID:${espoId}]`;
}

export function espoIdOfAdresse(a: AdvowareAdresse): string | undefined {
  return ID_MARKER.exec(a.bemerkung ?? '')?.[1];
}

function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
}

export function diffAdressen(
  betnr: number,
  espo: CAdressen[],
  advoware: AdvowareAdresse[],
): AdressenPlan {
  const plan: AdressenPlan = { creates: [], updates: [], tasks: [] };
  const byEspoId = new Map<string, AdvowareAdresse>();
  for (const a of advoware) {
    const id = espoIdOfAdresse(a);
    if (id && !byEspoId.has(id)) byEspoId.set(id, a);
  }

  for (const e of espo) {
    const a = byEspoId.get(e.id);
    if (!a) {
      plan.creates.push({
        strasse: text(e.strasse),
        plz: text(e.plz),
        ort: text(e.ort),
        anschrift: text(e.anschrift),
        land: text(e.land),
        standardAnschrift: e.istStandard === true,
        bemerkung: adresseMarker(e.id),
      });
      continue;
    }
    if (WRITABLE.some((f) => text(e[f]) !== text(a[f]))) {
      plan.updates.push({
        id: a.id,
        data: {
          strasse: text(e.strasse),
          plz: text(e.plz),
          ort: text(e.ort),
          anschrift: text(e.anschrift),
        },
      });
    }
    const readOnly: Array<[string, unknown, unknown]> = [['land', text(e.land), text(a.land)]];
    if (typeof e.istStandard === 'boolean')
      readOnly.push(['standardAnschrift', e.istStandard, a.standardAnschrift === true]);
    for (const [field, want, have] of readOnly) {
      if (want === have) continue;
      plan.tasks.push({
        action: 'readonly_field_conflict',
        name: `Advoware-Adresse ${a.id} (betnr ${betnr}): ${field} ändern`,
        description:
          `readonly_field_conflict: Feld "${field}" der Advoware-Adresse ${a.id} von Beteiligtem ${betnr} ` +
          `ist über die API nicht änderbar. EspoCRM (CAdressen ${e.id}): ${String(want)}; Advoware: ${String(have)}. ` +
          'Bitte in Advoware von Hand ändern.',
      });
    }
  }

  const espoIds = new Set(espo.map((e) => e.id));
  for (const [espoId, a] of byEspoId) {
    if (espoIds.has(espoId)) continue;
    plan.tasks.push({
      action: 'address_delete_required',
      name: `Advoware-Adresse ${a.id} (betnr ${betnr}): löschen`,
      description:
        `address_delete_required: Die Adresse (CAdressen ${espoId}) wurde in EspoCRM gelöscht; die Advoware-API kann ` +
        `Adressen nicht löschen. Bitte Adresse ${a.id} (${[a.strasse, a.plz, a.ort].filter(Boolean).join(', ')}) ` +
        `von Beteiligtem ${betnr} in Advoware von Hand löschen.`,
    });
  }
  return plan;
}
