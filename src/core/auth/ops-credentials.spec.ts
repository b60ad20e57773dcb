import { hasOpsCredentials, parseBasicAuthorization } from './ops-credentials.js';

const KEY = 'ops-key-0123456789abcdef';
const basic = (pair: string) => `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;

describe('parseBasicAuthorization', () => {
  it.each([
    [basic('ops:secret'), { user: 'ops', password: 'secret' }],
    [basic('ops:pa:ss'), { user: 'ops', password: 'pa:ss' }],
    [`basic ${Buffer.from('ops:x').toString('base64')}`, { user: 'ops', password: 'x' }],
    [basic(':'), { user: '', password: '' }],
    [basic('no-colon'), undefined],
    ['Bearer abc', undefined],
    ['Basic', undefined],
    ['Basic !!!', undefined],
    [undefined, undefined],
    [['Basic b3BzOng='], undefined],
  ])('%p → %p', (header, expected) => {
    expect(parseBasicAuthorization(header)).toEqual(expected);
  });
});

describe('hasOpsCredentials', () => {
  it.each([
    ['X-Api-Key header', { 'x-api-key': KEY }, true],
    ['wrong X-Api-Key', { 'x-api-key': 'nope' }, false],
    ['Basic ops + key', { authorization: basic(`ops:${KEY}`) }, true],
    ['Basic other user + key', { authorization: basic(`admin:${KEY}`) }, false],
    ['Basic ops + wrong password', { authorization: basic('ops:wrong') }, false],
    ['Basic ops + empty password', { authorization: basic('ops:') }, false],
    ['Basic with the key as user', { authorization: basic(`${KEY}:ops`) }, false],
    [
      'wrong header, right Basic',
      { 'x-api-key': 'nope', authorization: basic(`ops:${KEY}`) },
      true,
    ],
    ['nothing', {}, false],
  ])('%s → %p', (_what, headers, expected) => {
    expect(hasOpsCredentials(headers, KEY)).toBe(expected);
  });
});
