import { resolveCronFunctionId } from './cron-alias.js';

const steps = [
  { functionId: 'vmh-beteiligte-sync-check', name: 'VMH Beteiligte Sync Check' },
  { functionId: 'calendar-sync-cron', name: 'Calendar Sync Cron' },
];

describe('resolveCronFunctionId', () => {
  it.each([
    ['vmh-beteiligte-sync-check', { kind: 'plain', functionId: 'vmh-beteiligte-sync-check' }],
    ['nope', { kind: 'plain', functionId: 'nope' }],
    [
      'steps::VMH Beteiligte Sync Cron::trigger::0',
      {
        kind: 'alias',
        functionId: 'vmh-beteiligte-sync-check',
        stepName: 'VMH Beteiligte Sync Check',
      },
    ],
    [
      'steps::VMH Beteiligte Sync Check::trigger::0',
      {
        kind: 'alias',
        functionId: 'vmh-beteiligte-sync-check',
        stepName: 'VMH Beteiligte Sync Check',
      },
    ],
    [
      'steps::calendar sync cron::trigger::0',
      { kind: 'alias', functionId: 'calendar-sync-cron', stepName: 'Calendar Sync Cron' },
    ],
    [
      'steps::VMH Beteiligte Sync Cron::trigger::1',
      {
        kind: 'unknown',
        message: 'steps::VMH Beteiligte Sync Cron::trigger::1: a step has only trigger 0',
      },
    ],
    [
      'steps::No Such Step::trigger::0',
      { kind: 'unknown', message: 'unknown function_id steps::No Such Step::trigger::0' },
    ],
  ])('%s', (requested, expected) => {
    expect(resolveCronFunctionId(requested, steps)).toEqual(expected);
  });
});
