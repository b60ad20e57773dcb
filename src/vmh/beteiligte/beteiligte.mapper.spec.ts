import { masterDataDiff, toAdvoware, toEspoPatch } from './beteiligte.mapper.js';

describe('Beteiligte mapper', () => {
  it('splits a person into vorname/name and carries the EspoCRM id as externeId', () => {
    expect(
      toAdvoware({
        id: 'e1',
        name: 'Max Muster',
        firstName: 'Max',
        lastName: 'Muster',
        rechtsform: 'Natürliche Person',
        anrede: 'Herr',
        geburtsdatum: '1970-01-02',
      }),
    ).toEqual({
      name: 'Muster',
      vorname: 'Max',
      rechtsform: 'Natürliche Person',
      anrede: 'Herr',
      geburtsdatum: '1970-01-02',
      handelsRegisterNummer: null,
      registergericht: null,
      externeId: 'e1',
    });
  });

  it('keeps a company name whole with its trade register', () => {
    expect(
      toAdvoware({
        id: 'c1',
        name: 'ACME GmbH',
        rechtsform: 'GmbH',
        handelsregisterNummer: 'HRB 1',
        registergericht: 'AG Berlin',
      }),
    ).toMatchObject({
      name: 'ACME GmbH',
      vorname: null,
      handelsRegisterNummer: 'HRB 1',
      registergericht: 'AG Berlin',
    });
  });

  it('compares dates and blanks normalised, so Advoware date-times equal EspoCRM dates', () => {
    expect(
      masterDataDiff(
        { id: 'e', firstName: 'A', lastName: 'B', geburtsdatum: '1980-05-17', anrede: '' },
        {
          betNr: 1,
          vorname: 'A',
          name: 'B ',
          geburtsdatum: '1980-05-17T00:00:00',
          anrede: null as unknown as string,
        },
      ),
    ).toEqual([]);
  });

  it('patches only the EspoCRM fields that differ from Advoware', () => {
    expect(
      toEspoPatch(
        { id: 'e', firstName: 'A', lastName: 'B', rechtsform: 'Natürliche Person', anrede: 'Frau' },
        { betNr: 1, vorname: 'A', name: 'C', rechtsform: 'Natürliche Person', anrede: 'Frau' },
      ),
    ).toEqual({ lastName: 'C' });
  });
});
