import type { AdvowareKommunikation } from '../../integrations/advoware/advoware.types.js';
import type {
  EspoEmailAddressData,
  EspoPhoneNumberData,
} from '../../integrations/espocrm/espocrm.types.js';
import {
  type KommKind,
  espoPhoneType,
  inferKz,
  isSyncRelevant,
  kindOfKz,
  kommKzForEspo,
  marker,
  norm,
  parseBemerkung,
  slotMarker,
  withUserText,
} from './kommunikation.markers.js';

/**
 * Three-way diff of phones, emails and faxes (DOMAIN.md, "Kommunikation"): EspoCRM
 * now, Advoware now, and the markers in Advoware's `bemerkung` as the last synced
 * state. Pure: the service fetches both sides, applies the plan and recomputes the hash.
 */

// The markers and kinds moved to kommunikation.markers.ts; importers of this file keep their names.
export {
  KOMM_KZ,
  type KommKind,
  type ParsedBemerkung,
  espoPhoneType,
  isSyncRelevant,
  kommKzForEspo,
  kommunikationHash,
  marker,
  parseBemerkung,
  slotMarker,
} from './kommunikation.markers.js';

// --- the diff --------------------------------------------------------------------

export interface KommunikationDiffInput {
  emails: EspoEmailAddressData[];
  phones: EspoPhoneNumberData[];
  advoware: AdvowareKommunikation[];
  /**
   * Advoware's sync-relevant entries changed since the last sync (stored hash differs)
   * while EspoCRM did not: an EspoCRM value without any Advoware entry was then
   * deleted in Advoware, not added in EspoCRM. False on the first sync.
   */
  advowareOnlyChanged: boolean;
}

export interface KommunikationCreate {
  kommKz: number;
  tlf: string;
  bemerkung: string;
  online: boolean;
}

export interface KommunikationUpdate {
  id: number;
  tlf: string;
  bemerkung: string;
  /** What it is for the log and the tests. */
  why: 'mark' | 'espocrm_value' | 'slot' | 'reuse_slot' | 'advoware_value';
}

export interface KommunikationPlan {
  creates: KommunikationCreate[];
  updates: KommunikationUpdate[];
  /** The new EspoCRM lists, or undefined when unchanged. */
  emails?: EspoEmailAddressData[];
  phones?: EspoPhoneNumberData[];
}

interface EspoValue {
  kind: KommKind;
  value: string;
  kommKz: number;
  consumed: boolean;
}

/** EspoCRM's lists as the plan edits them. */
class EspoLists {
  emails: EspoEmailAddressData[];
  phones: EspoPhoneNumberData[];
  changed = false;

  constructor(emails: EspoEmailAddressData[], phones: EspoPhoneNumberData[]) {
    this.emails = emails.map((e) => ({ ...e }));
    this.phones = phones.map((p) => ({ ...p }));
  }

  add(value: string, kommKz: number): void {
    this.changed = true;
    if (kindOfKz(kommKz) === 'email') {
      this.emails.push({ emailAddress: value, primary: this.emails.length === 0 });
    } else {
      this.phones.push({
        phoneNumber: value,
        type: espoPhoneType(kommKz),
        primary: this.phones.length === 0,
      });
    }
  }

  replace(kind: KommKind, old: string, value: string): void {
    this.changed = true;
    if (kind === 'email') {
      const e = this.emails.find((x) => norm(x.emailAddress) === norm(old));
      if (e) e.emailAddress = value;
    } else {
      const p = this.phones.find((x) => norm(x.phoneNumber) === norm(old));
      if (p) p.phoneNumber = value;
    }
  }

  remove(kind: KommKind, old: string): void {
    this.changed = true;
    if (kind === 'email') {
      this.emails = this.emails.filter((x) => norm(x.emailAddress) !== norm(old));
      if (this.emails.length > 0 && !this.emails.some((x) => x.primary))
        this.emails[0].primary = true;
    } else {
      this.phones = this.phones.filter((x) => norm(x.phoneNumber) !== norm(old));
      if (this.phones.length > 0 && !this.phones.some((x) => x.primary))
        this.phones[0].primary = true;
    }
  }
}

