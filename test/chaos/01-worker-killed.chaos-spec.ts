import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CBeteiligte, CDokumente } from '../../src/integrations/espocrm/espocrm.types.js';
import {
  CHAOS_SECRETS,
  chaosEnv,
  postSigned,
  secretNeedles,
  startChaosStack,
  type ChaosStack,
} from './support/chaos-stack.js';
import { reportFigures, scenarioDir, secondsSince } from './support/chaos-run.js';
import { startHubProcess, type HubProcess } from './support/hub-process.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import {
  drained,
  queueState,
  seedBeteiligte,
  seedDocuments,
  startInProcessHub,
  until,
  type InProcessHub,
} from './support/scenario-kit.js';

/**
 * Scenario 1: hub workers are child processes; one is `kill -9`ed while 1,000
 * Beteiligte creates (and the document storm of one collection) drain, then started
 * again. No job may be lost and no create may happen twice: Bull's stalled-job check
 * hands the killed worker's jobs to a live one, the 3 s lock TTL frees its entity
 * locks, the pending check recovers events deferred behind them, and a retried create
 * finds its party by `externeId` instead of creating a second one.
 */
const PARTIES = 1000;
const DOCUMENTS = 300;

describe('scenario 1: a worker killed while draining 1,000 entity syncs', () => {
  const dir = scenarioDir('1-worker-killed');
  let stack: ChaosStack;
  let redis: PrivateRedis;
  let api: InProcessHub;
  let env: Record<string, string | undefined>;
  const workers: HubProcess[] = [];

  beforeAll(async () => {
    stack = await startChaosStack();
    redis = await startPrivateRedis({ password: CHAOS_SECRETS.REDIS_PASSWORD });
    env = chaosEnv(stack, { port: redis.port, password: CHAOS_SECRETS.REDIS_PASSWORD });
    api = await startInProcessHub({ ...env, APP_ROLE: 'api' }, dir, 'api');
    for (const label of ['worker-a', 'worker-b'])
      workers.push(await startHubProcess({ ...env, APP_ROLE: 'worker' }, { label, logDir: dir }));
  });

  afterAll(async () => {
    writeFileSync(
      join(dir, 'needles.json'),
      JSON.stringify([
        ...secretNeedles(stack),
        ...stack.advoware.liveTokens().map((value) => ({ name: 'Advoware access token', value })),
      ]),
    );
    await Promise.allSettled(workers.map((w) => w.stop()));
    await api?.close();
    await redis?.stop();
    await stack?.close();
  });

  it('ends every entity clean or synced, with no duplicate create and nothing lost, after kill -9 and a restart', async () => {
    const started = Date.now();
    const { espocrm, advoware, xai } = stack;
    const parties = seedBeteiligte(espocrm, PARTIES, 's1');
    const { klage, docs } = seedDocuments(espocrm, DOCUMENTS, 's1');
    const party = (id: string) => espocrm.get<CBeteiligte>('CBeteiligte', id)!;
    const doc = (id: string) => espocrm.get<CDokumente>('CDokumente', id)!;
    const cleanCount = () => parties.filter((id) => party(id).syncStatus === 'clean').length;
    const syncedCount = () => docs.filter((id) => doc(id).fileStatus === 'synced').length;

    // The link events in EspoCRM's batches of up to 50 (the hub refuses more than 100).
    for (let i = 0; i < docs.length; i += 50) {
      const link = await postSigned(
        `${api.url}/vmh/webhook/entity/link`,
        docs.slice(i, i + 50).map((foreignId) => ({
          entityType: 'CVmhRaeumungsklage',
          entityId: klage,
          foreignType: 'CDokumente',
          foreignId,
        })),
      );
      expect(link.status).toBe(200);
    }
    // EspoCRM delivers batches of up to 50, and sometimes the same batch twice.
    for (let i = 0; i < parties.length; i += 50) {
      const batch = parties.slice(i, i + 50).map((id) => ({ id }));
      for (let copy = 0; copy < 2; copy++) {
        const res = await postSigned(`${api.url}/vmh/webhook/beteiligte/create`, batch);
        expect(res.status).toBe(200);
      }
    }

    // Killed while both kinds are in full flow.
    await until(
      () => syncedCount() >= DOCUMENTS * 0.3 && cleanCount() >= PARTIES * 0.2,
      'a third of the documents and a fifth of the parties to be done',
      { timeoutMs: 120_000, intervalMs: 20 },
    );
    const atKill = {
      clean: cleanCount(),
      synced: syncedCount(),
      queues: await queueState(redis.client, env.QUEUE_PREFIX!),
    };
    const victim = workers[0];
    await victim.kill('SIGKILL');
    expect(victim.exitSignal).toBe('SIGKILL');
    const killedAt = Date.now();
    workers[0] = await startHubProcess(
      { ...env, APP_ROLE: 'worker' },
      { label: 'worker-a-restarted', logDir: dir },
    );

    const allDone = () =>
      cleanCount() === PARTIES && docs.every((id) => doc(id).fileStatus === 'synced');
    await drained(
      redis.client,
      env.QUEUE_PREFIX!,
      'every party clean and every document synced',
      150_000,
      allDone,
    );
    const recoverySeconds = secondsSince(killedAt);

    const all = parties.map(party);
    const lost = all.filter((p) => p.syncStatus !== 'clean' || typeof p.betnr !== 'number');
    const byExterneId = new Map<string, number>();
    for (const b of advoware.allBeteiligte())
      byExterneId.set(String(b.externeId), (byExterneId.get(String(b.externeId)) ?? 0) + 1);
    const duplicateParties = [...byExterneId.values()].filter((n) => n > 1).length;
    const mislinked = all.filter((p) => advoware.beteiligte(p.betnr as number)?.externeId !== p.id);

    const collectionId = espocrm.get('CVmhRaeumungsklage', klage)?.xaiCollectionId as string;
    const collections = xai.collections().filter((c) => c.collection_description?.includes(klage));
    const members = xai.members(collectionId);
    const memberOf = new Map<string, number>();
    for (const d of xai.documents(collectionId)) {
      const owner =
        Object.values(d.fields ?? {}).find((v) => docs.includes(v)) ?? d.file_metadata.file_id;
      memberOf.set(owner, (memberOf.get(owner) ?? 0) + 1);
    }
    const duplicateMemberships = [...memberOf.values()].filter((n) => n > 1).length;
    const docsNotMember = docs.filter((id) => !members.includes(doc(id).xaiId as string));

    reportFigures({
      n: 1,
      title: 'Worker killed (kill -9 mid-drain, restarted)',
      figures: [
        ['entities', `${PARTIES} parties + ${DOCUMENTS} documents`],
        [
          'killed at',
          `${atKill.clean} parties clean, ${atKill.synced} documents synced, ${atKill.queues.active} jobs active`,
        ],
        ['clean', all.length - lost.length],
        ['synced documents', docs.length - docsNotMember.length],
        ['lost', lost.length + docsNotMember.length],
        ['duplicate parties', duplicateParties],
        ['duplicate memberships', duplicateMemberships],
        ['collections', collections.length],
        ['uploads', `${xai.uploadCount} for ${DOCUMENTS} files`],
        ['converged after kill', `${recoverySeconds.toFixed(1)} s`],
      ],
      seconds: secondsSince(started),
    });

    expect(lost.map((p) => `${p.id}:${p.syncStatus}`)).toEqual([]);
    expect(mislinked.map((p) => p.id)).toEqual([]);
    expect(advoware.allBeteiligte()).toHaveLength(PARTIES);
    expect(duplicateParties).toBe(0);
    expect(collections).toHaveLength(1);
    expect(docsNotMember).toEqual([]);
    expect(members).toHaveLength(DOCUMENTS);
    expect(duplicateMemberships).toBe(0);
    expect((await queueState(redis.client, env.QUEUE_PREFIX!)).failed).toBe(0);
  });
});
