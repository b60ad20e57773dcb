import type { CBeteiligte } from '../../src/integrations/espocrm/espocrm.types.js';
import { startAdvowareFake, type AdvowareFake } from '../fakes/advoware/advoware.fake.js';
import { startEspoCrmFake, type EspoCrmFake } from '../fakes/espocrm/espocrm.fake.js';
import { postJson, startHub, waitFor, type RunningHub } from '../support/hub.js';
import { testEnv } from '../support/test-env.js';

interface FailedJob {
  id: string;
  failedReason: string;
  data: { entityId: string };
}

/** The operator's path (issue 9): find a failed sync, read the cause, fix it, retry, see clean. */
describe('a failed Beteiligte sync repaired from the console', () => {
  let espo: EspoCrmFake;
  let adv: AdvowareFake;
  let hub: RunningHub;

  beforeAll(async () => {
    espo = await startEspoCrmFake();
    adv = await startAdvowareFake();
    hub = await startHub(
      testEnv(
        { espocrm: espo.apiUrl, advoware: adv.url, advowareAuth: `${adv.url}/api/v1/Token` },
        { JOB_ATTEMPTS: '2', VMH_BETEILIGTE_SYNC_CRON: '0 0 0 1 1 *' },
      ),
    );
  });
  afterAll(async () => {
    await hub.close();
    await espo.close();
    await adv.close();
  });

  it('retries the dead letter at once although its next retry time lies ahead, and ends clean', async () => {
    adv.setFaults([{ route: 'POST /api/v1/advonet/Beteiligte', status: 503 }]);
    const party = espo.put<CBeteiligte>('CBeteiligte', {
      name: 'Klara Fall',
      firstName: 'Klara',
      lastName: 'Fall',
      rechtsform: 'Natürliche Person',
      syncStatus: 'pending_sync',
    });
    expect(
      (await postJson(`${hub.url}/vmh/webhook/beteiligte/create`, [{ id: party.id }])).status,
    ).toBe(200);

    const dead = await waitFor(
      async () => {
        const body = (await (await hub.ops('/_console/queues/vmh-beteiligte/failed')).json()) as {
          jobs: FailedJob[];
        };
        return body.jobs.find((j) => j.data.entityId === party.id);
      },
      { what: 'the dead letter' },
    );
    expect(dead.failedReason).toContain('503');
    const before = (await (await hub.ops(`/_console/sync/CBeteiligte/${party.id}`)).json()) as {
      sync: { syncStatus: string; syncNextRetry: string; syncErrorMessage: string };
    };
    expect(before.sync.syncStatus).toBe('failed');
    expect(before.sync.syncErrorMessage).toContain('503');
    expect(new Date(`${before.sync.syncNextRetry}Z`).getTime()).toBeGreaterThan(Date.now());

    adv.setFaults([]);
    expect(
      (await hub.ops(`/_console/queues/vmh-beteiligte/jobs/${dead.id}/retry`, { method: 'POST' }))
        .status,
    ).toBe(201);
    await waitFor(() => espo.get<CBeteiligte>('CBeteiligte', party.id)?.syncStatus === 'clean', {
      what: 'the party to be clean after the retry',
    });
    const after = (await (await hub.ops(`/_console/sync/CBeteiligte/${party.id}`)).json()) as {
      sync: { syncStatus: string; betnr: number };
      jobs: { failed: unknown[] };
    };
    expect(after.sync.betnr).toBeGreaterThan(0);
    expect(after.jobs.failed).toHaveLength(0);
  });
});
