import { STEP_CATALOG } from '../src/core/steps/step.decorator.js';
import { signEspoWebhook, signEspoWebhookLegacy } from '../src/core/webhook/espo-signature.js';
import { ESPO_WEBHOOK_ROUTES, webhookRouteName } from '../src/config/webhook-bindings.js';
import { AppConfig } from '../src/config/app-config.js';
import { ConfigValidationError } from '../src/config/env.schema.js';
import { postJson, startHub, type RunningHub } from './support/hub.js';
import { testEnv } from './support/test-env.js';

/**
 * Issue 16: each EspoCRM webhook (one per event) is bound to the route it was made
 * for, so a body signed for one route is refused on another; issue 14: EspoCRM
 * before 9.0 signs with `X-Signature` only.
 */
describe('EspoCRM webhooks bound to their routes', () => {
  const SECRETS = [
    'wh-doc-update:s3cret-update@document.update',
    'wh-doc-delete:s3cret-delete@document.delete',
    'wh-link:s3cret-link@entity.link+entity.unlink',
    'wh-old:s3cret-old',
  ].join(',');
  let hub: RunningHub;

  beforeAll(async () => {
    hub = await startHub(testEnv({}, { APP_ROLE: 'api', ESPOCRM_WEBHOOK_SECRETS: SECRETS }));
  });
  afterAll(async () => {
    await hub?.close();
  });

  /** What EspoCRM 9.x sends: both headers. */
  const espo9 = (id: string, secret: string, body: string) => ({
    Signature: signEspoWebhook(id, secret, body),
    'X-Signature': signEspoWebhookLegacy(id, secret, body),
  });
  const post = (route: string, body: string, headers: Record<string, string>) =>
    postJson(`${hub.url}/vmh/webhook/${route}`, body, headers);

  it('refuses a body signed for /document/update when replayed on /document/delete', async () => {
    const body = JSON.stringify([{ id: 'live-document-1' }]);
    const captured = espo9('wh-doc-update', 's3cret-update', body);
    const update = await post('document/update', body, captured);
    expect(update.status).toBe(200);
    const replayed = await post('document/delete', body, captured);
    expect(replayed.status).toBe(403);
    expect(((await replayed.json()) as { message: string }).message).toBe(
      'webhook wh-doc-update may not call document.delete',
    );
    expect((await post('beteiligte/delete', body, captured)).status).toBe(403);
    // The route's own webhook still gets in.
    expect(
      (await post('document/delete', body, espo9('wh-doc-delete', 's3cret-delete', body))).status,
    ).toBe(200);
  });

  it('accepts the legacy X-Signature alone (EspoCRM 8.x) on its route and refuses it elsewhere', async () => {
    const body = JSON.stringify([{ id: 'doc-from-espo-8' }]);
    const legacy = { 'X-Signature': signEspoWebhookLegacy('wh-doc-update', 's3cret-update', body) };
    expect((await post('document/update', body, legacy)).status).toBe(200);
    expect((await post('document/delete', body, legacy)).status).toBe(403);
    const wrong = { 'X-Signature': signEspoWebhookLegacy('wh-doc-update', 'guessed', body) };
    const refused = await post('document/update', body, wrong);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { message: string }).message).toBe(
      'webhook X-Signature mismatch',
    );
  });

  it('refuses a right Signature next to a wrong X-Signature', async () => {
    const body = JSON.stringify([{ id: 'doc-2' }]);
    const headers = {
      Signature: signEspoWebhook('wh-doc-update', 's3cret-update', body),
      'X-Signature': signEspoWebhookLegacy('wh-doc-update', 'guessed', body),
    };
    expect((await post('document/update', body, headers)).status).toBe(401);
  });

  it('lets a webhook bound to two routes call both, and an unbound id (outside production) every route', async () => {
    const link = JSON.stringify([
      { entityType: 'CBeteiligte', entityId: 'b1', foreignType: 'CDokumente', foreignId: 'd1' },
    ]);
    for (const route of ['entity/link', 'entity/unlink']) {
      expect((await post(route, link, espo9('wh-link', 's3cret-link', link))).status).toBe(200);
    }
    const body = JSON.stringify([{ id: 'p1' }]);
    expect((await post('entity/link', body, espo9('wh-link', 's3cret-link', body))).status).toBe(
      400,
    );
    expect(
      (await post('document/create', body, espo9('wh-link', 's3cret-link', body))).status,
    ).toBe(403);
    for (const route of ['beteiligte/create', 'document/delete', 'bankverbindungen/update']) {
      expect((await post(route, body, espo9('wh-old', 's3cret-old', body))).status).toBe(200);
    }
  });

  it('refuses more than 100 records in one signed body with the reason', async () => {
    const body = JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ id: `id${i}` })));
    const res = await post('document/update', body, espo9('wh-doc-update', 's3cret-update', body));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(
      'batch has 101 records; at most 100 are accepted',
    );
    const links = JSON.stringify(
      Array.from({ length: 101 }, (_, i) => ({
        entityType: 'CBeteiligte',
        entityId: `b${i}`,
        foreignType: 'CDokumente',
        foreignId: `d${i}`,
      })),
    );
    const refusedLinks = await post('entity/link', links, espo9('wh-link', 's3cret-link', links));
    expect(refusedLinks.status).toBe(400);
    expect(((await refusedLinks.json()) as { message: string }).message).toBe(
      'batch has 101 records; at most 100 are accepted',
    );
    const hundred = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: `id${i}` })));
    const ok = await post(
      'document/update',
      hundred,
      espo9('wh-doc-update', 's3cret-update', hundred),
    );
    expect(ok.status).toBe(200);
  });

  it('knows every webhook route the hub serves by name', () => {
    const served = STEP_CATALOG.flatMap((e) =>
      e.definition.trigger.type === 'http' && e.definition.trigger.path.startsWith('/vmh/webhook/')
        ? [webhookRouteName(e.definition.trigger.path)]
        : [],
    );
    expect([...served].sort()).toEqual([...ESPO_WEBHOOK_ROUTES].sort());
  });
});

describe('webhook route bindings in production', () => {
  const problemsOf = (secrets: string): string[] => {
    try {
      AppConfig.fromEnv(testEnv({}, { NODE_ENV: 'production', ESPOCRM_WEBHOOK_SECRETS: secrets }));
      return [];
    } catch (err) {
      if (err instanceof ConfigValidationError) return err.problems;
      throw err;
    }
  };

  it('refuses to start with an unbound webhook id, naming it and the fix', () => {
    const problems = problemsOf('wh-a:s3cret-a@document.update,wh-b:s3cret-b');
    const webhook = problems.filter((p) => p.startsWith('ESPOCRM_WEBHOOK_SECRETS'));
    expect(webhook).toHaveLength(1);
    expect(webhook[0]).toContain('entry 2 (wh-b) is bound to no route');
    expect(webhook[0]).toContain('wh-b:<secret>@<route>');
  });

  it('has no complaint about bound ids', () => {
    const problems = problemsOf('wh-a:s3cret-a@document.update,wh-b:s3cret-b@document.delete');
    expect(problems.filter((p) => p.startsWith('ESPOCRM_WEBHOOK_SECRETS'))).toEqual([]);
  });
});
