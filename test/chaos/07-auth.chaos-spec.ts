import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signEspoWebhook, signEspoWebhookLegacy } from '../../src/core/webhook/espo-signature.js';
import { TEST_SECRETS, testEnv } from '../support/test-env.js';
import { CHAOS_SECRETS, testSecretNeedles } from './support/chaos-stack.js';
import { reportFigures, scenarioDir, secondsSince } from './support/chaos-run.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startInProcessHub, type InProcessHub } from './support/scenario-kit.js';

/**
 * Scenario 7: nobody gets in who should not. Webhooks need a valid EspoCRM
 * signature (secrets configured), the console and the proxy their keys, and Swagger
 * and the queue dashboard can be switched off.
 */
const WEBHOOKS = [
  '/vmh/webhook/beteiligte/create',
  '/vmh/webhook/beteiligte/update',
  '/vmh/webhook/beteiligte/delete',
  '/vmh/webhook/bankverbindungen/create',
  '/vmh/webhook/bankverbindungen/update',
  '/vmh/webhook/bankverbindungen/delete',
  '/vmh/webhook/document/create',
  '/vmh/webhook/document/update',
  '/vmh/webhook/document/delete',
  '/vmh/webhook/entity/link',
  '/vmh/webhook/entity/unlink',
];
const CONSOLE = [
  ['GET', '/_console/functions'],
  ['GET', '/_console/queues'],
  ['GET', '/_console/queues/vmh-document/failed'],
  ['POST', '/_console/queues/vmh-document/failed/retry'],
  ['POST', '/_console/cron/trigger'],
  ['POST', '/_console/invoke'],
  ['GET', '/_console/sync/CBeteiligte/abc'],
  ['GET', '/_console/queues/ui'],
  ['GET', '/metrics'],
  ['POST', '/advoware/calendar/sync'],
] as const;

