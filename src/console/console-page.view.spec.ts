import type { ConsoleOverview, StepView } from './console-overview.service.js';
import { berlinTime, esc, renderConsolePage, renderLive, renderStep } from './console-page.view.js';

const cronStep: StepView = {
  function_id: 'vmh-beteiligte-sync-check',
  name: 'VMH Beteiligte Sync Check',
  description: 'finds parties <to> sync',
  flows: ['vmh-beteiligte'],
  trigger: { type: 'cron', expression: '0 */15 * * * *' },
  enqueues: ['vmh.beteiligte.update'],
  jobs: { queue: 'hub-cron', names: ['vmh-beteiligte-sync-check'] },
  nextRun: { iso: '2026-12-04T15:00:00.000Z', berlin: '2026-12-04 16:00:00' },
  counts: { waiting: 0, active: 1, completedLastHour: 4, failedLastHour: 2, scope: 'step' },
  lastError: {
    reason: 'EspoCRM answered 503 <html>',
    at: Date.parse('2026-12-04T14:05:06Z'),
    traceId: 'cron-abc',
    jobId: 'j1',
  },
};
const httpStep: StepView = {
  function_id: 'vmh-webhook-beteiligte-create',
  name: 'VMH Webhook Beteiligte Create',
  description: '',
  flows: ['vmh-beteiligte'],
  trigger: { type: 'http', method: 'POST', path: '/vmh/webhook/beteiligte/create' },
  enqueues: ['vmh.beteiligte.create'],
};
const queueStep: StepView = {
  function_id: 'vmh-beteiligte-sync',
  name: 'VMH Beteiligte Sync',
  description: '',
  flows: ['vmh-beteiligte'],
  trigger: { type: 'queue', topics: ['vmh.beteiligte.create', 'vmh.beteiligte.update'] },
  enqueues: [],
  jobs: { queue: 'vmh-beteiligte', names: ['create', 'update'] },
  counts: { waiting: 3, active: 0, completedLastHour: 0, failedLastHour: 0, scope: 'queue' },
};

const overview = (deadTotal: number, dashboardPath: string | null): ConsoleOverview => ({
  generatedAt: '2026-12-04T14:58:00.000Z',
  timeZone: 'Europe/Berlin',
  dashboardPath,
  flows: [{ name: 'vmh-beteiligte', columns: [[httpStep, cronStep], [queueStep]] }],
  deadLetters: [
    {
      queue: 'vmh-beteiligte',
      total: deadTotal,
      jobs:
        deadTotal > 0
          ? [
              {
                id: '42',
                queue: 'vmh-beteiligte',
                name: 'create',
                data: { entityId: 'abc"><script>' },
                traceId: 't-42',
                attemptsMade: 5,
                failedReason: 'Advoware 400',
                timestamp: 0,
                finishedOn: Date.parse('2026-07-01T10:00:00Z'),
              },
            ]
          : [],
    },
    { queue: 'hub-cron', total: 0, jobs: [] },
  ],
});

