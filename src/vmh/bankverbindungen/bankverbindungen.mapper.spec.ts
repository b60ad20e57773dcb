import type { AdvowareBankverbindung } from '../../integrations/advoware/advoware.types.js';
import type { CBankverbindungen } from '../../integrations/espocrm/espocrm.types.js';
import {
  changedFields,
  decideBankverbindungSync,
  espoIdOf,
  selectStandardAccount,
  standardCorrections,
  toAdvowareBankverbindung,
  validateAccount,
  withMarker,
} from './bankverbindungen.mapper.js';

const IBAN = 'DE89370400440532013000';
const VALID = { iban: IBAN, bic: 'COBADEFFXXX' };

function account(fields: Partial<CBankverbindungen> = {}): CBankverbindungen {
  return {
    id: 'bv1',
    iban: 'DE89 3704 0044 0532 0130 00',
    bic: 'cobadeffxxx',
    kontoinhaber: 'Erika Mustermann',
    bankname: 'Commerzbank',
    istAktiv: true,
    istStandard: false,
    beteiligteId: 'p1',
    modifiedAt: '2025-01-01 10:00:00',
    createdAt: '2025-01-01 09:00:00',
    ...fields,
  };
}

function advo(fields: Partial<AdvowareBankverbindung> = {}): AdvowareBankverbindung {
  return {
    id: 7,
    rowId: 'r7',
    iban: IBAN,
    bic: 'COBADEFFXXX',
    kontoinhaber: 'Erika Mustermann',
    bankname: 'Commerzbank',
    istStandard: false,
    bemerkung: '[ESPOCRM:bv1]',
    ...fields,
  };
}

describe('bemerkung marker', () => {
  it.each([
    ['an empty bemerkung', null, '[ESPOCRM:bv1]'],
    ['the user text', 'Konto für Mieten', '[ESPOCRM:bv1] Konto für Mieten'],
    ['an old marker and text', '[ESPOCRM:bv1] Konto für Mieten', '[ESPOCRM:bv1] Konto für Mieten'],
    ['a marker of another id', '[ESPOCRM:old] Text', '[ESPOCRM:bv1] Text'],
  ])('puts exactly one marker in front of %s', (_what, bemerkung, expected) => {
    expect(withMarker('bv1', bemerkung)).toBe(expected);
  });

  it.each([
    ['[ESPOCRM:abc123] Text', 'abc123'],
    ['  [ESPOCRM:abc123]', 'abc123'],
    ['Text [ESPOCRM:abc123]', undefined],
    [null, undefined],
  ])('reads the EspoCRM id from %p', (bemerkung, id) => {
    expect(espoIdOf(bemerkung)).toBe(id);
  });
});

describe('validateAccount', () => {
  it('normalizes a valid account', () => {
    expect(validateAccount(account())).toEqual({ ok: true, ...VALID });
  });

  it.each([
    ['a wrong IBAN checksum', { iban: 'DE89370400440532013001' }, 'Prüfsumme'],
    ['a wrong IBAN length', { iban: 'DE8937040044053201300' }, '22'],
    ['a missing IBAN', { iban: null }, 'IBAN fehlt'],
    ['a 9-character BIC', { bic: 'COBADEFF1' }, 'BIC'],
  ])('refuses %s with the reason', (_what, fields, reason) => {
    const result = validateAccount(account(fields));
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.message).toContain(reason);
  });

  it('accepts an account without BIC', () => {
    expect(validateAccount(account({ bic: '' }))).toEqual({ ok: true, iban: IBAN, bic: '' });
  });
});

describe('selectStandardAccount', () => {
  const a = (id: string, fields: Partial<CBankverbindungen>) => account({ id, ...fields });
  it.each([
    ['no account', [], undefined],
    ['no flagged account', [a('x', {}), a('y', {})], undefined],
    ['one flagged account', [a('x', {}), a('y', { istStandard: true })], 'y'],
    [
      'several flagged: the most recently modified wins',
      [
        a('x', { istStandard: true, modifiedAt: '2025-03-01 08:00:00' }),
        a('y', { istStandard: true, modifiedAt: '2025-03-02 08:00:00' }),
        a('z', { istStandard: true, modifiedAt: '2025-02-01 08:00:00' }),
      ],
      'y',
    ],
    [
      'equal modifiedAt: the most recently created wins',
      [
        a('x', { istStandard: true, createdAt: '2025-01-02 08:00:00' }),
        a('y', { istStandard: true, createdAt: '2025-01-01 08:00:00' }),
      ],
      'x',
    ],
    [
      'an inactive flagged account is never the standard one',
      [
        a('x', { istStandard: true, istAktiv: false, modifiedAt: '2025-03-09 08:00:00' }),
        a('y', { istStandard: true, modifiedAt: '2025-03-01 08:00:00' }),
      ],
      'y',
    ],
    [
      'only an inactive flagged account',
      [a('x', { istStandard: true, istAktiv: false })],
      undefined,
    ],
  ])('%s', (_what, accounts, winner) => {
    expect(selectStandardAccount(accounts)).toBe(winner);
  });

  it('does not depend on the order the accounts were listed in', () => {
    const list = [
      a('x', { istStandard: true, modifiedAt: '2025-03-01 08:00:00' }),
      a('y', { istStandard: true, modifiedAt: '2025-03-01 08:00:00' }),
    ];
    expect(selectStandardAccount(list)).toBe(selectStandardAccount([...list].reverse()));
  });
});

