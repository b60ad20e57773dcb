import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEnv } from 'node:util';
import { AppConfig } from '../src/config/app-config.js';
import { runDoctor } from '../src/doctor/doctor.js';
import { ADVOWARE_TOKEN_PATH } from './fakes/advoware/advoware.fake.js';
import { startFakeStack, type FakeStack } from './fakes/fake-stack.js';

/**
 * `npm run doctor` against the sandbox's fakes with `.env.example`'s configuration:
 * green as shipped, red naming Advoware with a wrong password, and read-only either
 * way (no request but GETs reaches any fake, apart from the two token endpoints).
 * The fakes listen on free ports instead of 8101-8104 (other tests may hold those);
 * everything else is the file's.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('npm run doctor', () => {
  let stack: FakeStack;
  let overrides: Record<string, string>;

  beforeAll(async () => {
    const file = parseEnv(readFileSync('.env.example', 'utf8'));
    const [espo, advo, xai, google] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const at = (url: string | undefined, port: number) => {
      const u = new URL(url ?? 'http://127.0.0.1/');
      u.port = String(port);
      return u.href.replace(/\/$/, url?.endsWith('/') ? '/' : '');
    };
    overrides = {
      ESPOCRM_API_BASE_URL: at(file.ESPOCRM_API_BASE_URL, espo),
      ADVOWARE_API_BASE_URL: at(file.ADVOWARE_API_BASE_URL, advo),
      ADVOWARE_AUTH_URL: at(file.ADVOWARE_AUTH_URL, advo),
      XAI_API_BASE_URL: at(file.XAI_API_BASE_URL, xai),
      XAI_MANAGEMENT_API_BASE_URL: at(file.XAI_MANAGEMENT_API_BASE_URL, xai),
      GOOGLE_API_ROOT_URL: at(file.GOOGLE_API_ROOT_URL, google),
      GOOGLE_TOKEN_URL: at(file.GOOGLE_TOKEN_URL, google),
    };
    // As the sandbox does: the fakes from the file's config, with demo data.
    const base = AppConfig.fromEnv({ ...file, ...overrides, CALENDAR_SYNC_ENABLED: 'false' });
    stack = await startFakeStack(base, { demo: true });
    overrides = { ...overrides, ...stack.env };
  });
  afterAll(async () => {
    await stack?.close();
  });

  const fakes = () => [stack.espocrm, stack.advoware, stack.xai, stack.google];
  const clearLogs = () => fakes().forEach((f) => f.clearLog());
  /** Every request but a read and the two token endpoints (authentication). */
  /** Every logged request but a read and the two token endpoints (authentication), from `/__fake/requests`. */
  const writes = async () => {
    const out: string[] = [];
    for (const f of fakes()) {
      const log = (await (await fetch(`${f.url}/__fake/requests`)).json()) as {
        requests: Array<{ method: string; route: string; path: string }>;
      };
      for (const r of log.requests) {
        if (r.method === 'GET' || r.method === 'HEAD') continue;
        if (r.method === 'POST' && (r.route === ADVOWARE_TOKEN_PATH || r.route === '/token'))
          continue;
        out.push(`${f.name} ${r.method} ${r.path}`);
      }
    }
    return out;
  };
  const doctor = async (extra: Record<string, string> = {}) => {
    const lines: string[] = [];
    // NODE_ENV comes from the file, as for an operator's shell (Jest sets it to "test").
    const env = { PATH: process.env.PATH, ENV_FILE: '.env.example', ...overrides, ...extra };
    const run = await runDoctor(env, (l) => lines.push(l));
    return { ...run, output: lines.join('\n') };
  };

  it('passes with .env.example against the sandbox fakes, reading only', async () => {
    clearLogs();
    const run = await doctor();
    process.stdout.write(`${run.output}\n`);
    expect(
      run.results.filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.detail}`),
    ).toEqual([]);
    expect(run.exitCode).toBe(0);
    const names = run.results.map((r) => r.name);
    for (const expected of [
      'Configuration',
      'Redis reachable',
      'EspoCRM API key',
      'EspoCRM CBeteiligte (Beteiligte sync)',
      'EspoCRM CDokumente (document sync)',
      'EspoCRM Account (xAI collection)',
      'Advoware token',
      'Advoware employees',
      'Advoware party fields',
      'Advoware externeId',
      'Advoware path employees',
      'Advoware path appointments',
      'xAI files key',
      'xAI management key',
    ])
      expect(names).toContain(expected);
    expect(names.some((n) => n.startsWith('Google impersonation '))).toBe(true);
    // .env.example's keys are placeholders: warned about outside production, not failed.
    expect(
      run.results.filter((r) => r.name === 'Secrets' && r.status === 'warn').length,
    ).toBeGreaterThan(0);
    // Each fake was actually asked, and nothing was written.
    for (const f of fakes()) expect([f.name, f.requests.length > 0]).toEqual([f.name, true]);
    expect(await writes()).toEqual([]);
  });

  it('fails naming Advoware when its password is wrong, still without writing', async () => {
    clearLogs();
    const run = await doctor({ ADVOWARE_PASSWORD: 'wrong-password' });
    expect(run.exitCode).not.toBe(0);
    const failed = run.results.filter((r) => r.status === 'fail');
    expect(failed.map((r) => r.name)).toContain('Advoware token');
    expect(run.output).toMatch(/✗ Advoware token: .*refused/);
    // The other systems are still checked and green.
    expect(run.results.find((r) => r.name === 'EspoCRM API key')?.status).toBe('ok');
    expect(await writes()).toEqual([]);
  });

  it('runs as `npm run doctor` does: the compiled script, ENV_FILE naming .env.example and a file of overrides', async () => {
    // The script as package.json compiles it (swc src scripts -d .build).
    await promisify(execFile)('npx', ['swc', 'src', 'scripts', '-d', '.build', '--quiet'], {
      timeout: 120_000,
    });
    const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
    const extra = join(dir, 'sandbox.env');
    // parseEnv reads "\n" in a double-quoted value as a newline; the hub's own un-escaping handles either.
    writeFileSync(
      extra,
      Object.entries(overrides)
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n'),
    );
    const run = (password?: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        execFile(
          'node',
          ['.build/scripts/doctor.js'],
          {
            env: {
              PATH: process.env.PATH,
              ENV_FILE: `.env.example,${extra}`,
              ...(password ? { ADVOWARE_PASSWORD: password } : {}),
            },
            timeout: 60_000,
          },
          (err, stdout, stderr) =>
            resolve({
              code: err ? ((err as { code?: number }).code ?? 1) : 0,
              out: `${stdout}${stderr}`,
            }),
        );
      });
    clearLogs();
    const green = await run();
    expect([green.code, green.out]).toEqual([0, expect.stringContaining('0 failed')]);
    const red = await run('wrong-password');
    expect(red.code).toBe(1);
    expect(red.out).toMatch(/✗ Advoware token/);
    expect(await writes()).toEqual([]);
  }, 180_000);

  it('fails on placeholder secrets and unbound webhooks under NODE_ENV=production', async () => {
    const run = await doctor({ NODE_ENV: 'production', ALLOW_UNSIGNED_WEBHOOKS: 'true' });
    expect(run.exitCode).toBe(1);
    const secrets = run.results.filter((r) => r.name === 'Secrets');
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.every((r) => r.status === 'fail')).toBe(true);
    expect(run.output).toContain('✗ Secrets: OPS_API_KEY: is a value published in .env.example');
    // Unbound webhook ids: the configuration itself is refused in production.
    const unbound = await doctor({
      NODE_ENV: 'production',
      ESPOCRM_WEBHOOK_SECRETS: `wh1:${'a'.repeat(32)}`,
    });
    expect(unbound.exitCode).toBe(1);
    expect(unbound.output).toContain('entry 1 (wh1) is bound to no route');
  });

  it('fails naming the missing EspoCRM field, and the configuration problem when one is bad', async () => {
    const defs = stack.espocrm as unknown as {
      entityDefs: Record<string, { fields: Record<string, unknown> }>;
    };
    const saved = defs.entityDefs.CBeteiligte.fields.betnr;
    delete defs.entityDefs.CBeteiligte.fields.betnr;
    try {
      const run = await doctor();
      expect(run.exitCode).toBe(1);
      expect(run.output).toContain(
        '✗ EspoCRM CBeteiligte (Beteiligte sync): missing CBeteiligte.betnr',
      );
    } finally {
      defs.entityDefs.CBeteiligte.fields.betnr = saved;
    }
    const bad = await doctor({ ESPOCRM_WEBHOOK_SECRETS: 'no-colon' });
    expect(bad.exitCode).toBe(1);
    expect(bad.output).toContain('✗ Configuration: ESPOCRM_WEBHOOK_SECRETS');
  });
});
