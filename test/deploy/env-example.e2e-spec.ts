import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { AppConfig } from '../../src/config/app-config.js';

/**
 * `.env.example` is read by three parsers: the hub's (`process.loadEnvFile`, whose
 * rules `util.parseEnv` exposes), a shell (`set -a; . ./.env.example`) and systemd's
 * EnvironmentFile=. systemd cannot be asked to parse a file outside a running
 * manager, so its part is held to the subset its documented rules (systemd.exec(5),
 * "EnvironmentFile=") read like the other two: KEY=value lines, values unquoted
 * without spaces or shell characters, or double-quoted without `"`, `\`, `$` or
 * backquotes inside; comments only on their own lines.
 */
const FILE = '.env.example';
const TEXT = readFileSync(FILE, 'utf8');

/** The variable lines, as written. */
const assignments = TEXT.split('\n').filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l));

/** What the shell sees after sourcing the file with `set -a`, in an otherwise empty environment. */
function shellValues(): Record<string, string> {
  const result = spawnSync(
    'bash',
    [
      '-c',
      `set -euo pipefail; set -a; . ./${FILE}; set +a; node -e 'process.stdout.write(JSON.stringify(process.env))'`,
    ],
    {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
      timeout: 20_000,
      // Not a socket on stdin: bash would take itself for a remote shell and read ~/.bashrc.
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as Record<string, string>;
}

describe('.env.example', () => {
  it('has variables at all (the checks below are not vacuous)', () => {
    expect(assignments.length).toBeGreaterThan(50);
  });

  it('uses only the syntax the hub, systemd and a shell read alike', () => {
    const common = /^[A-Z_][A-Z0-9_]*=([A-Za-z0-9_./:,@+=%{}-]*|"[^"\\$`]*")$/;
    const odd = assignments.filter((l) => !common.test(l));
    expect(odd).toEqual([]);
  });

  it('gives a shell exactly what the hub reads, cron lines included', () => {
    const hub = parseEnv(TEXT);
    const shell = shellValues();
    expect(Object.keys(hub).sort()).toEqual(assignments.map((l) => l.split('=')[0]).sort());
    for (const [name, value] of Object.entries(hub))
      expect([name, shell[name]]).toEqual([name, value]);
    expect(hub.VMH_BETEILIGTE_SYNC_CRON).toBe('0 */15 * * * *');
    expect(hub.CALENDAR_SYNC_CRON).toBe('0 */15 * * * *');
  });

  it('leaves the production switches to the unit (an EnvironmentFile overrides Environment=)', () => {
    const set = new Set(assignments.map((l) => l.split('=')[0]));
    for (const name of ['NODE_ENV', 'LOG_FORMAT', 'SWAGGER_ENABLED', 'QUEUE_DASHBOARD_ENABLED'])
      expect([name, set.has(name)]).toEqual([name, false]);
    // ... which the unit does set.
    expect(readFileSync('deploy/bitbylaw-hub.service', 'utf8')).toMatch(
      /^Environment=NODE_ENV=production LOG_FORMAT=json/m,
    );
  });

  it('is a valid configuration as the hub loads it (the sandbox runs on it)', () => {
    // The sandbox makes the calendar's key pair at start; the file leaves it empty.
    const config = AppConfig.fromEnv({ ...parseEnv(TEXT), CALENDAR_SYNC_ENABLED: 'false' });
    expect(config.vmh.beteiligteSyncCron).toBe('0 */15 * * * *');
    expect(config.http.metricsHost).toBe('127.0.0.1');
    expect(config.proxy.maxResponseBytes).toBe(20 * 1024 * 1024);
    // Unset NODE_ENV is development: the sandbox keeps Swagger and the dashboard.
    expect(config.env).toBe('development');
    expect(config.http).toMatchObject({ swaggerEnabled: true, queueDashboardEnabled: true });
  });
});
