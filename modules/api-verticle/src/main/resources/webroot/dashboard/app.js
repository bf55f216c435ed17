// The dashboard: wires the views to the API (api.js) and the status feed. Every value is put into
// the page as text (textContent), never as markup. State the browser test waits for is mirrored on
// <body data-*>: state (loading, locked, unlocked), entity-rows, status-events, chart-samples,
// apply-peak (the highest apply rate the chart has drawn).
import { ApiError, apiKey, call, followFeed } from './api.js';
import { CONTRACT } from './contract.js';
import { TimeChart } from './chart.js';
import { JsonEditor, lineOf, parseWithLines } from './editor.js';

const $ = (id) => document.getElementById(id);
const body = document.body;

const TEMPLATE = `{
  "name": "orders",
  "shape": {
    "entity_name": "Order",
    "source_name": "orders",
    "columns": [
      {"name": "id", "type": "Text", "path": "_id"},
      {"name": "total", "type": "Number", "path": "total"},
      {"name": "customer", "type": "Text", "path": "customer.name"}
    ]
  }
}`;

const state = {
  entities: new Map(), // name → {entity, rows, progress: Map(node → data)}
  nodeTotals: new Map(), // node → {applied, head}
  history: [], // {t, applied, head, nodes}: node totals of the last RATE_WINDOW_MS
  events: 0,
  feed: null,
  timers: [],
};

// ---------------------------------------------------------------- helpers

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) {
    e.textContent = String(text);
  }
  if (className) {
    e.className = className;
  }
  return e;
}

function num(v) {
  return Number.isFinite(v) ? v.toLocaleString('en') : '—';
}

function seconds(v) {
  return Number.isFinite(v) ? (v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en')) : '—';
}

function ago(iso) {
  if (!iso) {
    return '—';
  }
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 90) {
    return `${Math.round(s)} s ago`;
  }
  if (s < 5400) {
    return `${Math.round(s / 60)} min ago`;
  }
  return new Date(iso).toLocaleString();
}

