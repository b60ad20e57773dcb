// The reliability and security suite (issue 11): `npm run test:chaos`. Same SWC
// transform as the main suite; files are `*.chaos-spec.ts`, so `npm test` never runs
// them. They run one at a time (they start processes, kill them, stop Redis) and in
// the order of their scenario number (scenario 8 scans the logs of 1–3).
import base from './jest.config.js';

const { testEnvironment, extensionsToTreatAsEsm, moduleNameMapper, transform } = base.projects[0];

export default {
  displayName: 'chaos',
  testEnvironment,
  extensionsToTreatAsEsm,
  moduleNameMapper,
  transform,
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  testSequencer: '<rootDir>/test/chaos/support/scenario-order.js',
  testTimeout: 400_000,
  // A scenario that hangs must not hold CI: Jest stops waiting for stray handles.
  forceExit: true,
};
