/**
 * The Redis scripts behind JobProducer's coalescing enqueue.
 *
 * A claim holds its time and the id of the job it announces (`<ms>|<jobId>`). A claim
 * younger than the grace stands without further checks: its job is being added or
 * waits out its debounce (the worker frees the key when the job starts, so a standing
 * key never outlives a started job). An older claim stands while its job exists and
 * has not finished; a claim without a job is stale (Redis failed between a claim and
 * its add) and must not swallow the sender's retry of a batch that was answered 503.
 */
const CLAIM_STANDS = `
local function claimStands(holder, now, grace, jobPrefix)
  if not holder then return false end
  local sep = string.find(holder, '|', 1, true)
  if not sep then return true end
  if now - tonumber(string.sub(holder, 1, sep - 1)) < grace then return true end
  local job = jobPrefix .. string.sub(holder, sep + 1)
  return redis.call('hexists', job, 'finishedOn') == 0 and redis.call('exists', job) == 1
end
local t = redis.call('time')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
`;

/**
 * Claims each free dedupe key and answers which ones it claimed; the jobs are added
 * afterwards with Bull's own `add` (jobs that run at once: Bull decides between the
 * wait and the paused list).
 * KEYS: dedupe keys; ARGV: TTL s, grace ms, the queue's job key prefix, a job id per key.
 */
export const CLAIM_KEYS = `${CLAIM_STANDS}
local out = {}
for i, key in ipairs(KEYS) do
  if claimStands(redis.call('get', key), now, tonumber(ARGV[2]), ARGV[3]) then
    out[i] = 0
  else
    redis.call('set', key, now .. '|' .. ARGV[3 + i], 'EX', ARGV[1])
    out[i] = 1
  end
end
return out
`;

/**
 * Claims each free dedupe key and stores its delayed job in the same script: one
 * round trip for a whole webhook batch, and no claim is ever without its job (the
 * job is written first). Bull's `addBulk` costs a Job object, a msgpack'd options
 * buffer and a script call per job inside a MULTI; on the webhook path that was
 * most of the hub's CPU per request (issue 18: intake 0.33-0.47x of plain NestJS).
 *
 * The job is written exactly as Bull 4's addJob-6.lua writes a delayed job with a
 * custom id and no priority: the hash (name, data, opts, timestamp, delay,
 * priority), `INCR <prefix>id`, `ZADD <prefix>delayed (timestamp + delay) * 0x1000
 * + (counter & 0xfff) jobId`, and `PUBLISH <prefix>delayed <due>` so the workers'
 * delay timers wake up (once per batch: every job of it is due at the same time).
 * An existing job id is left alone, as Bull does. test/core/delayed-enqueue.e2e-spec.ts
 * compares this with `queue.add` on real Redis; it fails if a Bull upgrade changes
 * the format.
 *
 * KEYS: delayed zset, id counter, then the dedupe keys.
 * ARGV: TTL s, grace ms, job key prefix, job name, timestamp ms, delay ms, then per
 * dedupe key its job id, data JSON and options JSON.
 */
export const CLAIM_AND_ADD_DELAYED = `${CLAIM_STANDS}
local grace = tonumber(ARGV[2])
local prefix = ARGV[3]
local due = tonumber(ARGV[5]) + tonumber(ARGV[6])
local out = {}
local added = 0
for i = 3, #KEYS do
  local key = KEYS[i]
  if claimStands(redis.call('get', key), now, grace, prefix) then
    out[i - 2] = 0
  else
    local arg = 6 + (i - 3) * 3
    local jobId = ARGV[arg + 1]
    local jobKey = prefix .. jobId
    if redis.call('exists', jobKey) == 0 then
      local counter = redis.call('incr', KEYS[2])
      redis.call('hset', jobKey, 'name', ARGV[4], 'data', ARGV[arg + 2], 'opts', ARGV[arg + 3],
        'timestamp', ARGV[5], 'delay', ARGV[6], 'priority', '0')
      redis.call('zadd', KEYS[1], due * 0x1000 + bit.band(counter, 0xfff), jobId)
      added = added + 1
    end
    redis.call('set', key, now .. '|' .. jobId, 'EX', ARGV[1])
    out[i - 2] = 1
  end
end
if added > 0 then redis.call('publish', KEYS[1], due) end
return out
`;

/** A job for CLAIM_AND_ADD_DELAYED: its dedupe key, its id and its payload. */
export interface DelayedJob {
  dedupeKey: string;
  jobId: string;
  data: object;
}

/**
 * The arguments of CLAIM_AND_ADD_DELAYED (after the key count). The options are
 * what Bull's `add` stores for the queue's defaults plus `{ delay, jobId }`: the
 * defaults, then delay, jobId and timestamp, in that order (Job's setDefaultOpts).
 */
export function claimAndAddDelayedArgs(input: {
  delayedKey: string;
  idKey: string;
  jobKeyPrefix: string;
  ttlSeconds: number;
  graceMs: number;
  name: string;
  timestamp: number;
  delayMs: number;
  defaults: object;
  jobs: DelayedJob[];
}): { numKeys: number; args: Array<string | number> } {
  const { jobs, timestamp, delayMs, defaults } = input;
  const keys: string[] = [input.delayedKey, input.idKey];
  const args: Array<string | number> = [
    input.ttlSeconds,
    input.graceMs,
    input.jobKeyPrefix,
    input.name,
    timestamp,
    delayMs,
  ];
  for (const job of jobs) {
    keys.push(job.dedupeKey);
    const opts = { ...defaults, delay: delayMs, jobId: job.jobId, timestamp };
    args.push(job.jobId, JSON.stringify(job.data), JSON.stringify(opts));
  }
  return { numKeys: keys.length, args: [...keys, ...args] };
}
