/**
 * The console page's only script, inlined (no front-end build). It re-fetches the
 * server-rendered live part, runs the buttons and the entity lookup. Same-origin
 * fetches carry the Basic credentials the browser already holds for the page.
 * Plain ES2017 without template literals, so it can live in this string as is.
 */
export const CONSOLE_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var live = document.getElementById('live');
  var answers = document.getElementById('answers');
  var refreshState = document.getElementById('refresh-state');
  var refreshMs = Number(document.body.getAttribute('data-refresh-ms')) || 5000;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function call(method, url, body) {
    var init = { method: method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      return res.text().then(function (text) {
        var json;
        try { json = JSON.parse(text); } catch (e) { json = text; }
        return { ok: res.ok, status: res.status, body: json };
      });
    });
  }

  function answer(title, res) {
    answers.hidden = false;
    var list = answers.querySelector('ol');
    var li = el('li', { 'class': res.ok ? 'ok' : 'bad', 'data-status': String(res.status) }, [
      el('strong', {}, [title + ' → HTTP ' + res.status]),
      el('pre', {}, [typeof res.body === 'string' ? res.body : JSON.stringify(res.body, null, 2)])
    ]);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 5) list.removeChild(list.lastChild);
  }

  var refreshing = false;
  function refresh() {
    if (refreshing) return Promise.resolve();
    refreshing = true;
    return fetch('/_console/live', { credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        refreshState.textContent = 'Refreshes every ' + Math.round(refreshMs / 1000) + ' s';
      })
      .catch(function (err) {
        refreshState.textContent = 'Refresh failed (' + err.message + '), retrying';
      })
      .then(function () { refreshing = false; return refreshShadow(); });
  }

  var shadow = document.getElementById('shadow');
  function refreshShadow() {
    return call('GET', '/_console/shadow?limit=1').then(function (res) {
      shadow.setAttribute('data-checked', new Date().toISOString());
      var b = res.body && typeof res.body === 'object' ? res.body : null;
      if (!res.ok || !b || b.enabled === false || b.mode === 'live') { shadow.hidden = true; return; }
      var n = typeof b.total === 'number' ? b.total
        : typeof b.count === 'number' ? b.count
        : b.counts && typeof b.counts === 'object'
          ? Object.keys(b.counts).reduce(function (s, k) { return s + (Number(b.counts[k]) || 0); }, 0)
          : Array.isArray(b.writes) ? b.writes.length : 0;
      shadow.replaceChildren(
        el('strong', {}, ['Shadow mode']),
        ' · ' + n + ' would-be write(s) recorded, none sent · ',
        el('a', { href: '/_console/shadow' }, ['list them'])
      );
      shadow.hidden = false;
    }, function () { shadow.hidden = true; });
  }

  document.addEventListener('click', function (ev) {
    var b = ev.target.closest ? ev.target.closest('button[data-action]') : null;
    if (!b) return;
    var action = b.getAttribute('data-action');
    var q = encodeURIComponent(b.getAttribute('data-queue') || '');
    var id = encodeURIComponent(b.getAttribute('data-job-id') || '');
    var req;
    if (action === 'run') {
      var fid = b.getAttribute('data-function-id');
      req = ['Run now ' + fid, call('POST', '/_console/cron/trigger', { function_id: fid })];
    } else if (action === 'retry') {
      req = ['Retry ' + decodeURIComponent(q) + ' #' + decodeURIComponent(id),
        call('POST', '/_console/queues/' + q + '/jobs/' + id + '/retry')];
    } else if (action === 'remove') {
      if (!window.confirm('Remove this dead letter for good? It will not run again.')) return;
      req = ['Remove ' + decodeURIComponent(q) + ' #' + decodeURIComponent(id),
        call('DELETE', '/_console/queues/' + q + '/jobs/' + id)];
    } else {
      return;
    }
    b.disabled = true;
    req[1].then(function (res) { answer(req[0], res); },
      function (err) { answer(req[0], { ok: false, status: 0, body: String(err) }); })
      .then(refresh);
  });

  function kv(obj) {
    var dl = el('dl', { 'class': 'kv' });
    Object.keys(obj || {}).forEach(function (k) {
      var v = obj[k];
      dl.appendChild(el('dt', {}, [k]));
      dl.appendChild(el('dd', {}, [v === null || v === undefined ? '–'
        : typeof v === 'object' ? JSON.stringify(v) : String(v)]));
    });
    return dl;
  }

  var form = document.getElementById('lookup');
  var result = document.getElementById('lookup-result');
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var type = form.elements.type.value.trim();
    var id = form.elements.id.value.trim();
    result.textContent = 'Looking up…';
    call('GET', '/_console/sync/' + encodeURIComponent(type) + '/' + encodeURIComponent(id))
      .then(function (res) {
        var b = res.body;
        if (!res.ok || !b || typeof b !== 'object') {
          result.replaceChildren(el('p', { 'class': 'bad' }, ['HTTP ' + res.status + ': ' +
            (b && b.message ? b.message : JSON.stringify(b))]));
          return;
        }
        var jobs = b.jobs || {};
        var parts = [
          el('h3', {}, [b.entityType + ' ' + b.id + (b.exists ? ' exists in EspoCRM' : ' not found in EspoCRM')]),
        ];
        if (b.recordError) parts.push(el('p', { 'class': 'bad' }, ['EspoCRM answered: ' + b.recordError]));
        if (b.sync) parts.push(el('h4', {}, ['Sync fields']), kv(b.sync));
        if (b.references) parts.push(el('h4', {}, ['References']), kv(b.references));
        parts.push(el('h4', {}, ['Locks']), kv((b.locks || []).reduce(function (o, l) {
          o[l.key] = l.held ? 'held, ' + l.ttlMs + ' ms left' : 'free';
          return o;
        }, {})));
        parts.push(el('h4', {}, ['Jobs']), kv({
          waiting: (jobs.waiting || []).length,
          active: (jobs.active || []).length,
          failed: (jobs.failed || []).length
        }));
        if ((b.lastErrors || []).length) {
          parts.push(el('h4', {}, ['Last errors']), el('ul', {}, b.lastErrors.map(function (e) {
            return el('li', {}, [new Date(e.at).toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' }) +
              ' · ' + e.reason + ' · trace ' + (e.traceId || '–')]);
          })));
        }
        parts.push(el('details', {}, [el('summary', {}, ['Raw answer']),
          el('pre', {}, [JSON.stringify(b, null, 2)])]));
        result.replaceChildren.apply(result, parts);
      }, function (err) { result.textContent = 'Lookup failed: ' + err; });
  });

  refreshShadow();
  setInterval(refresh, refreshMs);
})();
`;
