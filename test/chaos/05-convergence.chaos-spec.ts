import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CBeteiligte, EspoRecord } from '../../src/integrations/espocrm/espocrm.types.js';
import { BeteiligteSyncCron } from '../../src/vmh/beteiligte/beteiligte-sync.cron.js';
import { advowareMasterData, espoMasterData } from '../../src/vmh/beteiligte/beteiligte.mapper.js';
import type { LoggedRequest } from '../fakes/common/fake-server.js';
import {
  CHAOS_SECRETS,
  chaosEnv,
  postSigned,
  secretNeedles,
  startChaosStack,
  type ChaosStack,
} from './support/chaos-stack.js';
import { reportFigures, scenarioDir, secondsSince } from './support/chaos-run.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import {
  drained,
  seedBeteiligte,
  sleep,
  startInProcessHub,
  until,
  type InProcessHub,
} from './support/scenario-kit.js';

/**
 * Scenario 5: a seeded random mix of edits of the same field (the surname) on both
 * sides, in 8 rounds of 30. EspoCRM edits announce themselves by webhook — delivered
 * once, twice, late (in a later round), shuffled, or never (dropped); Advoware edits
 * send nothing, as in production. A round's webhooks go out after its edits, as
 * EspoCRM's webhook job sends them. At the end the periodic check runs: now (it picks up `dirty` parties whose
 * webhook was dropped) and once more as a day later (the re-check of clean parties that
 * finds changes made only in Advoware). Then, under DOMAIN.md's policy:
 * - both sides hold the same master data, every party `clean` or `conflict`;
 * - the surname is the last value written on one of the two sides;
 * - no EspoCRM edit was overwritten by the hub (EspoCRM is the master);
 * - every Advoware edit the hub overwrote without ever bringing it to EspoCRM — a
 *   conflict EspoCRM won — is recorded: a notification of its own to the assigned user.
 * Every value written is unique, so the fakes' request logs tell where each one went.
 * `CHAOS_SEED=<n>` replays a run; the seed is printed with the figures and on failure.
 */
const PARTIES = 24;
const OPERATIONS = 240;
const ROUNDS = 8;
const SEED = Number(process.env.CHAOS_SEED ?? randomInt(1, 2 ** 31));
/**
 * `CHAOS_S5_OVERLAP=1` lets a round's edits meet the previous round's syncs of the same
 * party. That reproduces a known race the EspoCRM API cannot close (no conditional
 * update): a user edit that lands between the hub's read and its write-back is masked
 * by `clean` or overwritten. Off by default, as EspoCRM sends its webhooks in batches
 * after the edits.
 */
const OVERLAP = process.env.CHAOS_S5_OVERLAP === '1';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

interface Edit {
  side: 'espocrm' | 'advoware';
  token: string;
  at: number;
}

