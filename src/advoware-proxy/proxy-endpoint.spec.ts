import { validateProxyEndpoint } from './proxy-endpoint.js';

/** Values as the controller sees them: already decoded once from the query string. */
describe('validateProxyEndpoint', () => {
  it.each([
    ['api/v1/advonet/Beteiligte/10001', 'api/v1/advonet/Beteiligte/10001'],
    ['/api/v1/advonet/Mitarbeiter', 'api/v1/advonet/Mitarbeiter'],
    ['api/v1/advonet/Termine/', 'api/v1/advonet/Termine/'],
    [
      'api/v1/advonet/Beteiligte/10001/Kommunikationen',
      'api/v1/advonet/Beteiligte/10001/Kommunikationen',
    ],
    ['api/v1/advonet/Dokumente/d-1_x.pdf/Download', 'api/v1/advonet/Dokumente/d-1_x.pdf/Download'],
    ['api/v1/advonet/Akten/Müller', 'api/v1/advonet/Akten/Müller'],
    ['api/v1/advonet/Beteiligte..alt', 'api/v1/advonet/Beteiligte..alt'],
    // A bare resource, as internal tools call it, resolves below the API base.
    ['employees', 'api/v1/advonet/employees'],
    ['/appointments/70001', 'api/v1/advonet/appointments/70001'],
  ])('accepts %j', (raw, path) => {
    expect(validateProxyEndpoint(raw)).toEqual({ ok: true, path });
  });

  it.each([
    [undefined, 'Endpoint required as query param'],
    ['', 'Endpoint required as query param'],
    ['   ', 'Endpoint required as query param'],
    ['http://evil.example/x', 'relative path'],
    ['HTTPS://evil.example', 'relative path'],
    ['file:///etc/passwd', 'relative path'],
    ['javascript:alert(1)', 'relative path'],
    ['//evil.example/x', 'scheme-relative'],
    ['\\\\evil.example\\x', 'backslash'],
    ['api\\..\\Token', 'backslash'],
    ['../Token', '".."'],
    ['api/v1/advonet/../../Token', '".."'],
    ['api/v1/advonet/..', '".."'],
    ['api/./v1', '"."'],
    ['/..', '".."'],
    ['api/v1/advonet/%2e%2e/Token', 'percent'],
    ['api/v1/advonet/%2E%2e%2fToken', 'percent'],
    ['api/v1/%252e%252e/Token', 'percent'],
    ['%2F%2Fevil.example', 'percent'],
    ['api/v1/advonet\u0000/x', 'control'],
    ['api/v1/advonet/x\r\nHost: evil', 'control'],
    ['api/v1/advonet/\tx', 'control'],
    ['evil.example@127.0.0.1/x', '"@"'],
    ['user@evil.example', '"@"'],
    ['api/v1/advonet/x?y=1', 'path only'],
    ['api/v1/advonet/x#frag', 'path only'],
    ['api/v1//advonet', 'empty path segment'],
    ['/', 'empty path segment'],
    ['api/v1/advonet/a b', 'not allowed'],
    ['api/v1/advonet/\u2024\u2024/x', 'not allowed'],
    ['api/v1/advonet/\uff0e\uff0e/x', 'not allowed'],
    ['api/v1/advonet/<script>', 'not allowed'],
    ['api/v1/advonet/..;/Token', 'not allowed'],
    ['127.0.0.1:6379/x', 'relative path'],
    ['x'.repeat(3000), 'longer than'],
  ])('refuses %j with 400', (raw, message) => {
    const result = validateProxyEndpoint(raw);
    expect(result).toMatchObject({ ok: false, status: 400 });
    expect((result as { message: string }).message).toContain(message);
  });

  describe('with allowed prefixes', () => {
    const prefixes = ['api/v1/advonet/Beteiligte', '/api/v1/advonet/Termine/'];

    it.each([
      'api/v1/advonet/Beteiligte',
      'api/v1/advonet/Beteiligte/10001/Adressen',
      '/api/v1/advonet/Termine',
      'API/V1/ADVONET/termine/1',
    ])('accepts %j inside them', (raw) => {
      expect(validateProxyEndpoint(raw, prefixes).ok).toBe(true);
    });

    it.each([
      'api/v1/advonet/Mitarbeiter',
      'api/v1/advonet/BeteiligteGeheim',
      'api/v1/Token',
      'api/v1/advonet',
    ])('refuses %j outside them with 403', (raw) => {
      expect(validateProxyEndpoint(raw, prefixes)).toMatchObject({ ok: false, status: 403 });
    });

    it('compares bare endpoints and bare prefixes below api/v1/advonet/', () => {
      expect(validateProxyEndpoint('Beteiligte/1', prefixes).ok).toBe(true);
      expect(validateProxyEndpoint('employees', prefixes)).toMatchObject({ status: 403 });
      expect(validateProxyEndpoint('api/v1/advonet/employees/1', ['employees']).ok).toBe(true);
    });

    it('still answers 400, not 403, for traversal out of an allowed prefix', () => {
      expect(
        validateProxyEndpoint('api/v1/advonet/Beteiligte/../../Token', prefixes),
      ).toMatchObject({ status: 400 });
    });
  });
});