export function diffKommunikation(input: KommunikationDiffInput): KommunikationPlan {
  const values: EspoValue[] = [
    ...input.emails
      .filter((e) => e.emailAddress?.trim())
      .map((e) => ({
        kind: 'email' as const,
        value: e.emailAddress.trim(),
        kommKz: kommKzForEspo('email'),
        consumed: false,
      })),
    ...input.phones
      .filter((p) => p.phoneNumber?.trim())
      .map((p) => ({
        kind: 'phone' as const,
        value: p.phoneNumber.trim(),
        kommKz: kommKzForEspo('phone', p.type),
        consumed: false,
      })),
  ];
  /** Values an Advoware entry already stands for; a second unmarked entry with one is a duplicate. */
  const represented = new Set<string>();
  const take = (value: string): EspoValue | undefined => {
    const v = values.find((x) => !x.consumed && norm(x.value) === norm(value));
    if (v) {
      v.consumed = true;
      represented.add(norm(value));
    }
    return v;
  };

  const lists = new EspoLists(input.emails, input.phones);
  const creates: KommunikationCreate[] = [];
  const updates: KommunikationUpdate[] = [];
  /** Marked entries whose synced value EspoCRM no longer has: changed or deleted there. */
  const goneInEspo: Array<{ entry: AdvowareKommunikation; kommKz: number; userText: string }> = [];
  const freeSlots: Array<{ entry: AdvowareKommunikation; kommKz: number; userText: string }> = [];

  const entries = [...input.advoware].sort((a, b) => a.id - b.id);

  for (const entry of entries) {
    const parsed = parseBemerkung(entry.bemerkung);
    if (parsed.type !== 'marked') continue;
    const current = (entry.tlf ?? '').trim();
    const kind = kindOfKz(parsed.kommKz) ?? kindOfKz(inferKz(parsed.value)) ?? 'phone';
    if (!take(parsed.value)) {
      goneInEspo.push({ entry, kommKz: parsed.kommKz, userText: parsed.userText });
    } else if (norm(current) === norm(parsed.value)) {
      continue;
    } else if (current === '') {
      // Blanked in Advoware (the API cannot delete): gone there, so gone in EspoCRM; the entry becomes a slot.
      lists.remove(kind, parsed.value);
      updates.push({
        id: entry.id,
        tlf: '',
        bemerkung: withUserText(slotMarker(parsed.kommKz), parsed.userText),
        why: 'slot',
      });
    } else {
      represented.add(norm(current));
      lists.replace(kind, parsed.value, current);
      updates.push({
        id: entry.id,
        tlf: current,
        bemerkung: withUserText(marker(current, parsed.kommKz), parsed.userText),
        why: 'mark',
      });
    }
  }

  for (const entry of entries) {
    const parsed = parseBemerkung(entry.bemerkung);
    const current = (entry.tlf ?? '').trim();
    if (parsed.type === 'slot') {
      if (current === '') {
        freeSlots.push({ entry, kommKz: parsed.kommKz, userText: parsed.userText });
        continue;
      }
      // A value typed into a slot in Advoware is a new Advoware value (a past failure ignored these).
      if (!take(current)) {
        represented.add(norm(current));
        lists.add(current, parsed.kommKz);
      }
      updates.push({
        id: entry.id,
        tlf: current,
        bemerkung: withUserText(marker(current, parsed.kommKz), parsed.userText),
        why: 'advoware_value',
      });
    } else if (parsed.type === 'none' && isSyncRelevant(entry)) {
      const kz = entry.kommKz === 0 ? inferKz(current) : entry.kommKz;
      if (represented.has(norm(current))) {
        // A duplicate of an entry that already stands for this value: left alone, never copied to EspoCRM.
        continue;
      } else if (take(current)) {
        // Equal value, e.g. on the first sync: only the marker, never a second entry (a past duplicate bug).
        updates.push({
          id: entry.id,
          tlf: current,
          bemerkung: withUserText(marker(current, kz), parsed.userText),
          why: 'mark',
        });
      } else {
        represented.add(norm(current));
        lists.add(current, kz);
        updates.push({
          id: entry.id,
          tlf: current,
          bemerkung: withUserText(marker(current, kz), parsed.userText),
          why: 'advoware_value',
        });
      }
    }
  }

  for (const v of values) {
    if (v.consumed) continue;
    v.consumed = true;
    const gone = goneInEspo.findIndex((g) => g.kommKz === v.kommKz);
    if (gone >= 0) {
      // Changed in EspoCRM (kommKz cannot change by PUT, so only an entry of the same kind takes it); EspoCRM wins over an Advoware edit.
      const [g] = goneInEspo.splice(gone, 1);
      updates.push({
        id: g.entry.id,
        tlf: v.value,
        bemerkung: withUserText(marker(v.value, g.kommKz), g.userText),
        why: 'espocrm_value',
      });
    } else if (input.advowareOnlyChanged) {
      lists.remove(v.kind, v.value);
    } else {
      const slot = freeSlots.findIndex((s) => s.kommKz === v.kommKz);
      if (slot >= 0) {
        const [s] = freeSlots.splice(slot, 1);
        updates.push({
          id: s.entry.id,
          tlf: v.value,
          bemerkung: withUserText(marker(v.value, s.kommKz), s.userText),
          why: 'reuse_slot',
        });
      } else {
        creates.push({
          kommKz: v.kommKz,
          tlf: v.value,
          bemerkung: marker(v.value, v.kommKz),
          online: v.kind === 'email',
        });
      }
    }
  }

  for (const g of goneInEspo) {
    updates.push({
      id: g.entry.id,
      tlf: '',
      bemerkung: withUserText(slotMarker(g.kommKz), g.userText),
      why: 'slot',
    });
  }

  return {
    creates,
    updates,
    ...(lists.changed ? { emails: lists.emails, phones: lists.phones } : {}),
  };
}
