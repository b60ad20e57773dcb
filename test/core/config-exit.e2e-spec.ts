import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('process start with a bad configuration', () => {
  it('exits non-zero before listening and names every bad variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    // The entry point, built by npm test's pretest step (SWC into .build/), as systemd starts dist/main.js.
    const result = spawnSync(process.execPath, ['.build/src/main.js'], {
      env: {
        PATH: process.env.PATH,
        ENV_FILE: join(dir, 'none.env'),
        PORT: 'x',
        OPS_API_KEY: 'short',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('Invalid environment variables');
    for (const name of [
      'PORT',
      'OPS_API_KEY',
      'ESPOCRM_API_BASE_URL',
      'ESPOCRM_API_KEY',
      'ADVOWARE_API_BASE_URL',
      'XAI_API_KEY',
    ]) {
      expect(result.stderr).toContain(name);
    }
  });
});
