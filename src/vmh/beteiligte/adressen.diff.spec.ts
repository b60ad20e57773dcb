import type { AdvowareAdresse } from '../../integrations/advoware/advoware.types.js';
import { adresseMarker, diffAdressen } from './adressen.diff.js';

const adv = (over: Partial<AdvowareAdresse>): AdvowareAdresse => ({
  id: 1,
  strasse: 'A 1',
  plz: '1',
  ort: 'X',
  land: 'DE',
  ...over,
});

describe('diffAdressen', () => {
  it('creates a new EspoCRM address with every field and the EspoCRM id in bemerkung', () => {
    const plan = diffAdressen(
      7,
      [{ id: 'a1', strasse: 'A 1', plz: '1', ort: 'X', land: 'DE', istStandard: true }],
      [],
    );
    expect(plan.creates).toEqual([
      {
        strasse: 'A 1',
        plz: '1',
        ort: 'X',
        anschrift: null,
        land: 'DE',
        standardAnschrift: true,
        bemerkung: adresseMarker('a1'),
      },
    ]);
    expect(plan.updates).toEqual([]);
  });

  it('updates only the four writable fields of a matched address', () => {
    const plan = diffAdressen(
      7,
      [{ id: 'a1', strasse: 'B 2', plz: '1', ort: 'X', land: 'DE' }],
      [adv({ bemerkung: adresseMarker('a1') })],
    );
    expect(plan.updates).toEqual([
      { id: 1, data: { strasse: 'B 2', plz: '1', ort: 'X', anschrift: null } },
    ]);
    expect(plan.tasks).toEqual([]);
  });

  it('asks a person (Task) to change a read-only field, with a name stable across runs', () => {
    const run = () =>
      diffAdressen(
        7,
        [{ id: 'a1', strasse: 'A 1', plz: '1', ort: 'X', land: 'AT' }],
        [adv({ bemerkung: adresseMarker('a1') })],
      );
    const plan = run();
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0].action).toBe('readonly_field_conflict');
    expect(plan.tasks[0].description).toContain('AT');
    expect(run().tasks[0].name).toBe(plan.tasks[0].name);
  });

  it('asks a person to delete an address deleted in EspoCRM (the API cannot)', () => {
    const plan = diffAdressen(
      7,
      [],
      [adv({ bemerkung: adresseMarker('gone') }), adv({ id: 2, bemerkung: 'von Hand' })],
    );
    expect(plan.tasks.map((t) => t.action)).toEqual(['address_delete_required']);
    expect(plan.creates).toEqual([]);
  });
});
