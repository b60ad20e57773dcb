import type { Response as PwResponse } from 'playwright-core';
import { startHub, waitFor, type RunningHub } from '../support/hub.js';
import { ProbeModule } from '../support/probe.module.js';
import { testEnv } from '../support/test-env.js';
import { openBrowser, opsCredentials, type OpenBrowser } from './browser.js';

/**
 * Issue 16: bull-board stayed on "Loading" in a real browser because its own API
 * calls carried no key. These open it in headless chromium as a person would.
 */
describe('queue dashboard and Swagger UI in a real browser', () => {
  let hub: RunningHub;
  let browser: OpenBrowser | undefined;

  beforeAll(async () => {
    hub = await startHub(testEnv(), [ProbeModule]);
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });
  afterAll(async () => {
    await hub.close();
  });

  it('opens the dashboard with Basic credentials and shows every queue', async () => {
    const queues = (await (await hub.ops('/_console/queues')).json()) as {
      queues: Array<{ name: string }>;
    };
    const names = queues.queues.map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['hub-cron', 'probe-entity', 'vmh-beteiligte']));

    browser = await openBrowser({ credentials: opsCredentials(hub.config.opsApiKey) });
    const page = await browser.context.newPage();
    const answers: Array<{ url: string; status: number }> = [];
    page.on('response', (r: PwResponse) => answers.push({ url: r.url(), status: r.status() }));
    const res = await page.goto(`${hub.url}/_console/queues/ui`);
    expect(res?.status()).toBe(200);
    for (const name of names) {
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 20_000 });
    }
    const dir = process.env.CONSOLE_SCREENSHOT_DIR;
    if (dir) await page.screenshot({ path: `${dir}/dashboard-laptop.png` });
    // The page's own API calls went through with the browser's credentials.
    const api = answers.filter((a) => a.url.includes('/_console/queues/ui/api/'));
    expect(api.length).toBeGreaterThan(0);
    expect(api.filter((a) => a.status >= 400)).toEqual([]);
    expect(answers.filter((a) => a.status === 401)).toEqual([]);
  });

  it('refuses the dashboard, its API and a ?key= URL without the right credentials', async () => {
    const key = encodeURIComponent(hub.config.opsApiKey);
    const paths = [
      '/_console/queues/ui',
      '/_console/queues/ui/api/queues',
      `/_console/queues/ui?key=${key}`,
      `/_console/queues/ui/api/queues?key=${key}`,
    ];
    // No credentials at all: headless chromium would wait for a login dialog that never
    // comes, so these requests go through the context's request client (same cookies).
    browser = await openBrowser();
    for (const path of paths) {
      const res = await browser.context.request.get(`${hub.url}${path}`);
      expect({ path, status: res.status() }).toEqual({ path, status: 401 });
      expect(res.headers()['www-authenticate']).toMatch(/^Basic realm="bitbylaw-hub ops"/);
    }
    const page = await browser.context.newPage();
    await expect(page.goto(`${hub.url}/_console/queues/ui?key=${key}`)).rejects.toThrow(
      /ERR_INVALID_AUTH_CREDENTIALS/,
    );
    await browser.close();

    // Wrong Basic credentials and the right key in the URL: the browser gets the 401.
    browser = await openBrowser({ credentials: { username: 'ops', password: 'not-the-ops-key' } });
    const wrong = await browser.context.newPage();
    for (const path of paths.filter((p) => !p.includes('/api/'))) {
      const res = await wrong.goto(`${hub.url}${path}`);
      expect({ path, status: res?.status() }).toEqual({ path, status: 401 });
    }
    const fromPage = await wrong.evaluate(async (list) => {
      const out: Array<[string, number]> = [];
      for (const path of list) out.push([path, (await fetch(path)).status]);
      return out;
    }, paths);
    expect(fromPage).toEqual(paths.map((p) => [p, 401]));
  });

  it('opens Swagger UI and shows every webhook route', async () => {
    const functions = (await (await hub.ops('/_console/functions')).json()) as {
      functions: Array<{ trigger: { type: string; path?: string } }>;
    };
    const webhooks = functions.functions
      .map((f) => f.trigger.path)
      .filter((p): p is string => typeof p === 'string' && p.startsWith('/vmh/webhook/'));
    expect(webhooks.length).toBeGreaterThanOrEqual(8);

    browser = await openBrowser();
    const page = await browser.context.newPage();
    await page.goto(`${hub.url}/api/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
    const shown = await page.locator('.opblock-summary-path').allInnerTexts();
    const paths = shown.map((t) => t.replace(/\u200b/g, '').trim());
    for (const w of webhooks) expect(paths).toContain(w);
  });

  it('with QUEUE_DASHBOARD_READ_ONLY every queue in the dashboard is read-only', async () => {
    // Steps live in a process-wide catalogue: every hub of this process needs the probe.
    const readOnly = await startHub(testEnv({}, { QUEUE_DASHBOARD_READ_ONLY: 'true' }), [
      ProbeModule,
    ]);
    try {
      browser = await openBrowser({ credentials: opsCredentials(readOnly.config.opsApiKey) });
      const page = await browser.context.newPage();
      await page.goto(`${readOnly.url}/_console/queues/ui`);
      const body = await waitFor(
        async () => {
          const r = await page.evaluate(async () => {
            const res = await fetch('/_console/queues/ui/api/queues');
            return res.ok
              ? ((await res.json()) as { queues: Array<{ readOnlyMode: boolean }> })
              : null;
          });
          return r && r.queues.length > 0 ? r : undefined;
        },
        { what: 'the dashboard API from the page' },
      );
      expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
    } finally {
      await readOnly.close();
    }
  });
});
