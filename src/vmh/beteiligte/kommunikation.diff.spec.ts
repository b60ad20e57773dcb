import { createHash } from 'node:crypto';
import type { AdvowareKommunikation } from '../../integrations/advoware/advoware.types.js';
import {
  diffKommunikation,
  kommunikationHash,
  marker,
  parseBemerkung,
  slotMarker,
  type KommunikationDiffInput,
} from './kommunikation.diff.js';

let nextId = 1;
function entry(over: Partial<AdvowareKommunikation>): AdvowareKommunikation {
  const id = over.id ?? nextId++;
  return { id, rowId: `r${id}`, kommKz: 1, tlf: '', bemerkung: null, ...over };
}

function input(over: Partial<KommunikationDiffInput>): KommunikationDiffInput {
  return { emails: [], phones: [], advoware: [], advowareOnlyChanged: false, ...over };
}

const mail = (emailAddress: string, primary = true) => ({ emailAddress, primary });
const phone = (phoneNumber: string, type = 'Office', primary = true) => ({
  phoneNumber,
  type,
  primary,
});

describe('Kommunikation markers', () => {
  it('round-trips the synced value through base64 and keeps the user text', () => {
    const b = `${marker('a@b.de', 4)} privat`;
    expect(parseBemerkung(b)).toEqual({
      type: 'marked',
      value: 'a@b.de',
      kommKz: 4,
      userText: 'privat',
    });
    expect(parseBemerkung(slotMarker(3))).toEqual({ type: 'slot', kommKz: 3, userText: '' });
    expect(parseBemerkung('nur Text')).toEqual({ type: 'none', userText: 'nur Text' });
  });
});

describe('kommunikationHash', () => {
  it('is the first 16 hex of MD5 over the sorted rowIds of sync-relevant entries only', () => {
    const list = [
      entry({ rowId: 'b', kommKz: 4, tlf: 'x@y.de' }),
      entry({ rowId: 'a', kommKz: 1, tlf: '0301', bemerkung: marker('0301', 1) }),
      entry({ rowId: 'z', kommKz: 5, tlf: 'https://example.org' }),
    ];
    const expected = createHash('md5').update('a,b').digest('hex').slice(0, 16);
    expect(kommunikationHash(list)).toBe(expected);
    expect(kommunikationHash([...list].reverse())).toBe(expected);
  });

  it('ignores changes of irrelevant entries', () => {
    const base = [entry({ rowId: 'a', kommKz: 4, tlf: 'x@y.de' })];
    expect(kommunikationHash([...base, entry({ rowId: 'q', kommKz: 5, tlf: 'www' })])).toBe(
      kommunikationHash([...base, entry({ rowId: 'w', kommKz: 5, tlf: 'www' })]),
    );
  });
});