describe('scenario 7: auth', () => {
  const dir = scenarioDir('7-auth');
  const secrets = 'wh-beteiligte:s3cret-beteiligte-hook,wh-dokumente:s3cret-dokumente-hook';
  let hub: InProcessHub;
  let closed: InProcessHub;
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis({ password: CHAOS_SECRETS.REDIS_PASSWORD });
    const base = {
      APP_ROLE: 'api',
      ESPOCRM_WEBHOOK_SECRETS: secrets,
      REDIS_PORT: String(redis.port),
      REDIS_PASSWORD: CHAOS_SECRETS.REDIS_PASSWORD,
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
    };
    hub = await startInProcessHub(testEnv({}, base), dir, 'hub');
    closed = await startInProcessHub(
      testEnv({}, { ...base, SWAGGER_ENABLED: 'false', QUEUE_DASHBOARD_ENABLED: 'false' }),
      dir,
      'hub-closed',
    );
  });
  afterAll(async () => {
    writeFileSync(
      join(dir, 'needles.json'),
      JSON.stringify(
        testSecretNeedles([
          { name: 'webhook secret wh-beteiligte', value: 's3cret-beteiligte-hook' },
          { name: 'webhook secret wh-dokumente', value: 's3cret-dokumente-hook' },
        ]),
      ),
    );
    await hub?.close();
    await closed?.close();
    await redis?.stop();
  });

  it('refuses what it must and lets in what it may', async () => {
    const started = Date.now();
    const refused: string[] = [];
    const expectStatus = async (label: string, res: Promise<Response>, want: number) => {
      const r = await res;
      await r.arrayBuffer();
      if (r.status !== want) refused.push(`${label}: ${r.status} (want ${want})`);
    };
    const body = (route: string) =>
      route.includes('/entity/')
        ? JSON.stringify([
            {
              entityType: 'CVmhRaeumungsklage',
              entityId: 'abc',
              foreignType: 'CDokumente',
              foreignId: 'def',
            },
          ])
        : JSON.stringify([{ id: 'abc' }]);
    const post = (
      route: string,
      raw: string,
      signature?: string,
      extra: Record<string, string> = {},
    ) =>
      fetch(`${hub.url}${route}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(signature ? { Signature: signature } : {}),
          ...extra,
        },
        body: raw,
      });

    let webhookChecks = 0;
    for (const route of WEBHOOKS) {
      const raw = body(route);
      const good = signEspoWebhook('wh-beteiligte', 's3cret-beteiligte-hook', raw);
      const variants: Array<[string, string | undefined]> = [
        ['missing', undefined],
        ['garbage', 'not-a-signature'],
        ['wrong secret', signEspoWebhook('wh-beteiligte', 'guessed', raw)],
        ['unknown webhook', signEspoWebhook('wh-unknown', 's3cret-beteiligte-hook', raw)],
        ['other body', signEspoWebhook('wh-beteiligte', 's3cret-beteiligte-hook', `${raw} `)],
      ];
      for (const [label, sig] of variants) {
        webhookChecks += 1;
        await expectStatus(`${route} ${label}`, post(route, raw, sig), 401);
      }
      // A bare digest in X-Signature names no webhook: refused. EspoCRM's legacy form
      // (base64(webhookId + ":" + raw digest), all EspoCRM before 9.0 sends) is accepted
      // alone, and refused with a wrong secret.
      const bare = createHmac('sha256', 's3cret-beteiligte-hook').update(raw).digest();
      webhookChecks += 1;
      await expectStatus(
        `${route} bare digest in X-Signature`,
        post(route, raw, undefined, { 'X-Signature': bare.toString('base64') }),
        401,
      );
      webhookChecks += 1;
      await expectStatus(
        `${route} legacy X-Signature, wrong secret`,
        post(route, raw, undefined, {
          'X-Signature': signEspoWebhookLegacy('wh-beteiligte', 'guessed', raw),
        }),
        401,
      );
      webhookChecks += 1;
      await expectStatus(
        `${route} legacy X-Signature only (EspoCRM 8.x)`,
        post(route, raw, undefined, {
          'X-Signature': signEspoWebhookLegacy('wh-beteiligte', 's3cret-beteiligte-hook', raw),
        }),
        200,
      );
      webhookChecks += 1;
      await expectStatus(`${route} signed`, post(route, raw, good), 200);
    }

    let keyChecks = 0;
    for (const [method, path] of CONSOLE) {
      for (const key of [
        undefined,
        '',
        'wrong-key',
        `${TEST_SECRETS.OPS_API_KEY}x`,
        TEST_SECRETS.PROXY_API_KEYS.split(',')[0],
      ]) {
        keyChecks += 1;
        await expectStatus(
          `${method} ${path} key=${key === undefined ? 'none' : 'wrong'}`,
          fetch(`${hub.url}${path}`, {
            method,
            headers: {
              'Content-Type': 'application/json',
              ...(key !== undefined ? { 'X-Api-Key': key } : {}),
            },
            body: method === 'POST' ? '{}' : undefined,
          }),
          401,
        );
      }
    }
    for (const key of [undefined, 'wrong-key', TEST_SECRETS.OPS_API_KEY]) {
      keyChecks += 1;
      await expectStatus(
        `proxy key=${key ?? 'none'}`,
        fetch(`${hub.url}/advoware/proxy?endpoint=api/v1/advonet/Mitarbeiter`, {
          headers: key ? { 'X-Api-Key': key } : {},
        }),
        401,
      );
    }
    await expectStatus('console with the key', hub.ops('/_console/functions'), 200);
    await expectStatus('swagger on', fetch(`${hub.url}/api/docs`), 200);
    await expectStatus('swagger off', fetch(`${closed.url}/api/docs`), 404);
    await expectStatus('openapi off', fetch(`${closed.url}/api/docs-json`), 404);
    await expectStatus('dashboard off', closed.ops('/_console/queues/ui'), 404);

    expect(refused).toEqual([]);
    reportFigures({
      n: 7,
      title: 'Auth',
      figures: [
        ['webhook signature checks', webhookChecks],
        ['key checks (console, metrics, calendar trigger, proxy)', keyChecks],
        ['wrong answers', refused.length],
        ['Swagger/dashboard off', '404'],
      ],
      seconds: secondsSince(started),
    });
  });
});