describe('toAdvowareBankverbindung and changedFields', () => {
  it('maps the EspoCRM fields with the marker and the standard decision', () => {
    expect(toAdvowareBankverbindung(account({ bankname: '  ' }), VALID, true)).toEqual({
      iban: IBAN,
      bic: 'COBADEFFXXX',
      kontoinhaber: 'Erika Mustermann',
      bankname: null,
      istStandard: true,
      bemerkung: '[ESPOCRM:bv1]',
    });
  });

  it('sends no BIC as null', () => {
    expect(toAdvowareBankverbindung(account(), { iban: IBAN, bic: '' }, false).bic).toBeNull();
  });

  it('keeps the user text of bemerkung behind the marker', () => {
    const current = advo({ bemerkung: 'Hausbank' });
    expect(toAdvowareBankverbindung(account(), VALID, false, current).bemerkung).toBe(
      '[ESPOCRM:bv1] Hausbank',
    );
  });

  const diff = (espo: Partial<CBankverbindungen>, advoware: Partial<AdvowareBankverbindung>) => {
    const valid = validateAccount(account(espo));
    if (!valid.ok) throw new Error(valid.message);
    return changedFields(
      toAdvowareBankverbindung(account(espo), valid, false, advo()),
      advo(advoware),
    );
  };

  it.each<[string, Partial<CBankverbindungen>, Partial<AdvowareBankverbindung>, string[]]>([
    ['nothing', {}, {}, []],
    [
      'spacing and case of IBAN and BIC only',
      {},
      { iban: 'de89 3704 0044 0532 0130 00', bic: 'cobadeffxxx' },
      [],
    ],
    ['an empty text on one side and none on the other', { bankname: '' }, { bankname: '' }, []],
    ['a bank name missing in Advoware', {}, { bankname: null }, ['bankname']],
    ['the IBAN', {}, { iban: 'DE02120300000000202051' }, ['iban']],
    ['the standard flag', {}, { istStandard: true }, ['istStandard']],
    ['a missing standard flag counted as false', {}, { istStandard: undefined }, []],
    ['a missing marker', {}, { bemerkung: null }, ['bemerkung']],
    ['account holder and BIC', { kontoinhaber: 'Max', bic: '' }, {}, ['bic', 'kontoinhaber']],
  ])('sees a difference in %s', (_what, espo, advoware, changed) => {
    expect(diff(espo, advoware)).toEqual(changed);
  });
});

describe('decideBankverbindungSync', () => {
  const cases: Array<
    [string, Partial<CBankverbindungen>, AdvowareBankverbindung[], boolean, object]
  > = [
    ['a new account with nothing in Advoware is created', {}, [], false, { action: 'create' }],
    [
      'a new account whose create answer was lost is found by its marker, not created twice',
      {},
      [advo({ id: 12 })],
      false,
      { action: 'no_change', kontoId: 12, by: 'marker' },
    ],
    [
      'an unmarked Advoware account with the same IBAN is adopted and marked',
      {},
      [advo({ id: 13, bemerkung: 'von Hand angelegt' })],
      false,
      { action: 'update', kontoId: 13, by: 'unmarked_iban', changed: ['bemerkung'] },
    ],
    [
      'an account marked for another EspoCRM record is not adopted',
      {},
      [advo({ id: 14, bemerkung: '[ESPOCRM:other]' })],
      false,
      { action: 'create' },
    ],
    [
      'a synced account without changes needs no write',
      { advowareKontoId: 7 },
      [advo()],
      false,
      { action: 'no_change', kontoId: 7, by: 'konto_id' },
    ],
    [
      'a changed account holder is put',
      { advowareKontoId: 7, kontoinhaber: 'Max Mustermann' },
      [advo()],
      false,
      { action: 'update', kontoId: 7, changed: ['kontoinhaber'] },
    ],
    [
      'a new standard decision is put',
      { advowareKontoId: 7 },
      [advo()],
      true,
      { action: 'update', kontoId: 7, changed: ['istStandard'] },
    ],
    [
      'a stored account gone from Advoware is reported, not recreated',
      { advowareKontoId: 7 },
      [advo({ id: 8, bemerkung: '[ESPOCRM:other]' })],
      false,
      { action: 'missing_in_advoware', kontoId: 7 },
    ],
    [
      'a stored id now used by another record is not taken over',
      { advowareKontoId: 7 },
      [advo({ bemerkung: '[ESPOCRM:other]' })],
      false,
      { action: 'missing_in_advoware', kontoId: 7 },
    ],
  ];

  it.each(cases)('%s', (_what, fields, list, isStandard, expected) => {
    expect(decideBankverbindungSync(account(fields), VALID, isStandard, list)).toMatchObject(
      expected,
    );
  });
});

describe('standardCorrections', () => {
  it('names the old standard account once a newer one is flagged', () => {
    const accounts = [
      account({
        id: 'old',
        istStandard: true,
        advowareKontoId: 1,
        modifiedAt: '2025-01-01 08:00:00',
      }),
      account({
        id: 'new',
        istStandard: true,
        advowareKontoId: 2,
        modifiedAt: '2025-02-01 08:00:00',
      }),
      account({ id: 'plain', advowareKontoId: 3 }),
    ];
    const advoware = [
      advo({ id: 1, istStandard: true }),
      advo({ id: 2, istStandard: false }),
      advo({ id: 3, istStandard: false }),
    ];
    expect(standardCorrections(accounts, advoware, 'new')).toEqual(['old']);
  });

  it('names nothing when Advoware already matches or the account is not synced yet', () => {
    const accounts = [
      account({
        id: 'a',
        istStandard: true,
        advowareKontoId: 1,
        modifiedAt: '2025-02-01 08:00:00',
      }),
      account({ id: 'b', istStandard: true, modifiedAt: '2025-01-01 08:00:00' }),
    ];
    expect(standardCorrections(accounts, [advo({ id: 1, istStandard: true })], 'b')).toEqual([]);
  });
});