function duration(ms) {
  if (!Number.isFinite(ms)) {
    return '—';
  }
  return ms < 1000 ? `${ms} ms` : ms < 120000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60000)} min`;
}

function toast(text, bad) {
  const t = $('toast');
  t.textContent = text;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 6000);
}

/** Runs an API call for a view; a refused key locks the page, other failures are shown. */
async function guarded(work, where) {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      apiKey.clear();
      lock(e.status === 401 ? 'The key was refused: ' + e.message : e.message);
    } else if (where) {
      where(e);
    } else {
      toast(e.message, true);
    }
    return null;
  }
}

function every(ms, fn) {
  fn();
  state.timers.push(setInterval(fn, ms));
}

// ---------------------------------------------------------------- health (open)

function renderChecks(list, checks) {
  list.replaceChildren();
  for (const c of checks) {
    const li = el('li');
    li.append(el('span', c.status, c.status === 'UP' ? 'ok' : 'bad'), el('span', c.id, 'name'));
    if (c.reason) {
      li.append(el('span', c.reason, 'muted'));
    }
    list.append(li);
  }
}

async function refreshHealth() {
  const badge = $('health-badge');
  try {
    const { data } = await call('health');
    badge.textContent = 'health ' + data.status;
    badge.className = 'badge ' + (data.status === 'UP' ? 'ok' : 'bad');
    const failing = data.failing || {};
    const checks = Object.keys(failing).map((id) => ({ id, status: 'DOWN', reason: failing[id] }));
    if (!checks.length) {
      checks.push({ id: 'all components', status: data.status });
    }
    renderChecks($('health-open-list'), checks);
  } catch (e) {
    badge.textContent = 'unreachable';
    badge.className = 'badge bad';
  }
}

// ---------------------------------------------------------------- entities

function entityState(name) {
  let s = state.entities.get(name);
  if (!s) {
    s = { entity: { name, status: '?' }, rows: null, progress: new Map() };
    state.entities.set(name, s);
  }
  return s;
}

async function refreshEntities() {
  await guarded(async () => {
    const [{ data: list }, stats] = await Promise.all([
      call('entities'),
      call('replication').catch((e) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
          throw e;
        }
        return null;
      }),
    ]);
    const names = new Set();
    for (const entity of list.entities) {
      names.add(entity.name);
      entityState(entity.name).entity = entity;
    }
    for (const name of [...state.entities.keys()]) {
      if (!names.has(name)) {
        state.entities.delete(name);
      }
    }
    if (stats && stats.data) {
      for (const node of stats.data.nodes) {
        for (const [name, p] of Object.entries(node.entities || {})) {
          if (names.has(name)) {
            entityState(name).progress.set(node.node, p);
          }
        }
      }
      $('entities-note').textContent = '';
    } else {
      $('entities-note').textContent = '(replication stats unavailable)';
    }
    renderEntities();
  });
}

async function refreshRows() {
  for (const [name, s] of state.entities) {
    if (s.entity.status !== 'live') {
      continue;
    }
    await guarded(
      async () => {
        const sql = CONTRACT.rows.sql.replace('{entity}', name);
        const { data } = await call('rows', { params: { entity: name }, body: { sql } });
        s.rows = data.rows.length ? data.rows[0].n : null;
      },
      () => (s.rows = null),
    );
  }
  renderEntities();
}

function renderEntities() {
  const tbody = $('entities').tBodies[0];
  tbody.replaceChildren();
  const names = [...state.entities.keys()].sort();
  for (const name of names) {
    const s = state.entities.get(name);
    const progress = [...s.progress.values()];
    const lagRows = progress.length ? Math.max(...progress.map((p) => p.lag_rows)) : NaN;
    const lagSeconds = progress.length ? Math.max(...progress.map((p) => p.lag_seconds)) : NaN;
    const applied = progress.length ? Math.min(...progress.map((p) => p.last_applied_id)) : NaN;
    const tr = el('tr');
    tr.dataset.entity = name;
    const status = el('td');
    status.append(el('span', s.entity.status, 'pill ' + s.entity.status));
    if (progress.length) {
      const caught = progress.every((p) => p.status === 'caught_up');
      status.append(el('span', caught ? 'caught up' : 'catching up', 'muted small'));
    }
    const title = el('td');
    title.append(el('strong', name));
    if (s.entity.shape) {
      title.append(el('div', `${s.entity.shape.source_name} · ${(s.entity.shape.columns || []).length} columns`, 'muted small'));
    }
    tr.append(
      title,
      status,
      el('td', s.rows === null ? '—' : num(s.rows), 'num'),
      el('td', num(lagRows), 'num' + (lagRows > 0 ? ' warn' : '')),
      el('td', seconds(lagSeconds), 'num'),
      el('td', num(applied), 'num'),
      el('td', s.entity.version === undefined ? '' : `v${s.entity.version} · ${ago(s.entity.updated_at)}`, 'small'),
    );
    const actions = el('td', null, 'actions');
    const button = (label, fn, cls) => {
      const b = el('button', label, cls);
      b.type = 'button';
      b.addEventListener('click', fn);
      actions.append(b);
    };
    button('Verify', () => verify(name));
    button('Recreate', () => recreate(name));
    button('Delete', () => remove(name), 'danger');
    tr.append(actions);
    tbody.append(tr);
  }
  if (!names.length) {
    const tr = el('tr');
    const td = el('td', 'No entities yet: create one below.', 'muted');
    td.colSpan = 8;
    tr.append(td);
    tbody.append(tr);
  }
  body.dataset.entityRows = String(names.length);
}

// ---------------------------------------------------------------- actions

function confirmDialog(text, okLabel, requireName) {
  const dialog = $('confirm');
  const input = $('confirm-input');
  const ok = $('confirm-ok');
  $('confirm-text').textContent = text;
  ok.textContent = okLabel;
  input.value = '';
  input.parentElement.hidden = !requireName;
  ok.disabled = !!requireName;
  input.oninput = () => (ok.disabled = input.value !== requireName);
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === 'ok');
    dialog.showModal();
    if (requireName) {
      input.focus();
    }
  });
}

async function verify(name) {
  await guarded(async () => {
    const { data } = await call('verify', { params: { name }, body: {} });
    toast(`Verification of ${name} started (${data.job.state}, job ${data.job.id.slice(0, 8)}…)`);
    refreshVerifications();
  });
}

async function recreate(name) {
  if (!(await confirmDialog(`Rebuild the cache of ${name} from the oplog on every node that holds it?`, 'Recreate'))) {
    return;
  }
  await guarded(async () => {
    const { data } = await call('recreate', { params: { entity: name } });
    toast(`Recreate of ${name} ${data.status} (job ${String(data.job_id).slice(0, 8)}…)`);
  });
}

async function remove(name) {
  const text = `Delete ${name}? Its oplog rows are purged and every cache of it is dropped. Type the name to confirm.`;
  if (!(await confirmDialog(text, 'Delete', name))) {
    return;
  }
  await guarded(async () => {
    const { data } = await call('delete', { params: { name } });
    toast(`${data.name} is ${data.status}`);
    refreshEntities();
  });
}

function setupCreate() {
  const editor = new JsonEditor($('create-editor'), TEMPLATE);
  const list = $('create-errors');
  const result = $('create-result');
  const report = (errors) => {
    editor.show(errors);
    list.replaceChildren(
      ...errors.map((e) => el('li', `line ${e.line}: ${e.field ? e.field + ' ' : ''}${e.message}`)),
    );
  };
  $('create-submit').addEventListener('click', async () => {
    result.textContent = '';
    let parsed;
    try {
      parsed = parseWithLines(editor.text);
    } catch (e) {
      report([{ line: e.line, field: '', message: 'not JSON: ' + e.message }]);
      return;
    }
    report([]);
    await guarded(
      async () => {
        const { data } = await call('create', { body: editor.text });
        result.textContent = `created ${data.name} (${data.status})`;
        result.className = 'ok';
        refreshEntities();
      },
      (e) => {
        result.textContent = e.message;
        result.className = 'error';
        report(
          e.details.map((d) => ({
            line: lineOf(parsed.lines, d.field),
            field: d.field,
            message: d.message,
          })),
        );
      },
    );
  });
}

// ---------------------------------------------------------------- jobs, health, cluster, verifications

async function refreshJobs() {
  await guarded(async () => {
    const { data } = await call('jobs');
    const tbody = $('jobs').tBodies[0];
    tbody.replaceChildren();
    for (const j of data.jobs) {
      const tr = el('tr');
      const outcome = el('td');
      const failed = j.last_outcome && j.last_outcome !== 'ok';
      outcome.append(el('span', j.running ? 'running' : j.last_outcome || 'not run yet', failed ? 'bad' : 'ok'));
      if (j.last_error) {
        outcome.append(el('div', j.last_error, 'muted small'));
      }
      tr.append(
        el('td', j.component),
        el('td', j.node, 'small'),
        el('td', j.name),
        el('td', duration(j.interval_ms), 'num'),
        el('td', num(j.run_count), 'num'),
        el('td', num(j.failure_count), 'num' + (j.failure_count > 0 ? ' warn' : '')),
        el('td', ago(j.last_start), 'small'),
        outcome,
      );
      tbody.append(tr);
    }
    $('jobs-unavailable').textContent = data.unavailable.length
      ? 'Not answering: ' + data.unavailable.map((u) => `${u.component} (${u.reason})`).join(', ')
      : '';
  });
}

async function refreshDetailed() {
  await guarded(async () => {
    const { data } = await call('detailed');
    renderChecks($('checks'), data.checks);
    $('node').textContent = data.api && data.api.node ? 'node ' + data.api.node : '';
  });
}

async function refreshCluster() {
  await guarded(async () => {
    const { data } = await call('cluster');
    $('node').textContent = data.node ? 'node ' + data.node : $('node').textContent;
    const leader = data.leader;
    $('leader').textContent = leader
      ? `Leader: ${leader.node} (term ${leader.leader_epoch})`
      : 'No live leader heard (oplog role not running, or not clustered yet).';
    const tbody = $('members').tBodies[0];
    tbody.replaceChildren();
    for (const m of data.members) {
      const tr = el('tr');
      const node = el('td');
      node.append(el('span', m.node));
      if (leader && leader.node === m.node) {
        node.append(el('span', 'leader', 'pill live'));
      }
      if (m.node === data.node) {
        node.append(el('span', 'this node', 'muted small'));
      }
      if (m.stale) {
        node.append(el('span', 'stale', 'pill bad'));
      }
      tr.append(node, el('td', m.roles.join(', '), 'small'), el('td', m.serving.join(', ') || '—', 'small'), el('td', duration(m.last_seen_ms_ago), 'num'));
      tbody.append(tr);
    }
  });
}

async function refreshVerifications() {
  await guarded(
    async () => {
      const { data } = await call('verifications');
      const tbody = $('verifications').tBodies[0];
      tbody.replaceChildren();
      const runs = [...data.verifications].sort((a, b) => String(b.started_at).localeCompare(String(a.started_at)));
      for (const v of runs.slice(0, 10)) {
        const c = v.counts || {};
        const tr = el('tr');
        tr.append(
          el('td', v.entity),
          el('td', v.state, v.state === 'failed' ? 'bad' : ''),
          el('td', v.step, 'small'),
          el('td', ago(v.started_at), 'small'),
          el('td', num(c.docs_checked), 'num'),
          el('td', num(c.missing), 'num'),
          el('td', num(c.extra), 'num'),
          el('td', num(c.different), 'num' + (c.different > 0 ? ' warn' : '')),
          el('td', v.error || '', 'small'),
        );
        tbody.append(tr);
      }
    },
    () => {
      const tbody = $('verifications').tBodies[0];
      const tr = el('tr');
      const td = el('td', 'No verifier answers on this node.', 'muted');
      td.colSpan = 9;
      tr.append(td);
      tbody.replaceChildren(tr);
    },
  );
}

// ---------------------------------------------------------------- status feed and charts

function matches(event, match) {
  return Object.entries(match).every(([k, v]) => (v === null ? event[k] == null : event[k] === v));
}

function onEvent(event) {
  state.events++;
  body.dataset.statusEvents = String(state.events);
  const kinds = CONTRACT.feed.events;
  const data = event.data || {};
  if (matches(event, kinds.node.match) && event.entity == null) {
    state.nodeTotals.set(data.node, { applied: data.rows_applied, head: data.head_id });
  } else if (matches(event, kinds.entity.match) && state.entities.has(event.entity) && Number.isFinite(data.lag_rows)) {
    entityState(event.entity).progress.set(data.node, {
      lag_rows: data.lag_rows,
      lag_seconds: data.lag_seconds,
      last_applied_id: data.last_applied_id,
      status: event.state,
    });
    scheduleRender();
  } else if (matches(event, kinds.status.match)) {
    if (state.entities.has(event.entity) && event.state !== 'deleted') {
      entityState(event.entity).entity.status = event.state;
      scheduleRender();
    } else {
      refreshEntities();
    }
  }
  const li = el('li');
  li.append(
    el('span', new Date(event.ts || Date.now()).toLocaleTimeString(), 'muted'),
    el('span', event.type, 'pill ' + event.type),
    el('span', event.component || ''),
    el('strong', event.entity || ''),
    el('span', event.state || ''),
  );
  const list = $('events');
  list.prepend(li);
  while (list.children.length > 40) {
    list.lastChild.remove();
  }
}

function scheduleRender() {
  if (!scheduleRender.pending) {
    scheduleRender.pending = true;
    requestAnimationFrame(() => {
      scheduleRender.pending = false;
      renderEntities();
    });
  }
}

/** Rates are taken over this window: progress events come about once a second, not per sample. */
const RATE_WINDOW_MS = 5000;

function sample(throughput, lag) {
  const now = Date.now();
  let applied = 0;
  let head = 0;
  for (const t of state.nodeTotals.values()) {
    applied += t.applied || 0;
    head = Math.max(head, t.head || 0);
  }
  const nodes = state.nodeTotals.size;
  const history = state.history;
  // a node's first figures are a baseline, not a burst: start the window again
  if (history.length && history[history.length - 1].nodes !== nodes) {
    history.length = 0;
  }
  history.push({ t: now, applied, head, nodes });
  while (history.length > 1 && now - history[0].t > RATE_WINDOW_MS) {
    history.shift();
  }
  const first = history[0];
  const dt = (now - first.t) / 1000;
  const applyRate = dt > 0 ? Math.max(0, applied - first.applied) / dt : 0;
  const appendRate = dt > 0 ? Math.max(0, head - first.head) / dt : 0;
  let maxLag = 0;
  for (const s of state.entities.values()) {
    for (const p of s.progress.values()) {
      maxLag = Math.max(maxLag, p.lag_rows || 0);
    }
  }
  throughput.push(now, [applyRate, appendRate]);
  lag.push(now, [maxLag]);
  body.dataset.chartSamples = String(throughput.size);
  state.applyPeak = Math.max(state.applyPeak || 0, applyRate);
  body.dataset.applyPeak = String(Math.round(state.applyPeak));
}

// ---------------------------------------------------------------- lock / unlock

function stopAll() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  if (state.feed) {
    state.feed.stop();
    state.feed = null;
  }
}

function lock(message) {
  stopAll();
  every(5000, refreshHealth);
  $('app').hidden = true;
  $('forget-key').hidden = true;
  $('feed-state').hidden = true;
  $('locked').hidden = false;
  $('health-open').hidden = false;
  $('key-error').textContent = message || '';
  $('key-input').value = '';
  body.dataset.state = 'locked';
}

function unlock() {
  stopAll();
  $('locked').hidden = true;
  $('health-open').hidden = true;
  $('app').hidden = false;
  $('forget-key').hidden = false;
  body.dataset.state = 'unlocked';
  const throughput = new TimeChart(
    $('throughput-chart'),
    [
      { label: 'apply (rows/s, all nodes)', color: '#2f7ed8' },
      { label: 'append (oplog ids/s)', color: '#e8743b', dash: [6, 4] },
    ],
    'per second',
  );
  const lag = new TimeChart($('lag-chart'), [{ label: 'largest lag (rows)', color: '#c0392b' }], 'rows');
  state.history = [];
  state.nodeTotals.clear();
  const feedState = $('feed-state');
  feedState.hidden = false;
  state.feed = followFeed(onEvent, (s) => {
    feedState.textContent = 'feed ' + s;
    feedState.className = 'badge ' + (s === 'live' ? 'ok' : 'bad');
  });
  every(5000, refreshHealth);
  // row counts need the entity list first
  refreshEntities().then(refreshRows);
  state.timers.push(setInterval(refreshEntities, 5000));
  state.timers.push(setInterval(refreshRows, 15000));
  every(10000, refreshJobs);
  every(10000, refreshDetailed);
  every(10000, refreshCluster);
  every(10000, refreshVerifications);
  every(1000, () => sample(throughput, lag));
}

$('key-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = $('key-input').value.trim();
  if (!key) {
    return;
  }
  apiKey.set(key);
  try {
    await call('entities');
    unlock();
  } catch (err) {
    apiKey.clear();
    lock(err instanceof ApiError && err.status === 401 ? 'That key was refused.' : err.message);
  }
});

$('forget-key').addEventListener('click', () => {
  apiKey.clear();
  lock('Key forgotten.');
});

setupCreate();
if (apiKey.get()) {
  unlock();
} else {
  lock();
}
