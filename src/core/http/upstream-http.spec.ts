import { defaultRouteOf } from './upstream-http.js';

describe('defaultRouteOf: metric labels from upstream paths', () => {
  it.each([
    ['api/v1/advonet/Beteiligte/10001', 'api/v1/advonet/Beteiligte/:id'],
    ['Attachment/file/64f0c2a1e3b7d9a01', 'Attachment/file/:id'],
    ['v1/files/file_0b4a9d2e-1c3f-4a5b-9c8d-7e6f5a4b3c2d', 'v1/files/:id'],
    [
      'v1/collections/3f2b6c1e-9d8a-4b7c-a6e5-d4c3b2a1f0e9/documents',
      'v1/collections/:id/documents',
    ],
    ['/api/v1/Token?x=1', '/api/v1/Token'],
    // A calendar id is an email address; a path may carry a file name or garbage.
    ['calendars/ms@bitbylaw.example/events', 'calendars/:id/events'],
    ['api/v1/advonet/Zz9f3a/Brief%20an%20Herrn.pdf', 'api/v1/advonet/:id/:id'],
    ['api/v1/advonet/ThisSegmentIsFarTooLongToBeAResourceNameOfAnyApi', 'api/v1/advonet/:id'],
    ['a/b/c/d/e/f/g/h/i', 'a/b/c/d/e/f/…'],
    ['Beteiligte/deadbeef', 'Beteiligte/:id'],
  ])('%s → %s', (path, label) => {
    expect(defaultRouteOf(path)).toBe(label);
  });

  it('maps a thousand generated segments (ids, numbers, punctuation) to one label', () => {
    const labels = new Set<string>();
    for (let i = 0; i < 1000; i++)
      labels.add(defaultRouteOf(`api/v1/advonet/x${i}${Math.random().toString(36).slice(2)}`));
    // A word of letters only stays a name: bounded by the client's code, which is why the
    // proxy, whose paths the caller chooses, labels its calls `proxy` instead.
    expect([...labels]).toEqual(['api/v1/advonet/:id']);
  });
});
