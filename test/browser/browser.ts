import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's chromium (`apt-get install chromium`; `.ci/run` installs it), never a
 * browser downloaded by Playwright. Override with CHROMIUM_PATH.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface OpenBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile each time, so no credentials or cache carry over between tests. */
export async function openBrowser(
  options: {
    credentials?: { username: string; password: string };
    viewport?: { width: number; height: number };
  } = {},
): Promise<OpenBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'hub-browser-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    httpCredentials: options.credentials,
    viewport: options.viewport ?? { width: 1366, height: 900 },
  });
  // Nothing leaves the machine: bull-board links Google Fonts, which only time out here.
  await context.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/])[a-z]+:\/\//, (route) =>
    route.abort(),
  );
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export function opsCredentials(opsApiKey: string) {
  return { username: 'ops', password: opsApiKey };
}