describe('console page view', () => {
  it.each([
    ['<a href="x">&\'', '&lt;a href=&quot;x&quot;&gt;&amp;&#39;'],
    [undefined, ''],
    [42, '42'],
  ])('esc(%p) → %p', (input, out) => {
    expect(esc(input)).toBe(out);
  });

  it.each([
    ['winter, UTC+1', Date.parse('2026-12-04T14:05:06Z'), '2026-12-04 15:05:06'],
    ['summer, UTC+2', Date.parse('2026-07-01T10:00:00Z'), '2026-07-01 12:00:00'],
    ['no time', undefined, '–'],
  ])('berlinTime: %s', (_what, ms, out) => {
    expect(berlinTime(ms)).toBe(out);
  });

  it.each([
    [
      'cron: expression, next run in Berlin, counts, last error, Run now',
      cronStep,
      [
        '<code>0 */15 * * * *</code>',
        '<time datetime="2026-12-04T15:00:00.000Z">2026-12-04 16:00:00</time> Berlin',
        '<dd data-count="active">1</dd>',
        '<dd data-count="completed">4</dd>',
        '<div class="count failed nonzero"><dt>failed 1h</dt><dd data-count="failed">2</dd>',
        'EspoCRM answered 503 &lt;html&gt;',
        '<time>2026-12-04 15:05:06</time>',
        '<code>cron-abc</code>',
        'data-action="run" data-function-id="vmh-beteiligte-sync-check">Run now</button>',
        'finds parties &lt;to&gt; sync',
        'enqueues → <code>vmh.beteiligte.update</code>',
      ],
      ['the whole queue'],
    ],
    [
      'http: method and path, no counts, no button',
      httpStep,
      ['<code>POST /vmh/webhook/beteiligte/create</code>', 'vmh-webhook-beteiligte-create'],
      ['Run now', 'class="counts"', 'Last error'],
    ],
    [
      'queue: its topics and counts, no button',
      queueStep,
      [
        '<code>vmh.beteiligte.create</code> <code>vmh.beteiligte.update</code>',
        '<dd data-count="waiting">3</dd>',
        'waiting and active: the whole queue <code>vmh-beteiligte</code>',
      ],
      ['Run now', 'Last error', 'enqueues'],
    ],
  ])('renderStep %s', (_what, step, present, absent) => {
    const html = renderStep(step);
    for (const p of present) expect(html).toContain(p);
    for (const a of absent) expect(html).not.toContain(a);
  });

  it('lays a flow out left to right with an arrow between columns', () => {
    const html = renderLive(overview(0, null));
    const lanes = html.split('<div class="lanes">')[1];
    const firstCol = lanes.indexOf('vmh-webhook-beteiligte-create');
    const arrow = lanes.indexOf('<div class="arrow"');
    const secondCol = lanes.indexOf('data-function-id="vmh-beteiligte-sync"');
    expect(firstCol).toBeGreaterThan(-1);
    expect(firstCol).toBeLessThan(arrow);
    expect(arrow).toBeLessThan(secondCol);
  });

  it.each([
    [
      'dead letters: escaped, with retry, remove and the dashboard link',
      overview(1, '/_console/queues/ui'),
      [
        'Needs attention',
        '<span class="badge">1</span>',
        'href="/_console/queues/ui/queue/vmh-beteiligte?status=failed"',
        'data-action="retry" data-queue="vmh-beteiligte" data-job-id="42"',
        'data-action="remove"',
        'abc&quot;&gt;&lt;script&gt;',
        '<time>2026-07-01 12:00:00</time> after 5 attempt(s)',
        'No dead letters in <code>hub-cron</code>',
      ],
      ['abc"><script>'],
    ],
    [
      'none, and no dashboard',
      overview(0, null),
      [
        'No dead letters in <code>vmh-beteiligte</code>, <code>hub-cron</code>',
        '3 waiting · 1 active',
      ],
      ['data-action="retry"', 'queues/ui', 'Healthy'],
    ],
  ])('renderLive %s', (_what, o, present, absent) => {
    const html = renderLive(o);
    for (const p of present) expect(html).toContain(p);
    for (const a of absent) expect(html).not.toContain(a);
  });

  it('shows "Healthy" only with no failures and no dead letters', () => {
    const quiet = overview(0, null);
    quiet.flows[0].columns[0][1] = {
      ...cronStep,
      counts: { ...cronStep.counts!, failedLastHour: 0 },
    };
    expect(renderLive(quiet)).toContain('<strong>Healthy</strong>');
  });

  it('renders the whole page: English, responsive, the lookup form, the live part and the script', () => {
    const html = renderConsolePage(overview(0, '/_console/queues/ui'), { refreshMs: 5000 });
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('@media (max-width:720px)');
    expect(html).toContain('<a href="/_console/queues/ui">Queue dashboard</a>');
    expect(html).toContain('<form id="lookup">');
    expect(html).toContain('<main id="live">');
    expect(html).toContain('data-refresh-ms="5000"');
    expect(html).toContain('<section id="shadow" class="panel shadow" hidden>');
    expect(html).toContain("fetch('/_console/live'");
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});
