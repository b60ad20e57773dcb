import type { JobView } from './queue-console.service.js';
import type { ConsoleOverview, StepView } from './console-overview.service.js';
import { CONSOLE_PAGE_SCRIPT } from './console-page.client.js';
import { utcToBerlin } from '../core/time/berlin-time.js';

/** Everything the console page renders goes through here: no other HTML escaping anywhere. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `2026-12-04 16:00:00` in Europe/Berlin, the firm's time. */
export function berlinTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  const { date, time } = utcToBerlin(ms);
  return `${date} ${time}`;
}

function triggerLine(s: StepView): string {
  const t = s.trigger;
  if (t.type === 'http')
    return `<span class="kind">HTTP</span> <code>${esc(t.method)} ${esc(t.path)}</code>`;
  if (t.type === 'cron') {
    const next = s.nextRun
      ? `<span class="next">next run <time datetime="${esc(s.nextRun.iso)}">${esc(s.nextRun.berlin)}</time> Berlin</span>`
      : '';
    return `<span class="kind">Cron</span> <code>${esc(t.expression)}</code> ${next}`;
  }
  return `<span class="kind">Queue</span> ${t.topics.map((x) => `<code>${esc(x)}</code>`).join(' ')}`;
}

function countsBlock(s: StepView): string {
  if (!s.counts) return '';
  const c = s.counts;
  const cell = (label: string, n: number, cls: string) =>
    `<div class="count ${cls}${n > 0 ? ' nonzero' : ''}"><dt>${label}</dt><dd data-count="${cls}">${n}</dd></div>`;
  const scope =
    c.scope === 'queue'
      ? `<p class="meta">waiting and active: the whole queue <code>${esc(s.jobs?.queue)}</code></p>`
      : '';
  return `${scope}<dl class="counts" title="queue ${esc(s.jobs?.queue)}">${[
    cell('waiting', c.waiting, 'waiting'),
    cell('active', c.active, 'active'),
    cell('done 1h', c.completedLastHour, 'completed'),
    cell('failed 1h', c.failedLastHour, 'failed'),
  ].join('')}</dl>`;
}

function lastErrorBlock(s: StepView): string {
  const e = s.lastError;
  if (!e) return '';
  return `<div class="last-error"><strong>Last error</strong> <time>${esc(berlinTime(e.at))}</time>
<span class="reason">${esc(e.reason)}</span>
<span class="meta">trace <code>${esc(e.traceId ?? '–')}</code> · job <code>${esc(e.jobId)}</code></span></div>`;
}

export function renderStep(s: StepView): string {
  const run =
    s.trigger.type === 'cron'
      ? `<button type="button" data-action="run" data-function-id="${esc(s.function_id)}">Run now</button>`
      : '';
  const enqueues = s.enqueues.length
    ? `<div class="enqueues">enqueues → ${s.enqueues.map((t) => `<code>${esc(t)}</code>`).join(' ')}</div>`
    : '';
  return `<article class="step step-${esc(s.trigger.type)}" data-function-id="${esc(s.function_id)}">
<div class="trigger">${triggerLine(s)}</div>
<h3>${esc(s.name)}</h3>
<code class="fid">${esc(s.function_id)}</code>
<p class="desc">${esc(s.description)}</p>
${enqueues}${countsBlock(s)}${lastErrorBlock(s)}${run}
</article>`;
}

function renderFlow(flow: ConsoleOverview['flows'][number]): string {
  const cols = flow.columns
    .map((c) => `<div class="col">${c.map(renderStep).join('\n')}</div>`)
    .join('<div class="arrow" aria-hidden="true"></div>');
  return `<section class="flow" data-flow="${esc(flow.name)}"><h2>${esc(flow.name)}</h2><div class="lanes">${cols}</div></section>`;
}

function entityOf(job: JobView): string {
  const d = job.data as { entityId?: unknown; kuerzel?: unknown } | null;
  return String(d?.entityId ?? d?.kuerzel ?? '');
}

function renderDeadLetter(job: JobView): string {
  const attrs = `data-queue="${esc(job.queue)}" data-job-id="${esc(job.id)}"`;
  return `<li class="dead-letter" ${attrs}>
<div><code>${esc(job.name)}</code> <span class="entity">${esc(entityOf(job))}</span> · job <code>${esc(job.id)}</code></div>
<div class="meta">failed <time>${esc(berlinTime(job.finishedOn))}</time> after ${job.attemptsMade} attempt(s) · trace <code>${esc(job.traceId ?? '–')}</code></div>
<div class="reason">${esc(job.failedReason ?? '')}</div>
<div class="actions"><button type="button" data-action="retry" ${attrs}>Retry</button>
<button type="button" data-action="remove" class="danger" ${attrs}>Remove</button></div>
</li>`;
}

