import {
  ADVOWARE_PARTY_PATH_PATTERN,
  ADVOWARE_RESOURCE_PATH_PATTERN,
  DEFAULT_ADVOWARE_PATHS,
  advowarePath,
  advowarePathProblem,
  advowarePathsFromEnv,
  readableAdvowarePaths,
} from './advoware.paths.js';

describe('advoware.paths', () => {
  it('defaults to the previous system’s calendar names', () => {
    expect(DEFAULT_ADVOWARE_PATHS.employees).toBe('employees');
    expect(DEFAULT_ADVOWARE_PATHS.appointments).toBe('appointments');
    expect(advowarePathsFromEnv({})).toEqual(DEFAULT_ADVOWARE_PATHS);
  });

  it.each<[Parameters<typeof advowarePath>, string]>([
    [[DEFAULT_ADVOWARE_PATHS, 'employees', {}], '/api/v1/advonet/employees'],
    [[DEFAULT_ADVOWARE_PATHS, 'appointments', {}, 70001], '/api/v1/advonet/appointments/70001'],
    [[DEFAULT_ADVOWARE_PATHS, 'beteiligte', {}, 'a/b'], '/api/v1/advonet/Beteiligte/a%2Fb'],
    [
      [DEFAULT_ADVOWARE_PATHS, 'kommunikationen', { betNr: 5 }, 9],
      '/api/v1/advonet/Beteiligte/5/Kommunikationen/9',
    ],
    [[{ ...DEFAULT_ADVOWARE_PATHS, employees: '/api/v2/staff' }, 'employees', {}], '/api/v2/staff'],
  ])('%j → %s', (args, expected) => {
    expect(advowarePath(...args)).toBe(expected);
  });

  it('never builds a party path without a betNr, nor an item path without its id', () => {
    expect(() => advowarePath(DEFAULT_ADVOWARE_PATHS, 'adressen', {})).toThrow(/needs a betNr/);
    for (const bad of [undefined, null, '', NaN]) {
      expect(() =>
        advowarePath(DEFAULT_ADVOWARE_PATHS, 'beteiligte', {}, bad as unknown as number),
      ).toThrow(/no usable id segment/);
    }
  });

  it('takes overrides from the environment, ignoring empty values and trailing slashes', () => {
    expect(
      advowarePathsFromEnv({
        ADVOWARE_PATH_EMPLOYEES: 'Mitarbeiter/',
        ADVOWARE_PATH_APPOINTMENTS: ' ',
      }),
    ).toMatchObject({ employees: 'Mitarbeiter', appointments: 'appointments' });
  });

  it.each<[Parameters<typeof advowarePathProblem>, RegExp | undefined]>([
    [['employees', 'employees'], undefined],
    [['employees', '/api/v2/staff'], undefined],
    [['kommunikationen', 'Beteiligte/{betNr}/Kommunikation'], undefined],
    [['employees', 'http://evil/x'], /ADVOWARE_PATH_EMPLOYEES must be a path/],
    [['employees', '../x'], /must be a path/],
    [['employees', 'a?b=1'], /must be a path/],
    [['employees', 'x/{betNr}'], /must not contain \{betNr\}/],
    [['adressen', 'Adressen'], /ADVOWARE_PATH_ADRESSEN must contain \{betNr\}/],
  ])('%j', (args, problem) => {
    const got = advowarePathProblem(...args);
    if (problem) expect(got).toMatch(problem);
    else expect(got).toBeUndefined();
  });

  it('the env patterns agree with the checks', () => {
    expect(ADVOWARE_RESOURCE_PATH_PATTERN.test('employees')).toBe(true);
    expect(ADVOWARE_RESOURCE_PATH_PATTERN.test('x/{betNr}')).toBe(false);
    expect(ADVOWARE_PARTY_PATH_PATTERN.test('Beteiligte/{betNr}/Adressen')).toBe(true);
    expect(ADVOWARE_PARTY_PATH_PATTERN.test('Adressen')).toBe(false);
  });

  it('lists the readable paths for the doctor, party children only with a betNr', () => {
    expect(readableAdvowarePaths(DEFAULT_ADVOWARE_PATHS).map((p) => p.path)).toEqual([
      '/api/v1/advonet/employees',
      '/api/v1/advonet/Beteiligte',
      '/api/v1/advonet/appointments',
    ]);
    expect(readableAdvowarePaths(DEFAULT_ADVOWARE_PATHS, 10001).map((p) => p.name)).toEqual([
      'employees',
      'beteiligte',
      'appointments',
      'kommunikationen',
      'adressen',
      'bankverbindungen',
    ]);
  });
});
