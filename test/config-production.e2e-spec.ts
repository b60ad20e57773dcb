import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './support/hub.js';
import { testEnv } from './support/test-env.js';

/**
 * Issue 16, item 2, through the real entry point (built by npm test's pretest step
 * into .build/, as systemd starts dist/main.js): production refuses to start with
 * settings that let anyone in, and says why, variable by variable.
 */
const strong = (tag: string) => `${tag}-${'0123456789abcdef'.repeat(2)}`;

function productionEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'hub-prod-'));
  const env = testEnv(
    {},
    {
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'log',
      ENV_FILE: join(dir, 'none.env'),
      OPS_API_KEY: strong('ops'),
      PROXY_API_KEYS: strong('proxy'),
      ESPOCRM_WEBHOOK_SECRETS: `wh1:${strong('hook')}@document.create`,
      VMH_BETEILIGTE_SYNC_CRON: '0 0 0 1 1 *',
      ...overrides,
    },
  );
  const out: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

describe('production start', () => {
  it('exits 78 before listening, naming each unsafe variable and no value', () => {
    const result = spawnSync(process.execPath, ['.build/src/main.js'], {
      env: productionEnv({
        OPS_API_KEY: 'sandbox-ops-key-change-me',
        PROXY_API_KEYS: `${strong('proxy')},short-key-0123456`,
        ESPOCRM_WEBHOOK_SECRETS: undefined,
      }),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid environment variables for production');
    for (const name of ['OPS_API_KEY', 'PROXY_API_KEYS (entry 2)', 'ESPOCRM_WEBHOOK_SECRETS'])
      expect(result.stderr).toContain(name);
    expect(result.stderr).not.toContain('sandbox-ops-key-change-me');
    expect(result.stderr).not.toContain('short-key-0123456');
  });

  it('accepts empty webhook secrets with ALLOW_UNSIGNED_WEBHOOKS=true, and says so loudly', async () => {
    const child = spawn(process.execPath, ['.build/src/main.js'], {
      env: productionEnv({ ESPOCRM_WEBHOOK_SECRETS: undefined, ALLOW_UNSIGNED_WEBHOOKS: 'true' }),
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // Past the configuration checks: Nest is building the app (whether every module
      // then boots is the boot test's business, not this one's).
      await waitFor(() => /Starting Nest application/.test(output), {
        timeoutMs: 30_000,
        what: 'the hub to accept its configuration and start building',
      });
      expect(child.exitCode).toBeNull();
      const unsafe = output
        .split('\n')
        .filter((l) => l.includes('UNSAFE'))
        .map((l) => JSON.parse(l) as { level: string; message: string });
      expect(unsafe).toHaveLength(1);
      expect(unsafe[0].level).toBe('error');
      expect(unsafe[0].message).toMatch(/ALLOW_UNSIGNED_WEBHOOKS=true.*NOT checked/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
