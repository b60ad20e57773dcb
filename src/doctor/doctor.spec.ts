import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitCodeOf, fail, formatResult, ok, summaryOf, warn } from './doctor.check.js';
import {
  ESPOCRM_REQUIREMENTS,
  collectionRequirements,
  missingInEntityDefs,
} from './espocrm.requirements.js';
import { doctorEnv } from './doctor.js';

describe('doctor lines and exit code', () => {
  it.each([
    [ok('Redis reachable', 'PONG'), '✓ Redis reachable: PONG'],
    [
      warn('Secrets', 'OPS_API_KEY short', 'replace it'),
      '! Secrets: OPS_API_KEY short\n    → replace it',
    ],
    [warn('Google impersonation', 'not checked'), '! Google impersonation: not checked'],
    [
      fail('Advoware token', 'refused', 'check ADVOWARE_PASSWORD'),
      '✗ Advoware token: refused\n    → check ADVOWARE_PASSWORD',
    ],
  ])('formats %j', (result, line) => {
    expect(formatResult(result)).toBe(line);
  });

  it.each([
    [[], 0],
    [[ok('a', 'x')], 0],
    [[ok('a', 'x'), warn('b', 'y')], 0],
    [[ok('a', 'x'), fail('b', 'y', 'z')], 1],
    [[fail('b', 'y', 'z'), warn('c', 'w')], 1],
  ])('exit code of %j is %i', (results, code) => {
    expect(exitCodeOf(results)).toBe(code);
  });

  it('sums up', () => {
    expect(summaryOf([ok('a', 'x'), warn('b', 'y'), fail('c', 'z', 'f')])).toBe(
      '3 checks: 1 ok, 1 warnings, 1 failed',
    );
  });
});

describe('missingInEntityDefs', () => {
  const documents = ESPOCRM_REQUIREMENTS.find((r) => r.entity === 'CDokumente')!;
  const beteiligte = ESPOCRM_REQUIREMENTS.find((r) => r.entity === 'CBeteiligte')!;
  const fieldsOf = (names: string[]) =>
    Object.fromEntries(names.map((n) => [n, { type: 'varchar' }]));

  it.each([
    ['no metadata', null, ['entity type CDokumente']],
    ['everything', { fields: fieldsOf(documents.fields) }, []],
    [
      'no dokument and xaiId',
      { fields: fieldsOf(documents.fields.filter((f) => f !== 'dokument' && f !== 'xaiId')) },
      ['CDokumente.dokument', 'CDokumente.xaiId'],
    ],
  ])('CDokumente with %s', (_label, defs, missing) => {
    expect(missingInEntityDefs(documents, defs)).toEqual(missing);
  });

  it('names missing links and enum options the hub writes', () => {
    const fields = fieldsOf(beteiligte.fields);
    fields.syncStatus = { type: 'enum', options: ['', 'clean', 'dirty'] } as never;
    expect(missingInEntityDefs(beteiligte, { fields, links: { adressen: {} } })).toEqual([
      'CBeteiligte link bankverbindungen',
      'CBeteiligte.syncStatus options pending_sync, failed, permanently_failed, conflict, deleted_in_advoware',
    ]);
  });

  it('asks each collection entity type for xaiCollectionId and its dokumente link', () => {
    const [req] = collectionRequirements(['CVmhRaeumungsklage']);
    expect(missingInEntityDefs(req, { fields: fieldsOf(['name']), links: {} })).toEqual([
      'CVmhRaeumungsklage.xaiCollectionId',
      'CVmhRaeumungsklage link dokumente',
    ]);
  });
});

describe('doctorEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-env-'));
  const a = join(dir, 'a.env');
  const b = join(dir, 'b.env');
  writeFileSync(a, 'X=from-a\nY=from-a\nZ=from-a\n');
  writeFileSync(b, 'Y=from-b\n');

  it.each([
    ['one file', { ENV_FILE: a }, { X: 'from-a', Y: 'from-a', Z: 'from-a' }],
    ['later files win', { ENV_FILE: `${a},${b}` }, { X: 'from-a', Y: 'from-b', Z: 'from-a' }],
    [
      'the environment wins',
      { ENV_FILE: `${a}, ${b}`, Z: 'from-env' },
      { X: 'from-a', Y: 'from-b', Z: 'from-env' },
    ],
  ])('%s', (_label, env, expected) => {
    const { values } = doctorEnv(env);
    expect({ X: values.X, Y: values.Y, Z: values.Z }).toEqual(expected);
  });
});
