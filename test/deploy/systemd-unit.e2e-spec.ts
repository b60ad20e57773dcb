import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * deploy/bitbylaw-hub.service as systemd reads it: `systemd-analyze verify` (Debian's
 * `systemd` package; .ci/run installs it when missing) parses every directive and checks
 * that ExecStart is executable. It reports unknown keys and bad values on stderr but
 * still exits 0, so the test wants both: exit 0 and nothing said.
 *
 * The copy verified points ExecStart at the Node running this test: the unit names
 * /usr/bin/node (where the production host's Node 24 lives), which a CI machine need not
 * have; everything else is verified as shipped. User= is not checked by verify.
 */
const UNIT = readFileSync('deploy/bitbylaw-hub.service', 'utf8');

function verify(unitText: string): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hub-unit-'));
  const file = join(dir, 'bitbylaw-hub.service');
  writeFileSync(file, unitText.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', file], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stderr: result.stderr.trim() };
}

describe('the systemd unit', () => {
  it('passes systemd-analyze verify without a single complaint', () => {
    expect(verify(UNIT)).toEqual({ status: 0, stderr: '' });
  });

  it('would be caught with an unknown key or a bad value (the check above can fail)', () => {
    const broken = UNIT.replace(
      /^RemoveIPC=yes$/m,
      'RemoveIPC=yes\nProtectProcs=invisible\nMemoryMax=lots',
    );
    const { stderr } = verify(broken);
    expect(stderr).toMatch(/Unknown key 'ProtectProcs'/);
    expect(stderr).toMatch(/Invalid memory limit 'lots'/);
  });

  it('has the hardening of issue 16 and exits 78 for good on a bad configuration', () => {
    for (const line of [
      /^MemoryMax=\d+[KMG]$/m,
      /^ProtectProc=invisible$/m,
      /^ProcSubset=pid$/m,
      /^RemoveIPC=yes$/m,
      /^RestartPreventExitStatus=78$/m,
      /^Environment=NODE_ENV=production/m,
    ])
      expect(UNIT).toMatch(line);
  });
});

describe('the Dockerfile', () => {
  it('builds and runs on Node 24 (the current LTS)', () => {
    const from = [...readFileSync('Dockerfile', 'utf8').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(from.length).toBeGreaterThan(0);
    for (const image of from) expect(image).toMatch(/^node:24[.-]/);
  });
});