describe(`scenario 5: convergence under a random mix of edits and webhooks (seed ${SEED})`, () => {
  const dir = scenarioDir('5-convergence');
  let stack: ChaosStack;
  let redis: PrivateRedis;
  let hub: InProcessHub;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    stack = await startChaosStack({ logBodies: true });
    redis = await startPrivateRedis({ password: CHAOS_SECRETS.REDIS_PASSWORD });
    env = chaosEnv(
      stack,
      { port: redis.port, password: CHAOS_SECRETS.REDIS_PASSWORD },
      { LOG_LEVEL: 'log' },
    );
    hub = await startInProcessHub(env, dir, 'hub');
  });

  afterAll(async () => {
    writeFileSync(join(dir, 'needles.json'), JSON.stringify(secretNeedles(stack)));
    await hub?.close();
    await redis?.stop();
    await stack?.close();
  });

  it('ends with both sides equal, no EspoCRM edit lost and every conflict recorded', async () => {
    const started = Date.now();
    const random = rng(SEED);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const { espocrm, advoware } = stack;
    // Persons only (every third seeded party is a company): the surname is the field both sides edit.
    const seeded = seedBeteiligte(espocrm, (PARTIES * 3) / 2, 's5');
    seeded.filter((_, i) => i % 3 === 0).forEach((id) => espocrm.remove('CBeteiligte', id));
    const ids = seeded.filter((_, i) => i % 3 !== 0);
    const party = (id: string) => espocrm.get<CBeteiligte>('CBeteiligte', id)!;
    const hook = (id: string) =>
      postSigned(`${hub.url}/vmh/webhook/beteiligte/update`, [{ id }]).then((r) => r.status);

    expect(
      (
        await postSigned(
          `${hub.url}/vmh/webhook/beteiligte/create`,
          ids.map((id) => ({ id })),
        )
      ).status,
    ).toBe(200);
    await until(() => ids.every((id) => party(id).syncStatus === 'clean'), 'every party created', {
      timeoutMs: 30_000,
    });
    espocrm.clearLog();
    advoware.clearLog();

    const edits = new Map<string, Edit[]>(ids.map((id) => [id, []]));
    const late: string[] = [];
    const delivered: string[] = [];
    const fates = { once: 0, twice: 0, late: 0, dropped: 0, redelivered: 0 };
    let op = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Edits first, as people make them; EspoCRM's webhook job sends the batch afterwards.
      const deliveries: string[] = [];
      for (let i = 0; i < OPERATIONS / ROUNDS; i++, op++) {
        const id = pick(ids);
        const roll = random();
        if (roll < 0.45) {
          const token = `E${op}x${SEED % 997}`;
          const p = party(id);
          espocrm.patch('CBeteiligte', id, {
            lastName: token,
            name: `${p.firstName} ${token}`,
            syncStatus: 'dirty',
          });
          edits.get(id)!.push({ side: 'espocrm', token, at: Date.now() });
          const fate = random();
          if (fate < 0.55) {
            fates.once += 1;
            deliveries.push(id);
          } else if (fate < 0.7) {
            fates.twice += 1;
            deliveries.push(id, id);
          } else if (fate < 0.85) {
            fates.late += 1;
            late.push(id);
          } else {
            fates.dropped += 1;
          }
        } else if (roll < 0.8) {
          const token = `A${op}x${SEED % 997}`;
          advoware.putBeteiligte(party(id).betnr as number, { name: token });
          edits.get(id)!.push({ side: 'advoware', token, at: Date.now() });
        } else if (delivered.length > 0 || late.length > 0) {
          // A late delivery of an earlier round's event, or one delivered again.
          fates.redelivered += 1;
          const fromLate = late.length > 0 && (delivered.length === 0 || random() < 0.5);
          deliveries.push(
            fromLate ? late.splice(Math.floor(random() * late.length), 1)[0] : pick(delivered),
          );
        }
        await sleep(Math.floor(random() * 5));
      }
      // Reordered, and partly at the same time.
      deliveries.sort(() => random() - 0.5);
      for (let i = 0; i < deliveries.length; i += 3) {
        const statuses = await Promise.all(deliveries.slice(i, i + 3).map(hook));
        expect(statuses).toEqual(statuses.map(() => 200));
      }
      delivered.push(...deliveries);
      if (!OVERLAP)
        await drained(redis.client, env.QUEUE_PREFIX!, `round ${round} to be processed`, 60_000);
    }
    for (const id of late) expect(await hook(id)).toBe(200);
    await drained(redis.client, env.QUEUE_PREFIX!, 'the webhooks to be processed', 60_000);

    // The periodic check: now (dropped webhooks leave parties `dirty`), then as if a
    // day had passed (the re-check of clean parties, the only way an Advoware-only
    // change reaches EspoCRM), then once more now.
    const trigger = await hub.ops('/_console/cron/trigger', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'vmh-beteiligte-sync-check' }),
    });
    expect(trigger.status).toBe(202);
    await drained(redis.client, env.QUEUE_PREFIX!, 'the check to be processed', 60_000);
    const dayLater = await hub.app
      .get(BeteiligteSyncCron)
      .tick(new Date(Date.now() + 25 * 3_600_000), `chaos-seed-${SEED}-day-later`);
    await drained(redis.client, env.QUEUE_PREFIX!, 'the re-check to be processed', 60_000);
    await hub.ops('/_console/cron/trigger', {
      method: 'POST',
      body: JSON.stringify({ function_id: 'vmh-beteiligte-sync-check' }),
    });
    await drained(redis.client, env.QUEUE_PREFIX!, 'the last check to be processed', 60_000);

    // What the hub wrote where, from the fakes' request logs (bodies kept).
    const puts = (log: LoggedRequest[], path: string, field: string) =>
      log
        .filter((r) => r.method === 'PUT' && r.path === path && r.status < 400)
        .map((r) => ({ at: r.at, value: (r.body as Record<string, unknown> | undefined)?.[field] }))
        .filter((w): w is { at: number; value: string } => typeof w.value === 'string');
    const notifications = espocrm.records<EspoRecord>('Notification');

    const problems: string[] = [];
    let conflictsResolved = 0;
    let conflictsRecorded = 0;
    for (const id of ids) {
      const p = party(id);
      const adv = advoware.beteiligte(p.betnr as number)!;
      const history = edits.get(id)!;
      const lastOf = (side: Edit['side']) => history.filter((e) => e.side === side).at(-1);
      const toAdvoware = puts(advoware.requests, `/api/v1/advonet/Beteiligte/${p.betnr}`, 'name');
      const toEspo = puts(espocrm.requests, `/api/v1/CBeteiligte/${id}`, 'lastName');
      const recorded = notifications.filter(
        (n) => n.relatedId === id && String(n.message ?? '').includes('Konflikt'),
      );

      if (JSON.stringify(espoMasterData(p)) !== JSON.stringify(advowareMasterData(adv)))
        problems.push(`${id}: EspoCRM ${p.lastName} ≠ Advoware ${adv.name} (${p.syncStatus})`);
      if (p.syncStatus !== 'clean' && p.syncStatus !== 'conflict')
        problems.push(`${id}: ends ${p.syncStatus} (${p.syncErrorMessage ?? ''})`);
      const finals = [lastOf('espocrm')?.token, lastOf('advoware')?.token].filter(Boolean);
      if (finals.length > 0 && !finals.includes(p.lastName as string))
        problems.push(
          `${id}: ends ${p.lastName}, not the last value of either side (${finals.join(', ')})`,
        );

      // Each hub write replaced what was on that side: a user's edit made since the
      // hub last wrote there, unless the value had already crossed over.
      const overwritten = (side: Edit['side'], at: number, since: number) =>
        history.filter((e) => e.side === side && e.at < at && e.at > since).at(-1);
      // Each conflict needs a notification of its own: the run that overwrote the Advoware
      // edit notifies after its write, so a notification counts for the earliest conflict
      // it can belong to (made at or after the lost edit, before the party's next
      // Advoware write) and is then used up.
      const noticeTimes = recorded
        .map((n) => Date.parse(`${String(n.createdAt).replace(' ', 'T')}Z`))
        .sort((a, b) => a - b);
      const used = new Set<number>();
      let lastAdvWrite = 0;
      for (const [wi, w] of toAdvoware.entries()) {
        const gone = overwritten('advoware', w.at, lastAdvWrite);
        lastAdvWrite = w.at;
        if (!gone || gone.token === w.value) continue;
        if (toEspo.some((e) => e.value === gone.token && e.at <= w.at)) continue;
        conflictsResolved += 1;
        const from = Math.floor(gone.at / 1000) * 1000;
        const next = toAdvoware[wi + 1]?.at;
        const until = next === undefined ? Infinity : Math.ceil(next / 1000) * 1000;
        const notice = noticeTimes.findIndex((t, i) => !used.has(i) && t >= from && t <= until);
        if (notice >= 0) {
          used.add(notice);
          conflictsRecorded += 1;
        } else
          problems.push(
            `${id}: Advoware's ${gone.token} overwritten by ${w.value} without a conflict notification of its own`,
          );
      }
      let lastEspoWrite = 0;
      for (const w of toEspo) {
        const gone = overwritten('espocrm', w.at, lastEspoWrite);
        lastEspoWrite = w.at;
        if (!gone || gone.token === w.value) continue;
        if (toAdvoware.some((a) => a.value === gone.token && a.at <= w.at)) continue;
        problems.push(
          `${id}: EspoCRM's ${gone.token} overwritten by ${w.value} (EspoCRM is the master)`,
        );
      }
    }

    const statuses = ids.map((id) => party(id).syncStatus);
    reportFigures({
      n: 5,
      title: `Convergence (seed ${SEED})`,
      figures: [
        ['parties', PARTIES],
        ['EspoCRM edits', [...edits.values()].flat().filter((e) => e.side === 'espocrm').length],
        ['Advoware edits', [...edits.values()].flat().filter((e) => e.side === 'advoware').length],
        [
          'webhooks once/twice/late/dropped/redelivered',
          `${fates.once}/${fates.twice}/${fates.late}/${fates.dropped}/${fates.redelivered}`,
        ],
        ['re-check a day later', `${dayLater.selected} selected`],
        [
          'ending clean/conflict',
          `${statuses.filter((s) => s === 'clean').length}/${statuses.filter((s) => s === 'conflict').length}`,
        ],
        ['conflicts EspoCRM won', conflictsResolved],
        ['recorded', conflictsRecorded],
        ['problems', problems.length],
      ],
      seconds: secondsSince(started),
    });
    if (problems.length > 0)
      process.stdout.write(
        `\nscenario 5 failed with CHAOS_SEED=${SEED}:\n  ${problems.join('\n  ')}\n`,
      );
    expect({ seed: SEED, problems }).toEqual({ seed: SEED, problems: [] });
  });
});
