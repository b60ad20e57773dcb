import { waitFor } from '../../support/hub.js';
import { FakeServer, seededRandom, type FakeResponse } from './fake-server.js';

/** The smallest fake: one route that answers a token, one that echoes. */
class TinyFake extends FakeServer {
  constructor() {
    super({ name: 'tiny' });
    this.route('POST', '/token', () => ({
      status: 200,
      body: { access_token: `tok-${this.requests.length}`, token_type: 'Bearer' },
    }));
    this.route('GET', '/thing', (): FakeResponse => ({ status: 200, body: { ok: true } }));
  }
  state(): unknown {
    return {};
  }
  reset(): void {}
  seed(): void {}
}

describe('FakeServer fault injection and token record', () => {
  let fake: TinyFake;
  beforeEach(async () => {
    fake = new TinyFake();
    await fake.listen();
  });
  afterEach(() => fake.close());

  async function statuses(seed: number, n: number): Promise<number[]> {
    fake.clearLog();
    fake.seedFaults(seed);
    fake.setFaults([{ route: '*', statusMix: [{ status: 503, rate: 0.5 }] }]);
    for (let i = 0; i < n; i++) await (await fetch(`${fake.url}/thing`)).arrayBuffer();
    return fake.requests.map((r) => r.status);
  }

  it('draws the same faults again for the same seed, and other faults for another', async () => {
    const first = await statuses(42, 40);
    const again = await statuses(42, 40);
    const other = await statuses(43, 40);
    expect(first).toEqual(again);
    expect(other).not.toEqual(first);
    expect(first.filter((s) => s === 503).length).toBeGreaterThan(5);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(5);
    expect(fake.faultSeed).toBe(43);
  });

  it('gives a seeded generator that repeats and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });

  it('records the access tokens it answered and the bearer tokens it was sent', async () => {
    const issued = (await (await fetch(`${fake.url}/token`, { method: 'POST' })).json()) as {
      access_token: string;
    };
    await fetch(`${fake.url}/thing`, { headers: { Authorization: 'Bearer shown-but-not-issued' } });
    expect(fake.issuedTokens().sort()).toEqual(
      [issued.access_token, 'shown-but-not-issued'].sort(),
    );
  });

  it('holds a request until the test lets it go', async () => {
    let release!: () => void;
    const hold = new Promise<void>((done) => (release = done));
    fake.setFaults([{ route: 'GET /thing', hold, times: 1 }]);
    let answered = false;
    const pending = fetch(`${fake.url}/thing`).then((r) => ((answered = true), r.status));
    // A rule with `times: 1` is gone once a request matched it: the request has arrived.
    const faults = async () =>
      ((await (await fetch(`${fake.url}/__fake/faults`)).json()) as { faults: unknown[] }).faults;
    await waitFor(async () => (await faults()).length === 0, { what: 'the held request' });
    expect(answered).toBe(false);
    release();
    expect(await pending).toBe(200);
  });
});
