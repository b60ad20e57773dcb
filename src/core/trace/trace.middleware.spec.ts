import type { Request } from 'express';
import { OTHER_ROUTE, webhookRouteLabel } from './trace.middleware.js';

const req = (originalUrl: string, template?: string, baseUrl = '') =>
  ({
    originalUrl,
    baseUrl,
    route: template === undefined ? undefined : { path: template },
  }) as unknown as Request;

describe('webhookRouteLabel: the metric label of a request, never its raw path', () => {
  it.each<[string, Request, string | undefined]>([
    [
      'a matched webhook route',
      req('/vmh/webhook/document/create?x=1', '/vmh/webhook/document/create'),
      '/vmh/webhook/document/create',
    ],
    [
      'a matched route ending in /webhook',
      req('/probe/webhook', '/probe/webhook'),
      '/probe/webhook',
    ],
    [
      'a route below a router base',
      req('/api/x/webhook/y', '/webhook/y', '/api/x'),
      '/api/x/webhook/y',
    ],
    ['an unmatched webhook-looking path (404)', req(`/x/webhook/${'a'.repeat(700)}`), OTHER_ROUTE],
    ['an unmatched path ending in /webhook', req('/random/webhook'), OTHER_ROUTE],
    ['a matched route that is no webhook', req('/_console/queues', '/_console/queues'), undefined],
    ['an unmatched path that is no webhook', req('/nothing/here'), undefined],
  ])('%s', (_what, request, label) => {
    expect(webhookRouteLabel(request)).toBe(label);
  });
});
