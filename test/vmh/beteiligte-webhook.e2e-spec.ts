import { signEspoWebhook } from '../../src/core/webhook/espo-signature.js';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { postJson, startHub, type RunningHub } from '../support/hub.js';
import { testEnv } from '../support/test-env.js';

describe('VMH Beteiligte webhooks with signatures configured', () => {
  let espo: EspoCrmFake;
  let hub: RunningHub;

  beforeAll(async () => {
    espo = await startEspoCrmFake();
    hub = await startHub(
      testEnv(
        { espocrm: espo.apiUrl },
        { ESPOCRM_WEBHOOK_SECRETS: 'wh-beteiligte:s3cret-beteiligte' },
      ),
    );
  });

  afterAll(async () => {
    await hub?.close();
    await espo?.close();
  });

  it.each(['create', 'update', 'delete'])(
    'refuses an unsigned or wrongly signed %s webhook and accepts a signed one',
    async (action) => {
      const url = `${hub.url}/vmh/webhook/beteiligte/${action}`;
      const body = JSON.stringify([{ id: `gone-${action}` }]);
      expect((await postJson(url, body)).status).toBe(401);
      expect(
        (await postJson(url, body, { Signature: signEspoWebhook('wh-beteiligte', 'wrong', body) }))
          .status,
      ).toBe(401);
      const ok = await postJson(url, body, {
        Signature: signEspoWebhook('wh-beteiligte', 's3cret-beteiligte', body),
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        status: 'received',
        action: `vmh.beteiligte.${action}`,
        new_ids_count: 1,
        total_ids_in_batch: 1,
      });
    },
  );
});
