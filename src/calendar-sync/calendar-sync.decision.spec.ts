import {
  type EventSide,
  type SyncAction,
  type TerminSide,
  decideSync,
} from './calendar-sync.decision.js';

const T = (hash: string, modifiedAt?: number): TerminSide => ({ hash, modifiedAt });
const E = (over: Partial<EventSide> = {}): EventSide => ({
  cancelled: false,
  linked: true,
  syncedHash: 'h0',
  hash: 'h0',
  updatedAt: 1000,
  fitsAdvoware: true,
  ...over,
});

describe('decideSync', () => {
  const cases: Array<[string, TerminSide | undefined, EventSide | undefined, boolean, SyncAction]> =
    [
      ['nothing anywhere', undefined, undefined, true, 'none'],
      ['new in Advoware', T('h1'), undefined, false, 'create_google'],
      ['unchanged on both sides', T('h0'), E(), true, 'none'],
      ['changed in Advoware only', T('h1'), E(), false, 'update_google'],
      [
        'changed in Google only, Advoware writable',
        T('h0'),
        E({ hash: 'h2' }),
        true,
        'update_advoware',
      ],
      [
        'changed in Google only, Advoware read-only: reset Google',
        T('h0'),
        E({ hash: 'h2' }),
        false,
        'update_google',
      ],
      [
        'changed in Google into something Advoware cannot hold',
        T('h0'),
        E({ hash: 'h2', fitsAdvoware: false }),
        true,
        'update_google',
      ],
      [
        'both changed, Google later',
        T('h1', 500),
        E({ hash: 'h2', updatedAt: 900 }),
        true,
        'update_advoware',
      ],
      [
        'both changed, Advoware later',
        T('h1', 950),
        E({ hash: 'h2', updatedAt: 900 }),
        true,
        'update_google',
      ],
      [
        'both changed at the same moment: Advoware wins',
        T('h1', 900),
        E({ hash: 'h2', updatedAt: 900 }),
        true,
        'update_google',
      ],
      [
        'Advoware in whole seconds, Google later within that second: a tie, Advoware wins',
        T('h1', 5000),
        E({ hash: 'h2', updatedAt: 5400 }),
        true,
        'update_google',
      ],
      [
        'Advoware in whole seconds, Google in a later second: Google wins',
        T('h1', 5000),
        E({ hash: 'h2', updatedAt: 6100 }),
        true,
        'update_advoware',
      ],
      [
        'both changed, no Advoware time: Advoware wins',
        T('h1'),
        E({ hash: 'h2', updatedAt: 900 }),
        true,
        'update_google',
      ],
      [
        'both changed, Google later but Advoware read-only',
        T('h1', 500),
        E({ hash: 'h2', updatedAt: 900 }),
        false,
        'update_google',
      ],
      [
        'both changed to the same content',
        T('h3', 500),
        E({ hash: 'h3', updatedAt: 900 }),
        true,
        'update_google',
      ],
      [
        'event never synced by the hub',
        T('h1'),
        E({ syncedHash: undefined, hash: 'hx' }),
        true,
        'update_google',
      ],
      [
        'deleted in Google, Advoware writable',
        T('h0'),
        E({ cancelled: true }),
        true,
        'delete_advoware',
      ],
      [
        'deleted in Google, Advoware read-only: recreate',
        T('h0'),
        E({ cancelled: true }),
        false,
        'restore_google',
      ],
      [
        'deleted in Google, then changed in Advoware',
        T('h1', 2000),
        E({ cancelled: true, updatedAt: 1000 }),
        true,
        'restore_google',
      ],
      [
        'changed in Advoware, then deleted in Google',
        T('h1', 500),
        E({ cancelled: true, updatedAt: 1000 }),
        true,
        'delete_advoware',
      ],
      ['deleted in Advoware', undefined, E(), true, 'delete_google'],
      [
        'deleted in Advoware, read-only makes no difference',
        undefined,
        E(),
        false,
        'delete_google',
      ],
      ['deleted on both sides', undefined, E({ cancelled: true }), true, 'forget'],
      [
        'new in Google, Advoware writable',
        undefined,
        E({ linked: false, syncedHash: undefined }),
        true,
        'create_advoware',
      ],
      [
        'new in Google, Advoware read-only',
        undefined,
        E({ linked: false, syncedHash: undefined }),
        false,
        'skip',
      ],
      [
        'new in Google with a recurrence Advoware cannot hold',
        undefined,
        E({ linked: false, fitsAdvoware: false }),
        true,
        'skip',
      ],
    ];

  it.each(cases)('%s', (_name, termin, event, write, expected) => {
    const decision = decideSync(termin, event, { advowareWriteAllowed: write });
    expect(decision.action).toBe(expected);
    expect(decision.reason.length).toBeGreaterThan(0);
  });
});
