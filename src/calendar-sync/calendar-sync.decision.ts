/**
 * What to do with one appointment, given what each side holds now and the hash of
 * the content last synced (kept on the Google event). Pure; the service does the I/O.
 */

export interface TerminSide {
  /** Hash of the Termin's content as it would look in Google. */
  hash: string;
  /** `zuletztGeaendertAm` in ms, when Advoware sends it. */
  modifiedAt?: number;
}

export interface EventSide {
  cancelled: boolean;
  /** Points to an Advoware Termin (by property or by an id derived from a frNr). */
  linked: boolean;
  /** Hash stored with the last sync; absent on events the hub never wrote. */
  syncedHash?: string;
  /** Hash of the event's content now. */
  hash: string;
  /** Google's `updated` in ms. */
  updatedAt?: number;
  /** Advoware can hold this content (false e.g. for a recurrence it cannot express). */
  fitsAdvoware: boolean;
}

export interface SyncRules {
  advowareWriteAllowed: boolean;
}

export type SyncAction =
  | 'none'
  | 'create_google'
  | 'update_google'
  | 'restore_google'
  | 'delete_google'
  | 'create_advoware'
  | 'update_advoware'
  | 'delete_advoware'
  /** Drop the cancelled event from the hub's snapshot; nothing to write. */
  | 'forget'
  /** Leave both sides as they are (read-only Advoware, unsupported content). */
  | 'skip';

export interface SyncDecision {
  action: SyncAction;
  reason: string;
}

/** `termin` undefined means the Termin does not exist (the caller has checked); `event` undefined: no event known. */
export function decideSync(
  termin: TerminSide | undefined,
  event: EventSide | undefined,
  rules: SyncRules,
): SyncDecision {
  const write = rules.advowareWriteAllowed;
  if (!termin && !event) return { action: 'none', reason: 'nothing on either side' };

  if (termin && !event) return { action: 'create_google', reason: 'new in Advoware' };

  if (!termin && event) {
    if (event.cancelled) return { action: 'forget', reason: 'gone from both sides' };
    if (event.linked) return { action: 'delete_google', reason: 'deleted in Advoware' };
    if (!write) return { action: 'skip', reason: 'created in Google; Advoware is read-only' };
    if (!event.fitsAdvoware)
      return { action: 'skip', reason: 'created in Google; Advoware cannot hold it' };
    return { action: 'create_advoware', reason: 'new in Google' };
  }

  const t = termin!;
  const e = event!;
  const advowareChanged = t.hash !== e.syncedHash;

  if (e.cancelled) {
    if (!write)
      return { action: 'restore_google', reason: 'deleted in Google; Advoware is read-only' };
    if (
      advowareChanged &&
      e.syncedHash !== undefined &&
      later(t.modifiedAt, e.updatedAt) === 'advoware'
    ) {
      return {
        action: 'restore_google',
        reason: 'changed in Advoware after the deletion in Google',
      };
    }
    return { action: 'delete_advoware', reason: 'deleted in Google' };
  }

  if (e.syncedHash === undefined)
    return { action: 'update_google', reason: 'not linked yet; Advoware is the reference' };

  const googleChanged = e.hash !== e.syncedHash;
  if (!advowareChanged && !googleChanged) return { action: 'none', reason: 'unchanged' };
  if (advowareChanged && !googleChanged)
    return { action: 'update_google', reason: 'changed in Advoware' };

  const takeGoogle = (why: string): SyncDecision => {
    if (!write)
      return { action: 'update_google', reason: `${why}; Advoware is read-only, reset in Google` };
    if (!e.fitsAdvoware)
      return {
        action: 'update_google',
        reason: `${why}; Advoware cannot hold it, reset in Google`,
      };
    return { action: 'update_advoware', reason: why };
  };
  if (!advowareChanged) return takeGoogle('changed in Google');
  if (t.hash === e.hash) return { action: 'update_google', reason: 'same change on both sides' };
  return later(t.modifiedAt, e.updatedAt) === 'google'
    ? takeGoogle('changed on both sides, Google later')
    : {
        action: 'update_google',
        reason: 'changed on both sides, Advoware later or at the same time',
      };
}

/**
 * A tie, or a side without a time, goes to Advoware: it is the reference. Advoware
 * may send whole seconds (a zone-less .NET time); Google's milliseconds are then cut
 * to the second too, so an edit in the same second is a tie, not a Google win.
 */
function later(advoware: number | undefined, google: number | undefined): 'advoware' | 'google' {
  if (advoware === undefined || google === undefined) return 'advoware';
  const g = advoware % 1000 === 0 ? Math.floor(google / 1000) * 1000 : google;
  return g > advoware ? 'google' : 'advoware';
}
