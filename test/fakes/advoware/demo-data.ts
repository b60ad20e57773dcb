import type { AdvowareSeed } from './advoware.fake.js';

function day(offsetDays: number, from: Date): string {
  const d = new Date(
    Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + offsetDays),
  );
  return d.toISOString().slice(0, 10);
}

/**
 * Two employees with appointments in the coming weeks (one all-day, one over
 * several days, one without a start time each) and one existing party, so the
 * sandbox and the calendar tests start from something realistic.
 */
export function advowareDemoData(now: Date = new Date()): AdvowareSeed {
  const d = (n: number) => day(n, now);
  return {
    mitarbeiter: [
      {
        kuerzel: 'MS',
        name: 'Schulz',
        vorname: 'Martina',
        email: 'm.schulz@kanzlei.example',
        aktiv: true,
      },
      {
        kuerzel: 'AB',
        name: 'Becker',
        vorname: 'Andreas',
        email: 'a.becker@kanzlei.example',
        aktiv: true,
      },
    ],
    termine: [
      {
        frNr: 70001,
        kuerzel: 'MS',
        datum: d(1),
        uhrzeitVon: '10:00:00',
        datumBis: d(1),
        uhrzeitBis: '11:00:00',
        text: 'Mandantengespräch Meier',
        notiz: 'Unterlagen Mietvertrag mitbringen',
        ort: 'Besprechungsraum 1',
        dauertermin: false,
      },
      {
        frNr: 70002,
        kuerzel: 'MS',
        datum: d(3),
        datumBis: d(3),
        text: 'Fristablauf Berufungsbegründung',
        dauertermin: true,
      },
      {
        frNr: 70003,
        kuerzel: 'MS',
        datum: d(7),
        uhrzeitVon: '09:30:00',
        datumBis: d(9),
        uhrzeitBis: '17:00:00',
        text: 'Fortbildung Mietrecht',
        ort: 'Berlin',
        dauertermin: false,
      },
      {
        frNr: 70004,
        kuerzel: 'MS',
        datum: d(10),
        datumBis: d(10),
        uhrzeitBis: '10:00:00',
        text: 'Wiedervorlage Akte 123/24',
        dauertermin: false,
      },
      {
        frNr: 70005,
        kuerzel: 'MS',
        datum: d(14),
        uhrzeitVon: '14:00:00',
        datumBis: d(14),
        uhrzeitBis: '15:30:00',
        text: 'Termin AG Charlottenburg',
        ort: 'Amtsgericht Charlottenburg, Saal 201',
        dauertermin: false,
        turnus: 0,
        turnusArt: 0,
      },
      {
        frNr: 70011,
        kuerzel: 'AB',
        datum: d(2),
        uhrzeitVon: '08:30:00',
        datumBis: d(2),
        uhrzeitBis: '09:00:00',
        text: 'Telefonat Gegenseite',
        dauertermin: false,
      },
      {
        frNr: 70012,
        kuerzel: 'AB',
        datum: d(5),
        datumBis: d(5),
        text: 'Urlaub',
        dauertermin: true,
      },
      {
        frNr: 70013,
        kuerzel: 'AB',
        datum: d(12),
        uhrzeitVon: '12:00:00',
        datumBis: d(15),
        uhrzeitBis: '12:00:00',
        text: 'Räumungstermin mit Gerichtsvollzieher',
        ort: 'Hauptstraße 5, Berlin',
        dauertermin: false,
      },
      {
        frNr: 70014,
        kuerzel: 'AB',
        datum: d(16),
        datumBis: d(16),
        text: 'Akte prüfen',
        notiz: 'ohne Uhrzeit',
        dauertermin: false,
      },
      {
        frNr: 70015,
        kuerzel: 'AB',
        datum: d(20),
        uhrzeitVon: '16:00:00',
        datumBis: d(20),
        uhrzeitBis: '17:00:00',
        text: 'Teambesprechung',
        dauertermin: false,
        turnus: 1,
        turnusArt: 2,
      },
    ],
    beteiligte: [
      {
        betNr: 10001,
        name: 'Müller',
        vorname: 'Hans',
        rechtsform: 'Frau/Herr',
        anrede: 'Herr',
        geburtsdatum: '1970-04-12T00:00:00',
        externeId: null,
        kommunikationen: [
          { kommKz: 1, kommArt: 0, tlf: '+49 30 1234567', bemerkung: 'Büro', online: false },
          { kommKz: 4, kommArt: 1, tlf: 'hans.mueller@example.org', bemerkung: null, online: true },
        ],
        adressen: [
          {
            strasse: 'Hauptstraße 5',
            plz: '10115',
            ort: 'Berlin',
            land: 'D',
            anschrift: 'Herrn\nHans Müller\nHauptstraße 5\n10115 Berlin',
            standardAnschrift: true,
            reihenfolgeIndex: 1,
          },
        ],
        bankverbindungen: [
          {
            iban: 'DE89370400440532013000',
            bic: 'COBADEFFXXX',
            kontoinhaber: 'Hans Müller',
            bankname: 'Commerzbank',
            istStandard: true,
          },
        ],
      },
    ],
  };
}