describe('diffKommunikation', () => {
  it('creates a new EspoCRM email (kommKz 4) and mobile (kommKz 3) in Advoware with markers', () => {
    const plan = diffKommunikation(
      input({
        emails: [mail('a@b.de')],
        phones: [
          phone('0170', 'Mobile'),
          phone('030', 'Office', false),
          phone('040', 'Fax', false),
        ],
      }),
    );
    expect(plan.creates).toEqual([
      { kommKz: 4, tlf: 'a@b.de', bemerkung: marker('a@b.de', 4), online: true },
      { kommKz: 3, tlf: '0170', bemerkung: marker('0170', 3), online: false },
      { kommKz: 1, tlf: '030', bemerkung: marker('030', 1), online: false },
      { kommKz: 2, tlf: '040', bemerkung: marker('040', 2), online: false },
    ]);
    expect(plan.updates).toEqual([]);
    expect(plan.emails).toBeUndefined();
  });

  it('does nothing when both sides hold the marked values', () => {
    const plan = diffKommunikation(
      input({
        emails: [mail('a@b.de')],
        advoware: [entry({ kommKz: 4, tlf: 'a@b.de', bemerkung: marker('a@b.de', 4) })],
      }),
    );
    expect(plan).toEqual({ creates: [], updates: [] });
  });

  it('updates Advoware when the value changed in EspoCRM', () => {
    const e = entry({ kommKz: 4, tlf: 'old@b.de', bemerkung: `${marker('old@b.de', 4)} Notiz` });
    const plan = diffKommunikation(input({ emails: [mail('new@b.de')], advoware: [e] }));
    expect(plan.updates).toEqual([
      {
        id: e.id,
        tlf: 'new@b.de',
        bemerkung: `${marker('new@b.de', 4)} Notiz`,
        why: 'espocrm_value',
      },
    ]);
    expect(plan.creates).toEqual([]);
  });

  it('updates EspoCRM when the value changed in Advoware (matched by the marker)', () => {
    const e = entry({ kommKz: 1, tlf: '030 999', bemerkung: marker('030 111', 1) });
    const plan = diffKommunikation(input({ phones: [phone('030 111')], advoware: [e] }));
    expect(plan.phones).toEqual([phone('030 999')]);
    expect(plan.updates).toEqual([
      { id: e.id, tlf: '030 999', bemerkung: marker('030 999', 1), why: 'mark' },
    ]);
  });

  it('blanks an entry deleted in EspoCRM into a slot, never deletes', () => {
    const e = entry({ kommKz: 3, tlf: '0170', bemerkung: marker('0170', 3) });
    const plan = diffKommunikation(input({ advoware: [e] }));
    expect(plan.updates).toEqual([{ id: e.id, tlf: '', bemerkung: slotMarker(3), why: 'slot' }]);
  });

  it('removes from EspoCRM a value blanked in Advoware', () => {
    const e = entry({ kommKz: 4, tlf: '', bemerkung: marker('a@b.de', 4) });
    const plan = diffKommunikation(
      input({
        emails: [mail('a@b.de'), mail('c@d.de', false)],
        advoware: [e, entry({ kommKz: 4, tlf: 'c@d.de', bemerkung: marker('c@d.de', 4) })],
      }),
    );
    expect(plan.emails).toEqual([mail('c@d.de', true)]);
    expect(plan.updates).toEqual([{ id: e.id, tlf: '', bemerkung: slotMarker(4), why: 'slot' }]);
  });

  it('removes from EspoCRM a value whose entry vanished in Advoware while EspoCRM did not change', () => {
    const plan = diffKommunikation(input({ phones: [phone('030')], advowareOnlyChanged: true }));
    expect(plan.phones).toEqual([]);
    expect(plan.creates).toEqual([]);
  });

  it('adds to EspoCRM an entry new in Advoware and marks it', () => {
    const e = entry({ kommKz: 3, tlf: '0171' });
    const plan = diffKommunikation(input({ advoware: [e] }));
    expect(plan.phones).toEqual([{ phoneNumber: '0171', type: 'Mobile', primary: true }]);
    expect(plan.updates).toEqual([
      { id: e.id, tlf: '0171', bemerkung: marker('0171', 3), why: 'advoware_value' },
    ]);
  });

  it('lets EspoCRM win when both sides changed the same entry', () => {
    const e = entry({ kommKz: 4, tlf: 'advo@b.de', bemerkung: marker('old@b.de', 4) });
    const plan = diffKommunikation(input({ emails: [mail('espo@b.de')], advoware: [e] }));
    expect(plan.updates).toEqual([
      { id: e.id, tlf: 'espo@b.de', bemerkung: marker('espo@b.de', 4), why: 'espocrm_value' },
    ]);
    expect(plan.emails).toBeUndefined();
  });

  it('reuses a free slot of the same kommKz for a new EspoCRM value', () => {
    const slot = entry({ kommKz: 3, tlf: '', bemerkung: slotMarker(3) });
    const plan = diffKommunikation(input({ phones: [phone('0172', 'Mobile')], advoware: [slot] }));
    expect(plan.updates).toEqual([
      { id: slot.id, tlf: '0172', bemerkung: marker('0172', 3), why: 'reuse_slot' },
    ]);
    expect(plan.creates).toEqual([]);
  });

  it('takes a value typed into a slot in Advoware over to EspoCRM', () => {
    const slot = entry({ kommKz: 1, tlf: '089 1', bemerkung: slotMarker(1) });
    const plan = diffKommunikation(input({ advoware: [slot] }));
    expect(plan.phones).toEqual([{ phoneNumber: '089 1', type: 'Office', primary: true }]);
    expect(plan.updates).toEqual([
      { id: slot.id, tlf: '089 1', bemerkung: marker('089 1', 1), why: 'advoware_value' },
    ]);
  });

  it('on first sync only marks an unmarked equal entry and makes no second one, even for duplicates', () => {
    const a = entry({ kommKz: 4, tlf: ' a@b.de ', bemerkung: 'Zentrale' });
    const dup = entry({ kommKz: 4, tlf: 'a@b.de' });
    const plan = diffKommunikation(input({ emails: [mail('a@b.de')], advoware: [a, dup] }));
    expect(plan.creates).toEqual([]);
    expect(plan.updates).toEqual([
      { id: a.id, tlf: 'a@b.de', bemerkung: `${marker('a@b.de', 4)} Zentrale`, why: 'mark' },
    ]);
    expect(plan.emails).toBeUndefined();
  });

  it('reads kommKz=0 from GET by the marker, or by the value when unmarked', () => {
    const marked = entry({ kommKz: 0, tlf: '0170', bemerkung: marker('0170', 3) });
    const unmarked = entry({ kommKz: 0, tlf: 'n@b.de' });
    const plan = diffKommunikation(
      input({ phones: [phone('0170', 'Mobile')], advoware: [marked, unmarked] }),
    );
    expect(plan.creates).toEqual([]);
    expect(plan.updates).toEqual([
      { id: unmarked.id, tlf: 'n@b.de', bemerkung: marker('n@b.de', 4), why: 'advoware_value' },
    ]);
    expect(plan.emails).toEqual([{ emailAddress: 'n@b.de', primary: true }]);
  });

  it('leaves entries of unmanaged kinds alone', () => {
    const plan = diffKommunikation(
      input({ advoware: [entry({ kommKz: 5, tlf: 'https://example.org' })] }),
    );
    expect(plan).toEqual({ creates: [], updates: [] });
  });
});
