import type { EspoSeed } from './espocrm.fake.js';

/**
 * Demo data for the sandbox and for tests that want a realistic start: four parties
 * (three persons, one company) waiting for their first sync, two bank accounts of one
 * party, one eviction case with three documents whose files are new, and the landlord
 * as an Account. Ids are fixed 17-hex strings so a sandbox run is reproducible.
 * JSON-safe (attachment bytes as text/base64), so it can be POSTed to `/__fake/seed`.
 */

const id = (prefix: string, n: number): string => `${prefix}${String(n).padStart(12, '0')}`;

export const DEMO_IDS = {
  erika: id('be7e1', 1),
  max: id('be7e1', 2),
  sonnenhof: id('be7e1', 3),
  jonas: id('be7e1', 4),
  bankErikaGiro: id('ba4c0', 1),
  bankErikaSpar: id('ba4c0', 2),
  adresseErika: id('ad7e5', 1),
  adresseSonnenhof: id('ad7e5', 2),
  klage: id('c1a9e', 1),
  account: id('acc00', 1),
  dokKlageschrift: id('d0c00', 1),
  dokMietvertrag: id('d0c00', 2),
  dokKuendigung: id('d0c00', 3),
  fileKlageschrift: id('a77ac', 1),
  fileMietvertrag: id('a77ac', 2),
  fileKuendigung: id('a77ac', 3),
  assignedUser: id('05e70', 1),
} as const;

const CREATED = '2026-01-05 09:00:00';

/** A minimal but well-formed one-page PDF, so type sniffing and uploads behave as with a real file. */
const MINI_PDF = [
  '%PDF-1.4',
  '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
  '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
  '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj',
  'trailer << /Root 1 0 R >>',
  '%%EOF',
  '',
].join('\n');