function renderDeadLetters(o: ConsoleOverview): string {
  const withJobs = o.deadLetters.filter((d) => d.total > 0);
  const empty = o.deadLetters.filter((d) => d.total === 0).map((d) => d.queue);
  const link = (queue: string) =>
    o.dashboardPath
      ? ` <a href="${esc(`${o.dashboardPath}/queue/${encodeURIComponent(queue)}?status=failed`)}">raw view in the queue dashboard</a>`
      : '';
  const blocks = withJobs.map(
    (d) => `<div class="dead-queue" data-queue="${esc(d.queue)}">
<h3>${esc(d.queue)} <span class="badge">${d.total}</span>${link(d.queue)}</h3>
<ul>${d.jobs.map(renderDeadLetter).join('\n')}</ul>
${d.total > d.jobs.length ? `<p class="meta">showing the newest ${d.jobs.length} of ${d.total}</p>` : ''}
</div>`,
  );
  const none = empty.length
    ? `<p class="meta">No dead letters in ${empty.map((q) => `<code>${esc(q)}</code>`).join(', ')}.</p>`
    : '';
  return `<section class="dead-letters"><h2>Dead letters</h2>${blocks.join('\n')}${none}</section>`;
}

function summary(o: ConsoleOverview): string {
  const steps = o.flows.flatMap((f) => f.columns.flat());
  const unique = new Map(steps.map((s) => [s.function_id, s]));
  let failed = 0;
  let waiting = 0;
  let active = 0;
  for (const s of unique.values()) {
    failed += s.counts?.failedLastHour ?? 0;
    waiting += s.counts?.waiting ?? 0;
    active += s.counts?.active ?? 0;
  }
  const dead = o.deadLetters.reduce((n, d) => n + d.total, 0);
  const state = dead > 0 || failed > 0 ? 'attention' : 'healthy';
  return `<p class="summary ${state}" data-state="${state}"><strong>${state === 'healthy' ? 'Healthy' : 'Needs attention'}</strong>
· ${waiting} waiting · ${active} active · ${failed} failed in the last hour · ${dead} dead letter(s)
· as of <time datetime="${esc(o.generatedAt)}">${esc(berlinTime(Date.parse(o.generatedAt)))}</time> Berlin</p>`;
}

/** The part the page's script replaces every few seconds. */
export function renderLive(o: ConsoleOverview): string {
  return `${summary(o)}\n${o.flows.map(renderFlow).join('\n')}\n${renderDeadLetters(o)}`;
}

const ENTITY_TYPES = ['CBeteiligte', 'CBankverbindungen', 'CDokumente'];

