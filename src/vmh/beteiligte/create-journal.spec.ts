import type { AdvowareBeteiligte } from '../../integrations/advoware/advoware.types.js';
import { adoptionCandidate, type CreateJournalEntry } from './create-journal.js';

const STARTED = Date.parse('2026-12-04T13:00:00Z');
const entry: CreateJournalEntry = { startedAt: STARTED, names: ['Mustermann'], vorname: 'Erika' };

const party = (betNr: number, over: Partial<AdvowareBeteiligte> = {}): AdvowareBeteiligte => ({
  betNr,
  name: 'Mustermann',
  vorname: 'Erika',
  geaendertAm: '2026-12-04T13:00:05Z',
  ...over,
});

describe('adoptionCandidate', () => {
  it.each<[string, AdvowareBeteiligte[], number | undefined]>([
    ['the one namesake made after the entry', [party(10)], 10],
    ['the newest of two made after the entry', [party(10), party(12), party(11)], 12],
    ['no namesake', [party(10, { name: 'Anders' })], undefined],
    ['names compared without case and spaces', [party(10, { name: ' mustermann ' })], 10],
    ['another first name is someone else', [party(10, { vorname: 'Max' })], undefined],
    [
      'an older namesake is not taken',
      [party(10, { geaendertAm: '2026-12-04T12:50:00Z' })],
      undefined,
    ],
    ['Advoware clock up to 2 min behind', [party(10, { geaendertAm: '2026-12-04T12:58:30Z' })], 10],
    // 14:00:05 Berlin wall-clock = 13:00:05Z: after the entry, if read as Berlin time.
    [
      'a zone-less time read as Berlin time',
      [party(10, { geaendertAm: '2026-12-04T14:00:05' })],
      10,
    ],
    [
      'a zone-less time one hour earlier is older',
      [party(10, { geaendertAm: '2026-12-04T13:00:05' })],
      undefined,
    ],
    [
      'a party without a time cannot be proven new',
      [party(10, { geaendertAm: undefined })],
      undefined,
    ],
    ['carrying another EspoCRM id', [party(10, { externeId: 'other' })], undefined],
    ['carrying this EspoCRM id', [party(10, { externeId: 'espo-1' })], 10],
  ])('%s', (_why, namesakes, expected) => {
    expect(adoptionCandidate(entry, 'espo-1', namesakes)?.betNr).toBe(expected);
  });

  it('matches any name a POST was sent with, and any first name when none was sent', () => {
    const renamed: CreateJournalEntry = {
      startedAt: STARTED,
      names: ['Alt', 'Neu'],
      vorname: null,
    };
    expect(
      adoptionCandidate(renamed, 'espo-1', [party(10, { name: 'Alt', vorname: 'X' })])?.betNr,
    ).toBe(10);
  });
});
