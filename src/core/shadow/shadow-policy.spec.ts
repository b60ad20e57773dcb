import {
  decideShadowWrite,
  summarizeWrite,
  upstreamPath,
  type ShadowWriteRequest,
} from './shadow-policy.js';

describe('shadow policy', () => {
  const cases: Array<[string, ShadowWriteRequest, string]> = [
    [
      'EspoCRM update answers the body with the id',
      { system: 'espocrm', method: 'PUT', path: '/api/v1/CDokumente/d1', body: { a: 1 } },
      'answer update',
    ],
    [
      'EspoCRM create stops (the id comes from EspoCRM)',
      { system: 'espocrm', method: 'POST', path: '/api/v1/Task', body: { name: 'x' } },
      'stop create',
    ],
    [
      'EspoCRM relationship link answers true',
      { system: 'espocrm', method: 'POST', path: '/api/v1/CBeteiligte/b1/dokumente', body: {} },
      'answer link',
    ],
    [
      'EspoCRM delete answers',
      { system: 'espocrm', method: 'DELETE', path: '/api/v1/CBeteiligte/b1/dokumente' },
      'answer delete',
    ],
    [
      'Advoware create stops (betNr comes from Advoware)',
      { system: 'advoware', method: 'POST', path: '/api/v1/advonet/Beteiligte', body: {} },
      'stop create',
    ],
    [
      'Advoware update answers',
      { system: 'advoware', method: 'PUT', path: '/api/v1/advonet/Beteiligte/7', body: {} },
      'answer update',
    ],
    [
      'xAI upload stops (the file id comes from xAI)',
      { system: 'xai', method: 'POST', path: '/v1/files', body: 'file: upload a.txt' },
      'stop create',
    ],
    [
      'xAI collection create stops',
      { system: 'xai', method: 'POST', path: '/v1/collections', body: {} },
      'stop create',
    ],
    [
      'xAI membership add answers',
      { system: 'xai', method: 'POST', path: '/v1/collections/c1/documents/f1', body: {} },
      'answer membership',
    ],
    [
      'xAI membership fields update answers',
      { system: 'xai', method: 'PATCH', path: '/v1/collections/c1/documents/f1', body: {} },
      'answer membership',
    ],
    [
      'Google event insert with the hub’s own id answers the event',
      {
        system: 'google',
        method: 'POST',
        path: '/calendar/v3/calendars/c%40x/events',
        body: { id: 'abc12345' },
      },
      'answer create',
    ],
    [
      'Google calendar insert stops',
      { system: 'google', method: 'POST', path: '/calendar/v3/calendars', body: { summary: 's' } },
      'stop create',
    ],
    [
      'Google event delete answers 204',
      { system: 'google', method: 'DELETE', path: '/calendar/v3/calendars/c/events/e1' },
      'answer delete',
    ],
  ];
  it.each(cases)('%s', (_name, req, expected) => {
    const d = decideShadowWrite(req);
    expect(`${d.action} ${d.kind}`).toBe(expected);
  });

  it('echoes an update body with the id, so the caller sees what it asked for', () => {
    const d = decideShadowWrite({
      system: 'espocrm',
      method: 'PUT',
      path: '/api/v1/CDokumente/d%201',
      body: { fileStatus: 'synced' },
    });
    expect(d).toEqual({
      action: 'answer',
      kind: 'update',
      status: 200,
      data: { id: 'd 1', fileStatus: 'synced' },
    });
    const google = decideShadowWrite({ system: 'google', method: 'DELETE', path: '/x/events/e' });
    expect(google).toMatchObject({ status: 204, data: '' });
  });

  it('summarizes the fields compactly', () => {
    expect(summarizeWrite({ a: 'x', b: 2, c: { d: true } })).toEqual({
      a: 'x',
      b: '2',
      c: '{"d":true}',
    });
    expect((summarizeWrite({ long: 'y'.repeat(500) }) as Record<string, string>).long).toHaveLength(
      121,
    );
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i]));
    const summary = summarizeWrite(many) as Record<string, string>;
    expect(Object.keys(summary)).toHaveLength(25);
    expect(summary['…']).toBe('6 more fields');
    expect(summarizeWrite([1, 2, 3])).toBe('3 items');
    expect(summarizeWrite(undefined)).toEqual({});
  });

  it('joins base path and url as axios does', () => {
    expect(upstreamPath('http://h:1/api/v1', '/CDokumente/x?select=id')).toBe(
      '/api/v1/CDokumente/x',
    );
    expect(upstreamPath('http://h:1/api/v1/', 'CDokumente')).toBe('/api/v1/CDokumente');
    expect(upstreamPath('http://h:1', '/v1/files')).toBe('/v1/files');
    expect(upstreamPath('', 'http://gw/api/v1/Token')).toBe('/api/v1/Token');
  });
});
