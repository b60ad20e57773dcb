import type { FunctionInfo } from '../core/steps/step-registry.service.js';
import { layoutFlows, nextCronRun } from './console-flows.js';

const step = (
  name: string,
  flows: string[],
  trigger: FunctionInfo['trigger'],
  enqueues: string[] = [],
): FunctionInfo => ({
  function_id: name.toLowerCase().replace(/ /g, '-'),
  name,
  description: '',
  flows,
  trigger,
  enqueues,
});

const docs = [
  // enqueues document updates once it created a collection: a cycle with Document Sync
  step('Collection Manager', ['docs'], { type: 'queue', topics: ['x.collection.ensure'] }, [
    'x.doc.update',
  ]),
  step('Document Delete', ['docs'], { type: 'queue', topics: ['x.doc.delete'] }),
  step('Webhook Delete', ['docs'], { type: 'http', method: 'POST', path: '/d' }, ['x.doc.delete']),
  step('Document Sync', ['docs'], { type: 'queue', topics: ['x.doc.update'] }, [
    'x.collection.ensure',
  ]),
  step('Webhook Update', ['docs'], { type: 'http', method: 'POST', path: '/u' }, ['x.doc.update']),
  step('Link Webhook', ['docs'], { type: 'http', method: 'POST', path: '/l' }, [
    'x.collection.ensure',
    'x.doc.update',
  ]),
];

describe('layoutFlows', () => {
  it.each([
    [
      'a chain with a cycle: http → sync → collection manager (which feeds sync back)',
      docs,
      [
        ['Link Webhook', 'Webhook Delete', 'Webhook Update'],
        ['Document Delete', 'Document Sync'],
        ['Collection Manager'],
      ],
    ],
    [
      'http before cron in the first column; a queue step nobody feeds starts too',
      [
        step('Employee', ['cal'], { type: 'queue', topics: ['c.sync.employee'] }),
        step('Cron', ['cal'], { type: 'cron', expression: '0 * * * * *' }, ['c.sync.employee']),
        step('Trigger', ['cal'], { type: 'http', method: 'POST', path: '/t' }, ['c.sync.employee']),
        step('Orphan', ['cal'], { type: 'queue', topics: ['c.other.thing'] }),
      ],
      [['Trigger', 'Cron', 'Orphan'], ['Employee']],
    ],
    [
      'a step that re-enqueues its own topic stays where it is',
      [
        step('Loop', ['l'], { type: 'queue', topics: ['l.a.b'] }, ['l.a.b']),
        step('Start', ['l'], { type: 'http', method: 'POST', path: '/s' }, ['l.a.b']),
      ],
      [['Start'], ['Loop']],
    ],
  ])('%s', (_what, functions, expected) => {
    const [flow] = layoutFlows(functions);
    expect(flow.columns.map((c) => c.map((s) => s.name))).toEqual(expected);
  });

  it('lists flows that run jobs before HTTP-only ones, each group by name', () => {
    const flows = layoutFlows([
      step('Proxy', ['a-proxy'], { type: 'http', method: 'GET', path: '/p' }),
      step('Tick', ['z-cron'], { type: 'cron', expression: '0 * * * * *' }),
      step('Work', ['m-queue'], { type: 'queue', topics: ['m.q.x'] }),
    ]);
    expect(flows.map((f) => f.name)).toEqual(['m-queue', 'z-cron', 'a-proxy']);
  });

  it('puts a step of two flows into both, flows sorted by name', () => {
    const flows = layoutFlows([
      step('Shared', ['b', 'a'], { type: 'http', method: 'GET', path: '/x' }),
      step('Only A', ['a'], { type: 'http', method: 'GET', path: '/y' }),
    ]);
    expect(flows.map((f) => [f.name, f.columns.flat().map((s) => s.name)])).toEqual([
      ['a', ['Only A', 'Shared']],
      ['b', ['Shared']],
    ]);
  });
});

describe('nextCronRun', () => {
  it.each([
    // winter (CET, UTC+1)
    ['0 */15 * * * *', '2026-12-04T14:58:00Z', '2026-12-04 16:00:00', '2026-12-04T15:00:00.000Z'],
    // 02:30 Berlin does not exist on the spring-forward day; the `cron` package (which the
    // scheduler uses too) runs such a tick at 03:00 right after the jump
    ['0 30 2 * * *', '2026-03-29T00:00:00Z', '2026-03-29 03:00:00', '2026-03-29T01:00:00.000Z'],
    // the autumn day has 02:30 twice; the next one after 00:00 UTC is the first (CEST)
    ['0 30 2 * * *', '2026-10-25T00:00:00Z', '2026-10-25 02:30:00', '2026-10-25T00:30:00.000Z'],
    // summer (CEST, UTC+2)
    ['0 0 9 * * *', '2026-07-01T08:00:00Z', '2026-07-02 09:00:00', '2026-07-02T07:00:00.000Z'],
  ])('%s after %s → %s Berlin', (expr, now, berlin, iso) => {
    expect(nextCronRun(expr, new Date(now))).toEqual({ berlin, iso });
  });

  it('answers undefined for an expression it cannot read', () => {
    expect(nextCronRun('not a cron')).toBeUndefined();
  });
});