export function renderConsolePage(o: ConsoleOverview, opts: { refreshMs: number }): string {
  const dashboard = o.dashboardPath ? `<a href="${esc(o.dashboardPath)}">Queue dashboard</a>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bitbylaw-hub · Operator console</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body data-refresh-ms="${opts.refreshMs}">
<header>
<h1>bitbylaw-hub <span>Operator console</span></h1>
<nav>${dashboard} <a href="/_console/functions">Steps (JSON)</a> <a href="/_console/overview">Overview (JSON)</a></nav>
</header>
<section id="shadow" class="panel shadow" hidden></section>
<section id="answers" class="panel answers" aria-live="polite" hidden><h2>Answers</h2><ol></ol></section>
<main id="live">${renderLive(o)}</main>
<section class="panel lookup">
<h2>Why is this entity not in sync?</h2>
<form id="lookup">
<label>Type <input name="type" list="entity-types" value="CBeteiligte" required pattern="[A-Za-z][A-Za-z0-9]{0,63}"></label>
<datalist id="entity-types">${ENTITY_TYPES.map((t) => `<option value="${t}">`).join('')}</datalist>
<label>EspoCRM id <input name="id" required pattern="[A-Za-z0-9_\\-]{1,64}" placeholder="e.g. 5f1a2b3c4d5e6f701"></label>
<button type="submit">Look up</button>
</form>
<div id="lookup-result"></div>
</section>
<footer><span id="refresh-state">Refreshes every ${Math.round(opts.refreshMs / 1000)} s</span> · times in Europe/Berlin</footer>
<script>${CONSOLE_PAGE_SCRIPT}</script>
</body>
</html>`;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f3f5f8}
header{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.5rem 1rem;padding:.8rem 1rem;background:#1d2430;color:#fff}
header h1{margin:0;font-size:1.15rem}header h1 span{font-weight:400;opacity:.75}
header nav{display:flex;flex-wrap:wrap;gap:.3rem 1rem}header a{color:#9cd0ff}
main,.panel,footer{margin:0 auto;max-width:1400px;padding:0 1rem}
.panel{margin-top:1rem}
h2{font-size:1.05rem;margin:1.2rem 0 .5rem}
h3{font-size:.98rem;margin:.2rem 0}
code{font:12.5px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f5;border-radius:3px;padding:0 .2em;overflow-wrap:anywhere}
.summary{margin:1rem 0 0;padding:.6rem .8rem;border-radius:6px;background:#e5f5ea;border:1px solid #9bd3ac}
.summary.attention{background:#fff4e0;border-color:#f0b95a}
.flow{background:#fff;border:1px solid #d8dde5;border-radius:8px;padding:.2rem .8rem .8rem;margin-top:1rem}
.lanes{display:flex;align-items:stretch;gap:.4rem;overflow-x:auto}
.col{display:flex;flex-direction:column;gap:.6rem;flex:1 1 0;min-width:230px}
.col:only-child{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));align-items:start}
.arrow{flex:0 0 1.6rem;display:flex;align-items:center;justify-content:center;color:#7a8699}
.arrow::before{content:"\\2192";font-size:1.5rem}
.step{border:1px solid #d8dde5;border-left:5px solid #7a8699;border-radius:6px;padding:.5rem .6rem;background:#fbfcfd}
.step-http{border-left-color:#3b82c4}.step-cron{border-left-color:#9b59b6}.step-queue{border-left-color:#2e9d6a}
.trigger{font-size:.85rem}.kind{font-weight:600;text-transform:uppercase;font-size:.72rem;letter-spacing:.04em;color:#555}
.next{display:block;color:#6b3f86;font-size:.82rem}
.fid{display:inline-block;margin:.1rem 0;color:#555}
.desc{margin:.25rem 0;font-size:.85rem;color:#4a5363}
.enqueues{font-size:.82rem;color:#4a5363}
.counts{display:grid;grid-template-columns:repeat(4,1fr);gap:.3rem;margin:.5rem 0 .2rem}
.count{background:#eef1f5;border-radius:4px;padding:.15rem .3rem;text-align:center}
.count dt{font-size:.7rem;color:#5b6475}.count dd{margin:0;font-weight:600;font-size:1rem}
.count.failed.nonzero{background:#fde2e1;color:#a4231b}.count.active.nonzero{background:#e0efff}
.last-error{margin-top:.4rem;padding:.35rem .45rem;background:#fdecec;border-radius:4px;font-size:.82rem}
.last-error .reason{display:block;word-break:break-word}.meta{color:#5b6475;font-size:.8rem}
button{font:inherit;font-size:.85rem;padding:.3rem .75rem;border-radius:4px;border:1px solid #2f6db3;background:#2f6db3;color:#fff;cursor:pointer;margin-top:.4rem}
button:hover{background:#245994}button.danger{background:#fff;color:#a4231b;border-color:#a4231b}
button[disabled]{opacity:.6;cursor:wait}
.dead-letters{background:#fff;border:1px solid #d8dde5;border-radius:8px;padding:.2rem .8rem .8rem;margin-top:1rem}
.dead-queue ul{list-style:none;margin:0;padding:0}
.dead-letter{border-top:1px solid #e3e7ed;padding:.45rem 0}.dead-letter .reason{color:#a4231b;word-break:break-word}
.dead-letter .actions button{margin-right:.4rem}
.badge{display:inline-block;min-width:1.4em;text-align:center;background:#a4231b;color:#fff;border-radius:9px;font-size:.75rem;padding:0 .4em}
.answers ol{margin:0;padding-left:1.2rem}.answers li{margin:.2rem 0}.answers .bad{color:#a4231b}
.answers pre,.lookup pre{white-space:pre-wrap;word-break:break-word;background:#eef1f5;padding:.4rem;border-radius:4px;font-size:12px;max-height:16rem;overflow:auto}
.shadow{background:#f1eafa;border:1px solid #c9b2e6;border-radius:8px;padding:.5rem .8rem}
.lookup form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}
.lookup label{display:flex;flex-direction:column;font-size:.8rem;color:#4a5363}
.lookup input{font:inherit;padding:.3rem .4rem;border:1px solid #b9c1cd;border-radius:4px;min-width:12rem}
.kv{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.15rem .8rem;font-size:.85rem}
.kv dt{color:#5b6475}.kv dd{margin:0;word-break:break-word}
footer{color:#5b6475;font-size:.8rem;padding-top:1rem;padding-bottom:2rem}
@media (max-width:720px){
 .lanes{flex-direction:column}
 .col{min-width:0}
 .arrow{flex-basis:1.4rem}.arrow::before{content:"\\2193"}
 .lookup input{min-width:0;width:100%}.lookup label{flex:1 1 100%}
}
`;
