import type { Page } from 'playwright-core';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { startHub, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule, probe } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';
import { openBrowser, opsCredentials, type OpenBrowser } from './browser.js';

/** Issue 20: the operator console page, used in headless chromium as a person would. */
describe('operator console page in a real browser', () => {
  let hub: RunningHub;
  let espocrm: EspoCrmFake;
  let browser: OpenBrowser;
  let page: Page;

  beforeAll(async () => {
    espocrm = await startEspoCrmFake();
    hub = await startHub(testEnv({ espocrm: `${espocrm.url}/api/v1` }, { JOB_ATTEMPTS: '2' }), [
      ProbeModule,
    ]);
    browser = await openBrowser({ credentials: opsCredentials(hub.config.opsApiKey) });
    page = await browser.context.newPage();
    const res = await page.goto(`${hub.url}/_console/`);
    expect(res?.status()).toBe(200);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await espocrm?.close();
  });
  beforeEach(() => probe.reset());

  const card = (functionId: string) =>
    page.locator(`#live .step[data-function-id="${functionId}"]`).first();
  const count = async (functionId: string, which: string) =>
    Number(await card(functionId).locator(`[data-count="${which}"]`).innerText());

  it('shows every step of /_console/functions in its flows, with a Run now button on every cron', async () => {
    const functions = (await (await hub.ops('/_console/functions')).json()) as {
      functions: Array<{ function_id: string; flows: string[]; trigger: { type: string } }>;
    };
    expect(functions.functions.length).toBeGreaterThan(20);
    for (const f of functions.functions) {
      for (const flow of f.flows) {
        const inFlow = page.locator(
          `section.flow[data-flow="${flow}"] .step[data-function-id="${f.function_id}"]`,
        );
        await inFlow.waitFor();
        expect(await inFlow.locator('.fid').innerText()).toBe(f.function_id);
        expect(await inFlow.getByRole('button', { name: 'Run now' }).count()).toBe(
          f.trigger.type === 'cron' ? 1 : 0,
        );
      }
    }
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
  });

  it('"Run now" on a cron step shows the answer and the run is counted without a reload', async () => {
    const fid = 'vmh-beteiligte-sync-check';
    const before = await count(fid, 'completed');
    await page.evaluate(() => {
      (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true;
    });
    await card(fid).getByRole('button', { name: 'Run now' }).click();
    const answer = page
      .locator('#answers li')
      .filter({ hasText: `Run now ${fid}` })
      .first();
    await answer.waitFor();
    expect(await answer.innerText()).toContain('HTTP 202');
    const body = JSON.parse(await answer.locator('pre').innerText()) as {
      status: string;
      job_id: string;
    };
    expect(body.status).toBe('triggered');
    expect(body.job_id).toMatch(new RegExp(`^${fid}@manual:`));
    // The page refreshes itself: the completed count of the step goes up.
    await waitFor(async () => (await count(fid, 'completed')) > before, {
      what: 'the manual run counted on the page',
      timeoutMs: 30_000,
    });
    // ...and the check really ran: it asked EspoCRM for parties.
    expect(
      espocrm.requests.some((r) => r.method === 'GET' && r.path === '/api/v1/CBeteiligte'),
    ).toBe(true);
    // No full reload happened.
    expect(
      await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce),
    ).toBe(true);
  });

  it('lists a dead letter and retries it from the page', async () => {
    probe.workMs = 5;
    probe.failNext = 2; // both attempts fail
    probe.bump('dead1');
    const res = await hub.ops('/_console/invoke', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'probe-entity-sync', data: { entityId: 'dead1' } }),
    });
    expect(res.status).toBe(202);

    const letter = page.locator('.dead-letter').filter({ hasText: 'dead1' });
    await letter.waitFor({ timeout: 30_000 });
    expect(await letter.innerText()).toContain('probe transient failure');
    expect(await count('probe-entity-sync', 'failed')).toBeGreaterThanOrEqual(2);
    const lastError = card('probe-entity-sync').locator('.last-error');
    expect(await lastError.innerText()).toContain('probe transient failure');
    expect(
      await page
        .locator('.dead-queue[data-queue="probe-entity"] a', { hasText: 'queue dashboard' })
        .getAttribute('href'),
    ).toBe('/_console/queues/ui/queue/probe-entity?status=failed');

    // The raw view: bull-board opens on the queue's failed jobs with the same login.
    const board = await browser.context.newPage();
    await board.goto(`${hub.url}/_console/queues/ui/queue/probe-entity?status=failed`);
    await board.getByText('probe transient failure').first().waitFor({ timeout: 20_000 });
    await board.close();
    const dir = process.env.CONSOLE_SCREENSHOT_DIR;
    if (dir) {
      await page.locator('.dead-letters').screenshot({ path: `${dir}/console-dead-letters.png` });
      await page
        .locator('section.flow[data-flow="probe"]')
        .screenshot({ path: `${dir}/console-probe-flow.png` });
    }
    await letter.getByRole('button', { name: 'Retry' }).click();
    await page.locator('#answers li').filter({ hasText: 'Retry probe-entity' }).first().waitFor();
    await waitFor(() => probe.runs.some((r) => r.entityId === 'dead1'), {
      what: 'the retried job to run',
    });
    await letter.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('looks up an entity and shows why it is (not) in sync', async () => {
    espocrm.seed({
      records: {
        CBeteiligte: [{ id: 'lookup1', name: 'Muster GmbH', syncStatus: 'failed', betnr: 1002 }],
      },
    });
    await page.locator('#lookup input[name="type"]').fill('CBeteiligte');
    await page.locator('#lookup input[name="id"]').fill('lookup1');
    await page.getByRole('button', { name: 'Look up' }).click();
    const result = page.locator('#lookup-result');
    await result.getByText('CBeteiligte lookup1 exists in EspoCRM').waitFor();
    const text = await result.innerText();
    expect(text).toContain('syncStatus');
    expect(text).toContain('failed');
    expect(text).toContain('1002');
  });

  it('hides the shadow panel in live mode', async () => {
    // Hidden until the page has asked /_console/shadow: wait for the answer first.
    await page.locator('#shadow[data-checked]').waitFor({ state: 'attached' });
    expect(
      ((await (await hub.ops('/_console/shadow?limit=1')).json()) as { mode: string }).mode,
    ).toBe('live');
    expect(await page.locator('#shadow').isHidden()).toBe(true);
  });

  it('is readable on a phone: no sideways scrolling, flows stacked', async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${hub.url}/_console/`);
    // The test's tsconfig has no DOM types: the page-side code goes as a string.
    const widths = (await phone.evaluate(
      '({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })',
    )) as { scroll: number; inner: number };
    expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
    const direction = await phone.evaluate(
      "getComputedStyle(document.querySelector('.lanes')).flexDirection",
    );
    expect(direction).toBe('column');
    const dir = process.env.CONSOLE_SCREENSHOT_DIR;
    if (dir) {
      await phone.screenshot({ path: `${dir}/console-phone.png`, fullPage: true });
      await phone.screenshot({ path: `${dir}/console-phone-top.png` });
      await page.screenshot({ path: `${dir}/console-laptop.png`, fullPage: true });
      await page.screenshot({ path: `${dir}/console-laptop-top.png` });
      await page
        .locator('section.flow[data-flow="vmh-documents"]')
        .screenshot({ path: `${dir}/console-laptop-documents.png` });
    }
    await phone.close();
  });
});

describe('operator console page in shadow mode', () => {
  it('shows the count of recorded would-be writes with a link to them', async () => {
    const hub = await startHub(testEnv({}, { SYNC_MODE: 'shadow' }), [ProbeModule]);
    const browser = await openBrowser({ credentials: opsCredentials(hub.config.opsApiKey) });
    try {
      const listing = (await (await hub.ops('/_console/shadow?limit=1')).json()) as {
        mode: string;
        total: number;
      };
      expect(listing.mode).toBe('shadow');
      const page = await browser.context.newPage();
      await page.goto(`${hub.url}/_console/`);
      const panel = page.locator('#shadow');
      await panel.waitFor({ state: 'visible' });
      expect(await panel.innerText()).toContain(`${listing.total} would-be write(s) recorded`);
      expect(await panel.getByRole('link').getAttribute('href')).toBe('/_console/shadow');
    } finally {
      await browser.close();
      await hub.close();
    }
  });
});