export function espocrmDemoData(): EspoSeed {
  const d = DEMO_IDS;
  const base = { createdAt: CREATED, modifiedAt: CREATED, assignedUserId: d.assignedUser };
  const pending = {
    syncStatus: 'pending_sync',
    syncRetryCount: 0,
    betnr: null,
    advowareLastSync: null,
  };
  return {
    attachments: [
      {
        id: d.fileKlageschrift,
        name: 'Klageschrift.txt',
        type: 'text/plain',
        text: 'Klageschrift\n\nIn Sachen Hausverwaltung Sonnenhof GmbH ./. Erika Mustermann\nwegen Räumung der Wohnung Sonnenweg 3, 80331 München.\n',
        relatedType: 'CDokumente',
        relatedId: d.dokKlageschrift,
        field: 'dokument',
      },
      {
        id: d.fileMietvertrag,
        name: 'Mietvertrag.pdf',
        type: 'application/pdf',
        base64: Buffer.from(MINI_PDF, 'latin1').toString('base64'),
        relatedType: 'CDokumente',
        relatedId: d.dokMietvertrag,
        field: 'dokument',
      },
      {
        id: d.fileKuendigung,
        name: 'Kuendigung.md',
        type: 'text/markdown',
        text: '# Fristlose Kündigung\n\nZahlungsrückstand von zwei Monatsmieten (§ 543 Abs. 2 Nr. 3 BGB).\n',
        relatedType: 'CDokumente',
        relatedId: d.dokKuendigung,
        field: 'dokument',
      },
    ],
    records: {
      CBeteiligte: [
        {
          ...base,
          ...pending,
          id: d.erika,
          name: 'Erika Mustermann',
          firstName: 'Erika',
          lastName: 'Mustermann',
          anrede: 'Frau',
          rechtsform: 'Natürliche Person',
          geburtsdatum: '1964-08-12',
          emailAddress: 'erika.mustermann@example.de',
          emailAddressData: [{ emailAddress: 'erika.mustermann@example.de', primary: true }],
          phoneNumber: '+49 170 1234567',
          phoneNumberData: [
            { phoneNumber: '+49 170 1234567', type: 'Mobile', primary: true },
            { phoneNumber: '+49 89 7654321', type: 'Home', primary: false },
          ],
        },
        {
          ...base,
          ...pending,
          id: d.max,
          name: 'Max Müller',
          firstName: 'Max',
          lastName: 'Müller',
          anrede: 'Herr',
          rechtsform: 'Natürliche Person',
          geburtsdatum: '1979-03-01',
          emailAddress: 'max.mueller@example.de',
          emailAddressData: [
            { emailAddress: 'max.mueller@example.de', primary: true },
            { emailAddress: 'm.mueller@kanzlei-example.de', primary: false },
          ],
          phoneNumber: '+49 151 9876543',
          phoneNumberData: [{ phoneNumber: '+49 151 9876543', type: 'Mobile', primary: true }],
        },
        {
          ...base,
          ...pending,
          id: d.sonnenhof,
          name: 'Hausverwaltung Sonnenhof GmbH',
          firstName: null,
          lastName: null,
          anrede: 'Firma',
          rechtsform: 'GmbH',
          geburtsdatum: null,
          handelsregisterNummer: 'HRB 123456',
          registergericht: 'Amtsgericht München',
          emailAddress: 'info@sonnenhof-hv.example.de',
          emailAddressData: [{ emailAddress: 'info@sonnenhof-hv.example.de', primary: true }],
          phoneNumber: '+49 89 1234560',
          phoneNumberData: [
            { phoneNumber: '+49 89 1234560', type: 'Office', primary: true },
            { phoneNumber: '+49 89 1234569', type: 'Fax', primary: false },
          ],
        },
        {
          ...base,
          ...pending,
          id: d.jonas,
          name: 'Jonas Schmidt',
          firstName: 'Jonas',
          lastName: 'Schmidt',
          anrede: 'Herr',
          rechtsform: 'Natürliche Person',
          geburtsdatum: '1991-11-23',
          emailAddress: null,
          emailAddressData: [],
          phoneNumber: null,
          phoneNumberData: [],
        },
      ],
      CAdressen: [
        {
          ...base,
          id: d.adresseErika,
          name: 'Sonnenweg 3, 80331 München',
          strasse: 'Sonnenweg 3',
          plz: '80331',
          ort: 'München',
          land: 'DE',
          istStandard: true,
          beteiligteId: d.erika,
        },
        {
          ...base,
          id: d.adresseSonnenhof,
          name: 'Leopoldstraße 100, 80802 München',
          strasse: 'Leopoldstraße 100',
          plz: '80802',
          ort: 'München',
          land: 'DE',
          istStandard: true,
          beteiligteId: d.sonnenhof,
        },
      ],
      CBankverbindungen: [
        {
          ...base,
          id: d.bankErikaGiro,
          name: 'Girokonto Commerzbank',
          iban: 'DE89370400440532013000',
          bic: 'COBADEFFXXX',
          kontoinhaber: 'Erika Mustermann',
          bankname: 'Commerzbank',
          istAktiv: true,
          istStandard: true,
          beteiligteId: d.erika,
          syncStatus: 'unclean',
        },
        {
          ...base,
          id: d.bankErikaSpar,
          name: 'Tagesgeld DKB',
          iban: 'DE02120300000000202051',
          bic: 'BYLADEM1001',
          kontoinhaber: 'Erika Mustermann',
          bankname: 'Deutsche Kreditbank',
          istAktiv: true,
          istStandard: false,
          beteiligteId: d.erika,
          syncStatus: 'unclean',
        },
      ],
      Account: [
        { ...base, id: d.account, name: 'Hausverwaltung Sonnenhof GmbH', xaiCollectionId: null },
      ],
      CVmhRaeumungsklage: [
        {
          ...base,
          id: d.klage,
          name: 'Räumungsklage Sonnenhof ./. Mustermann',
          aktenzeichen: '2026/0815',
          xaiCollectionId: null,
        },
      ],
      CDokumente: [
        doc(d.dokKlageschrift, 'Klageschrift', d.fileKlageschrift, 'Klageschrift.txt'),
        doc(d.dokMietvertrag, 'Mietvertrag', d.fileMietvertrag, 'Mietvertrag.pdf'),
        doc(d.dokKuendigung, 'Kündigung', d.fileKuendigung, 'Kuendigung.md'),
      ],
    },
    links: [
      {
        entity: 'CVmhRaeumungsklage',
        id: d.klage,
        link: 'dokumente',
        foreignIds: [d.dokKlageschrift, d.dokMietvertrag, d.dokKuendigung],
      },
      // The landlord's own collection holds the lease too: one document, two collections.
      { entity: 'Account', id: d.account, link: 'dokumente', foreignIds: [d.dokMietvertrag] },
    ],
  };

  function doc(docId: string, name: string, fileId: string, fileName: string) {
    return {
      ...base,
      id: docId,
      name,
      dokumentId: fileId,
      dokumentName: fileName,
      fileStatus: 'neu',
      xaiId: null,
      xaiCollections: [],
      xaiSyncedHash: null,
      md5sum: null,
    };
  }
}
