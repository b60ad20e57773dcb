import { FreshReadCoalescer } from './fresh-read-coalescer.js';

/** A fetch whose answers the test releases by hand, counting its calls. */
function deferredFetch() {
  const pending: Array<(v: string) => void> = [];
  let calls = 0;
  return {
    fetch: () => {
      calls += 1;
      return new Promise<string>((resolve) => pending.push(resolve));
    },
    answer: (v: string) => pending.shift()!(v),
    get calls() {
      return calls;
    },
  };
}

describe('FreshReadCoalescer', () => {
  it('lets runs that started before a read share it', async () => {
    const c = new FreshReadCoalescer<string>();
    const f = deferredFetch();
    const [a, b] = [c.ticket(), c.ticket()];
    const first = c.read('owner', a, f.fetch);
    const second = c.read('owner', b, f.fetch);
    f.answer('v1');
    expect(await Promise.all([first, second])).toEqual(['v1', 'v1']);
    expect(f.calls).toBe(1);
  });

  it('never gives a run a read issued before it started, finished or still running', async () => {
    const c = new FreshReadCoalescer<string>();
    const f = deferredFetch();
    const early = c.read('owner', c.ticket(), f.fetch);
    const late = c.read('owner', c.ticket(), f.fetch);
    expect(f.calls).toBe(2);
    f.answer('old');
    f.answer('new');
    expect([await early, await late]).toEqual(['old', 'new']);
    const later = c.read('owner', c.ticket(), f.fetch);
    expect(f.calls).toBe(3);
    f.answer('newest');
    expect(await later).toBe('newest');
  });

  it('keeps keys apart', async () => {
    const c = new FreshReadCoalescer<string>();
    const t = c.ticket();
    const calls: string[] = [];
    const read = (k: string) =>
      c.read(k, t, () => {
        calls.push(k);
        return Promise.resolve(k);
      });
    expect(await Promise.all([read('a'), read('b'), read('a')])).toEqual(['a', 'b', 'a']);
    expect(calls).toEqual(['a', 'b']);
  });

  it('hands a failure to the runs that shared the read and not to a run that reads after it', async () => {
    const c = new FreshReadCoalescer<string>();
    const t = c.ticket();
    let calls = 0;
    const failing = () => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('503')) : Promise.resolve('ok');
    };
    const [x, y] = [c.read('k', t, failing), c.read('k', t, failing)];
    await expect(x).rejects.toThrow('503');
    await expect(y).rejects.toThrow('503');
    expect(await c.read('k', t, failing)).toBe('ok');
    expect(calls).toBe(2);
  });

  it('turns a fetch that throws at once into a rejected read', async () => {
    const c = new FreshReadCoalescer<string>();
    await expect(
      c.read('k', c.ticket(), () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('forgets the oldest key beyond its bound', async () => {
    const c = new FreshReadCoalescer<string>(2);
    const t = c.ticket();
    let calls = 0;
    const fetch = (v: string) => () => {
      calls += 1;
      return Promise.resolve(v);
    };
    await c.read('a', t, fetch('a'));
    await c.read('b', t, fetch('b'));
    await c.read('c', t, fetch('c'));
    await c.read('b', t, fetch('b'));
    expect(calls).toBe(3);
    await c.read('a', t, fetch('a'));
    expect(calls).toBe(4);
  });
});
