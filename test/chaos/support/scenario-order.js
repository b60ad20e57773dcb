/**
 * Jest's test sequencer for the chaos suite: scenario files run in the order of their
 * number, because scenario 8 (secrets) scans the logs that scenarios 1–3 wrote and the
 * summary table is printed last. Jest loads a sequencer through its default export.
 */
class ScenarioOrder {
  sort(tests) {
    return [...tests].sort((a, b) => a.path.localeCompare(b.path));
  }

  cacheResults() {}

  allFailedTests(tests) {
    return tests;
  }
}

// eslint-disable-next-line no-restricted-syntax -- Jest requires a default export here
export default ScenarioOrder;
