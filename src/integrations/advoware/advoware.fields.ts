/**
 * Every Advoware field name the hub reads or writes, spelled as Advoware spells it,
 * and how sure we are of it:
 * - `observed`: seen in answers of the firm's Advoware (the predecessor's Kommunikation
 *   analysis shows entries as `{id, betNr, rowId, kommArt, kommKz, tlf, bemerkung, online}`;
 *   DOMAIN.md's field notes), or in the previous system's calls against it;
 * - `documented`: in Advoware's published API description;
 * - `assumed`: our contract, never seen in a real answer.
 *
 * Advoware's serialiser writes camelCase. Reads are tolerant (advoware.reader.ts maps
 * any casing, `betnr`/`BetNr`, onto these names); writes use exactly these names.
 */
export type FieldSource = 'observed' | 'documented' | 'assumed';

export const ADVOWARE_FIELDS = {
  beteiligte: {
    betNr: 'observed',
    rowId: 'observed',
    geaendertAm: 'observed',
    name: 'observed',
    vorname: 'observed',
    rechtsform: 'observed',
    anrede: 'observed',
    titel: 'observed',
    geburtsdatum: 'observed',
    handelsRegisterNummer: 'observed',
    registergericht: 'observed',
    /** The EspoCRM id; Advoware may drop it on write (the create journal covers that). */
    externeId: 'assumed',
    /** The party's phones and emails, embedded in `GET Beteiligte/{betNr}`. */
    kommunikation: 'documented',
    /** Embedded lists the hub would take when present; never seen embedded. */
    adressen: 'assumed',
    bankverbindungen: 'assumed',
  },
  kommunikation: {
    id: 'observed',
    betNr: 'observed',
    rowId: 'observed',
    kommArt: 'observed',
    kommKz: 'observed',
    tlf: 'observed',
    bemerkung: 'observed',
    online: 'observed',
  },
  adresse: {
    id: 'observed',
    rowId: 'observed',
    strasse: 'observed',
    plz: 'observed',
    ort: 'observed',
    anschrift: 'observed',
    land: 'observed',
    postfach: 'observed',
    postfachPLZ: 'observed',
    standardAnschrift: 'observed',
    bemerkung: 'observed',
    gueltigVon: 'observed',
    gueltigBis: 'observed',
    reihenfolgeIndex: 'observed',
  },
  bankverbindung: {
    id: 'assumed',
    rowId: 'assumed',
    iban: 'assumed',
    bic: 'assumed',
    kontoinhaber: 'assumed',
    bankname: 'assumed',
    istStandard: 'assumed',
    bemerkung: 'assumed',
  },
  mitarbeiter: {
    kuerzel: 'observed',
    name: 'assumed',
    vorname: 'assumed',
    email: 'assumed',
    aktiv: 'assumed',
  },
  termin: {
    frNr: 'observed',
    datum: 'observed',
    uhrzeitVon: 'observed',
    datumBis: 'observed',
    uhrzeitBis: 'observed',
    text: 'observed',
    notiz: 'observed',
    ort: 'observed',
    dauertermin: 'observed',
    turnus: 'observed',
    turnusArt: 'observed',
    kuerzel: 'observed',
    sachbearbeiter: 'observed',
    zuletztGeaendertAm: 'observed',
  },
} as const satisfies Record<string, Record<string, FieldSource>>;

export type AdvowareRecordKind = keyof typeof ADVOWARE_FIELDS;

/**
 * Other names a field arrives under, beyond casing. `appointments` answers a create
 * with `{id}` (observed in the previous system); a list entry may carry `id` too (assumed).
 */
export const ADVOWARE_FIELD_ALIASES: Partial<Record<AdvowareRecordKind, Record<string, string>>> = {
  beteiligte: { kommunikationen: 'kommunikation' },
  termin: { id: 'frNr' },
};

/** The number that identifies each kind of record; an answer without it is unusable. */
export const ADVOWARE_ID_FIELD: Record<AdvowareRecordKind, string | undefined> = {
  beteiligte: 'betNr',
  kommunikation: 'id',
  adresse: 'id',
  bankverbindung: 'id',
  mitarbeiter: undefined,
  termin: 'frNr',
};

/** Timestamps: read with parseAdvowareTime (no offset = Europe/Berlin wall-clock). */
export const ADVOWARE_TIME_FIELDS = ['geaendertAm', 'zuletztGeaendertAm'] as const;
