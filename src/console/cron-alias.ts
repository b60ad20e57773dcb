/**
 * The old hub's console ids, `steps::<step name>::trigger::<n>`, as aliases of our
 * function ids, so operators' scripts and bookmarks keep working after the cut-over.
 */
const OLD_ID = /^steps::(.{1,100})::trigger::(\d{1,3})$/;

/**
 * Old step names that differ from ours. Observed: the seed's
 * `steps::VMH Beteiligte Sync Cron::trigger::0` (issue 15). Every other old name is
 * assumed to equal ours (e.g. `Calendar Sync Cron`); add a line here when one does not.
 */
export const OLD_STEP_NAMES: Readonly<Record<string, string>> = {
  'vmh beteiligte sync cron': 'VMH Beteiligte Sync Check',
};

export type AliasResolution =
  | { kind: 'plain'; functionId: string }
  | { kind: 'alias'; functionId: string; stepName: string }
  | { kind: 'unknown'; message: string };

/** Maps a requested id to one of `steps`; a plain id passes through unchanged. */
export function resolveCronFunctionId(
  requested: string,
  steps: ReadonlyArray<{ functionId: string; name: string }>,
): AliasResolution {
  const m = OLD_ID.exec(requested);
  if (!m) return { kind: 'plain', functionId: requested };
  const oldName = m[1].trim();
  // Every step has exactly one trigger, so only the old index 0 names one.
  if (m[2] !== '0') return { kind: 'unknown', message: `${requested}: a step has only trigger 0` };
  const name = OLD_STEP_NAMES[oldName.toLowerCase()] ?? oldName;
  const step = steps.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (!step) return { kind: 'unknown', message: `unknown function_id ${requested}` };
  return { kind: 'alias', functionId: step.functionId, stepName: step.name };
}
