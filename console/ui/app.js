// egate officers' console: the page's whole logic. Plain JS, no build step, no dependency.
// State comes from the JSON API; live updates from the SSE stream /api/events. Every
// state-changing request carries the session's CSRF token in X-CSRF-Token.
'use strict';

const ACTION_LABELS = {
  release_exit: 'Release exit', refer: 'Refer', lane_open: 'Open lane',
  lane_close: 'Close lane', out_of_service: 'Out of service', reset: 'Reset',
};
const SVG_NS = 'http://www.w3.org/2000/svg';

const S = {
  session: null,        // { user, role, csrf, may: { commands, ack_alarms, photos } }
  gates: new Map(),     // id -> { status, reachable, receivedAt }
  alarms: new Map(),    // id -> alarm
  referrals: [],        // open referrals (no action, no DG1)
  referralDetail: new Map(), // "gate/id" -> detail, for referrals this officer took
  es: null,
  statsTimer: null,
};
// Latency of each gate event from the gate's timestamp to this page (ms), for tests and ops.
window.egateLatency = [];

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET') {
    opts.headers['X-CSRF-Token'] = S.session ? S.session.csrf : '';
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body || {});
  }
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (_) { data = null; }
  if (r.status === 401 && path !== '/api/login') showLogin();
  return { status: r.status, data };
}

// ---- login -------------------------------------------------------------------------------
function showLogin() {
  S.session = null;
  if (S.es) { S.es.close(); S.es = null; }
  $('#app-view').hidden = true;
  $('#who').hidden = true;
  $('#login-view').hidden = false;
}

async function startApp(session) {
  S.session = session;
  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  $('#who').hidden = false;
  $('#who-user').textContent = session.user;
  $('#who-role').textContent = session.role;
  document.body.dataset.role = session.role;
  await reloadAll();
  connectEvents();
  if (!S.statsTimer) S.statsTimer = setInterval(() => { if (S.session) loadStats(); }, 5000);
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  const r = await api('POST', '/api/login', {
    user: $('#login-user').value, password: $('#login-password').value,
  });
  $('#login-password').value = '';
  if (r.status === 200) startApp(r.data);
  else $('#login-error').textContent = (r.data && r.data.message) || ('login failed (' + r.status + ')');
});

$('#logout').addEventListener('click', async () => {
  await api('POST', '/api/logout');
  showLogin();
});

// ---- gates -------------------------------------------------------------------------------
async function reloadAll() {
  const [g, a] = await Promise.all([api('GET', '/api/gates'), api('GET', '/api/alarms')]);
  if (g.status !== 200) return;
  const now = performance.now();
  for (const entry of g.data.gates) {
    S.gates.set(entry.id, { status: entry.status || null, reachable: entry.reachable, receivedAt: now });
  }
  const scope = $('#stats-scope');
  for (const id of S.gates.keys()) {
    if (![...scope.options].some((o) => o.value === id)) scope.append(el('option', { value: id, text: id }));
  }
  renderGates();
  if (a.status === 200) {
    S.alarms.clear();
    for (const al of a.data.alarms) S.alarms.set(al.id, al);
    renderAlarms();
  }
  loadReferrals();
  loadStats();
}

function gateTile(id) {
  let tile = document.querySelector(`.gate[data-gate="${CSS.escape(id)}"]`);
  if (!tile) {
    tile = $('#gate-template').content.firstElementChild.cloneNode(true);
    tile.dataset.gate = id;
    $('.gate-id', tile).textContent = id;
    const cmds = $('.commands', tile);
    for (const action of (S.session ? S.session.may.commands : [])) {
      const b = el('button', { type: 'button', 'data-action': action, text: ACTION_LABELS[action] || action });
      if (action === 'out_of_service' || action === 'reset') b.classList.add('danger');
      b.addEventListener('click', () => sendCommand(id, action, tile));
      cmds.append(b);
    }
    $('#gates').append(tile);
  }
  return tile;
}

function renderGates() {
  let open = 0;
  for (const id of S.gates.keys()) {
    renderGate(id);
    const g = S.gates.get(id);
    if (g.status && g.status.lane_open && !g.status.out_of_service) open++;
  }
  $('#bank-summary').textContent = `${open} of ${S.gates.size} lanes open`;
}

function fmtElapsed(ms) {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function renderGate(id) {
  const g = S.gates.get(id);
  const tile = gateTile(id);
  const st = g.status;
  $('.unreachable', tile).hidden = !!g.reachable;
  if (!st) return;
  tile.dataset.phase = st.phase;
  tile.dataset.lane = st.lane_open ? 'open' : 'closed';
  tile.classList.toggle('closed', !st.lane_open);
  tile.classList.toggle('oos', !!st.out_of_service);
  tile.classList.toggle('active', st.phase !== 'idle');
  const lane = $('.lane', tile);
  lane.textContent = st.lane_open ? 'Lane open' : 'Lane closed';
  lane.className = 'badge lane ' + (st.lane_open ? 'open' : 'closed');
  $('.oos', tile).hidden = !st.out_of_service;
  $('.phase', tile).textContent = st.phase.replace(/_/g, ' ');
  $('.step', tile).textContent = st.step || '—';
  const live = $('.liveness', tile);
  live.textContent = st.liveness === 'not-checked' ? 'NOT CHECKED' : st.liveness;
  live.className = 'liveness ' + (st.liveness === 'not-checked' ? 'not-checked' : '');
  $('.counts', tile).textContent = `${st.passages_accepted} accepted · ${st.passages_referred} referred`;
  const trust = $('.trust', tile);
  const t = st.trust;
  trust.textContent = t
    ? `${t.cscas} CSCAs · next expiry ${t.next_expiry || '—'} · CRLs ${t.crl_freshness}${t.detail ? ' · reload failed: ' + t.detail : ''}`
    : '—';
  trust.className = 'trust' + (t && !t.ok ? ' fault' : '');
  const devs = $('.devices', tile);
  devs.replaceChildren(...(st.devices || []).map((d) => el('li', {
    class: d.ok ? 'ok' : 'fault', title: d.detail || '', text: `${d.device.replace(/_/g, ' ')}${d.ok ? '' : ': ' + (d.detail || 'fault')}`,
  })));
  updateElapsed(id);
  updatePhotos(id, tile, st);
}

function updateElapsed(id) {
  const g = S.gates.get(id);
  if (!g || !g.status) return;
  const tile = gateTile(id);
  const ms = g.status.elapsed_ms + (performance.now() - g.receivedAt);
  $('.elapsed', tile).textContent = fmtElapsed(ms);
}
setInterval(() => { for (const id of S.gates.keys()) updateElapsed(id); }, 500);

function updatePhotos(id, tile, st) {
  const box = $('.photos', tile);
  const show = !!(S.session && S.session.may.photos && st.photos_available);
  if (!show) {
    if (!box.hidden) {
      box.hidden = true;
      // Drop the images from the page as soon as the passage ends.
      $('.photo-chip', tile).removeAttribute('src');
      $('.photo-live', tile).removeAttribute('src');
    }
    return;
  }
  const key = st.phase + '|' + st.step;
  if (box.hidden || box.dataset.key !== key) {
    box.hidden = false;
    box.dataset.key = key;
    const t = Date.now();
    $('.photo-chip', tile).src = `/api/gates/${encodeURIComponent(id)}/photo/chip?t=${t}`;
    $('.photo-live', tile).src = `/api/gates/${encodeURIComponent(id)}/photo/live?t=${t}`;
  }
}

async function sendCommand(id, action, tile) {
  const line = $('.last-command', tile);
  line.textContent = `${ACTION_LABELS[action]}: sending…`;
  const r = await api('POST', `/api/gates/${encodeURIComponent(id)}/commands/${action}`, {});
  line.textContent = r.status === 202
    ? `${ACTION_LABELS[action]}: sent`
    : `${ACTION_LABELS[action]}: refused (${(r.data && r.data.message) || r.status})`;
}

// ---- alarms ------------------------------------------------------------------------------
function renderAlarms() {
  const list = $('#alarms');
  const sorted = [...S.alarms.values()].sort((a, b) => (!!a.ack - !!b.ack) || (b.id - a.id));
  // Update in place: an item being typed into is never replaced or moved, so a comment in
  // progress (and the focus) survives new alarms arriving.
  const existing = new Map([...list.children].map((li) => [li.dataset.alarm, li]));
  const wanted = sorted.map((a) => {
    const li = existing.get(String(a.id));
    return li && li.dataset.acked === String(!!a.ack) && li.dataset.cleared === String(!!a.cleared_ms) ? li : alarmItem(a);
  });
  const keep = new Set(wanted);
  for (const li of [...list.children]) if (!keep.has(li)) li.remove();
  wanted.forEach((li, i) => {
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
  const open = sorted.filter((a) => !a.ack).length;
  const c = $('#alarm-count');
  c.textContent = String(open);
  c.classList.toggle('zero', open === 0);
}

function alarmItem(a) {
  const li = el('li', {
    class: 'alarm' + (a.ack ? ' acked' : ''), 'data-alarm': String(a.id), 'data-reason': a.reason, 'data-acked': String(!!a.ack), 'data-cleared': String(!!a.cleared_ms),
  });
  li.append(
    el('div', {}, el('span', { class: 'reason', text: a.reason }), ' at ', el('strong', { text: a.gate }),
      el('span', { class: 'muted', text: ' ' + new Date(a.ts_ms).toLocaleTimeString() })),
  );
  if (a.source) {
    li.append(el('div', { class: 'source', text: `source ${a.source}` + (a.cleared_ms ? ': answers again' : ': not answering') }));
  }
  if (a.ack) {
    li.append(el('div', { class: 'ack', text: `acknowledged by ${a.ack.officer}: ${a.ack.comment}` }));
  } else if (S.session && S.session.may.ack_alarms) {
    const input = el('input', { placeholder: 'comment (required)', maxlength: '500', 'aria-label': 'comment' });
    const f = el('form', {}, input, el('button', { type: 'submit', text: 'Acknowledge' }));
    const msg = el('div', { class: 'error' });
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const r = await api('POST', `/api/alarms/${a.id}/ack`, { comment: input.value });
      if (r.status === 200) { S.alarms.set(a.id, r.data.alarm); renderAlarms(); }
      else msg.textContent = (r.data && r.data.message) || String(r.status);
    });
    li.append(f, msg);
  }
  return li;
}

// ---- referrals (border database hits) ------------------------------------------------------
// Every officer sees that a referral is open; only the one who takes it gets its required
// action and the passage's DG1 from the API, held here until closed.
let referralsLoading = false;
async function loadReferrals() {
  if (referralsLoading) return;
  referralsLoading = true;
  try {
    const r = await api('GET', '/api/referrals');
    if (r.status !== 200) return;
    S.referrals = r.data.referrals;
    const mine = S.referrals.filter((x) => S.session && x.taken_by === S.session.user);
    for (const x of mine) {
      const key = `${x.gate}/${x.id}`;
      if (!S.referralDetail.has(key)) {
        const d = await api('GET', `/api/gates/${encodeURIComponent(x.gate)}/referrals/${x.id}`);
        if (d.status === 200) S.referralDetail.set(key, d.data.referral);
      }
    }
    const open = new Set(S.referrals.map((x) => `${x.gate}/${x.id}`));
    for (const k of [...S.referralDetail.keys()]) if (!open.has(k)) S.referralDetail.delete(k);
    renderReferrals();
  } finally {
    referralsLoading = false;
  }
}

function renderReferrals() {
  const list = $('#referrals');
  list.replaceChildren(...S.referrals.map(referralItem));
  $('#referral-count').textContent = String(S.referrals.length);
}

const DG1_LABELS = [
  ['primary_identifier', 'Surname'], ['secondary_identifier', 'Given names'],
  ['birth_date', 'Born (YYMMDD)'], ['sex', 'Sex'], ['nationality', 'Nationality'],
  ['document_code', 'Document'], ['issuing_state', 'Issued by'],
  ['document_number', 'Number'], ['expiry_date', 'Expires (YYMMDD)'],
];

function referralItem(x) {
  const key = `${x.gate}/${x.id}`;
  const li = el('li', { class: 'referral', 'data-referral': key, 'data-reason': x.reason });
  li.append(el('div', {}, el('span', { class: 'reason', text: x.reason }), ' at ', el('strong', { text: x.gate }),
    el('span', { class: 'muted', text: x.taken_by ? ` handled by ${x.taken_by}` : ' not taken' })));
  const path = `/api/gates/${encodeURIComponent(x.gate)}/referrals/${x.id}`;
  const msg = el('div', { class: 'error' });
  const detail = S.referralDetail.get(key);
  if (detail) {
    const dl = el('dl', { class: 'referral-detail' },
      el('dt', { text: 'Source' }), el('dd', { class: 'source', text: detail.source }),
      el('dt', { text: 'Category' }), el('dd', { class: 'category', text: detail.category }),
      el('dt', { text: 'Action' }), el('dd', { class: 'action', text: detail.action }));
    for (const [k, label] of DG1_LABELS) {
      dl.append(el('dt', { text: label }), el('dd', { class: 'dg1-' + k, text: detail.dg1[k] }));
    }
    const close = el('button', { type: 'button', class: 'close-referral', text: 'Close referral' });
    close.addEventListener('click', async () => {
      const r = await api('POST', `${path}/close`, {});
      if (r.status === 200) { S.referralDetail.delete(key); loadReferrals(); }
      else msg.textContent = (r.data && r.data.message) || String(r.status);
    });
    li.append(dl, close);
  } else if (!x.taken_by && S.session && S.session.may.referrals) {
    const take = el('button', { type: 'button', class: 'take-referral', text: 'Take' });
    take.addEventListener('click', async () => {
      const r = await api('POST', `${path}/take`, {});
      if (r.status === 200) loadReferrals();
      else msg.textContent = (r.data && r.data.message) || String(r.status);
    });
    li.append(take);
  }
  li.append(msg);
  return li;
}

// ---- live events -------------------------------------------------------------------------
function connectEvents() {
  if (S.es) S.es.close();
  const es = new EventSource('/api/events');
  S.es = es;
  const state = $('#stream-state');
  es.onopen = () => { state.textContent = 'live'; state.classList.add('live'); reloadAll(); };
  es.onerror = async () => {
    state.textContent = 'reconnecting…'; state.classList.remove('live');
    const r = await api('GET', '/api/session');
    if (r.status === 401) showLogin();
  };
  es.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch (_) { return; }
    handleMessage(msg);
  };
}

let statsDebounce = null;
function handleMessage(msg) {
  if (msg.kind === 'gate') {
    const ev = msg.event;
    window.egateLatency.push(Date.now() - ev.ts_ms);
    if (window.egateLatency.length > 10000) window.egateLatency.shift();
    const g = S.gates.get(ev.gate) || { status: null, reachable: true, receivedAt: 0 };
    if (msg.status) { g.status = msg.status; g.reachable = true; g.receivedAt = performance.now(); }
    S.gates.set(ev.gate, g);
    renderGate(ev.gate);
    renderGates();
    const tile = gateTile(ev.gate);
    tile.dataset.lastSeq = String(ev.seq);
    tile.dataset.lastTs = String(ev.ts_ms);
    if (ev.type === 'command') {
      $('.last-command', tile).textContent =
        `${ACTION_LABELS[ev.action] || ev.action} by ${ev.officer}: ${ev.accepted ? 'done' : 'refused by the gate'}`;
    }
    if (msg.alarm) { S.alarms.set(msg.alarm.id, msg.alarm); renderAlarms(); }
    if (ev.type === 'passage') loadReferrals();
    if (ev.type === 'source_health' && ev.ok) {
      // The source answers again: its alarm is marked cleared in the queue.
      api('GET', '/api/alarms').then((a) => {
        if (a.status !== 200) return;
        for (const al of a.data.alarms) S.alarms.set(al.id, al);
        renderAlarms();
      });
    }
    if (ev.type === 'passage' && !statsDebounce) {
      statsDebounce = setTimeout(() => { statsDebounce = null; loadStats(); }, 1000);
    }
  } else if (msg.kind === 'alarm_ack') {
    S.alarms.set(msg.alarm.id, msg.alarm);
    renderAlarms();
  } else if (msg.kind === 'resync') {
    reloadAll();
  }
}

// ---- statistics (inline SVG) ---------------------------------------------------------------
$('#stats-scope').addEventListener('change', () => loadStats());

async function loadStats() {
  const gate = $('#stats-scope').value;
  const r = await api('GET', '/api/stats' + (gate ? '?gate=' + encodeURIComponent(gate) : ''));
  if (r.status !== 200) return;
  const s = r.data;
  const p50 = s.duration_p50_ms == null ? '—' : (s.duration_p50_ms / 1000).toFixed(1) + ' s';
  const p90 = s.duration_p90_ms == null ? '—' : (s.duration_p90_ms / 1000).toFixed(1) + ' s';
  $('#stats-summary').textContent = `${s.total} passages · median ${p50} · 90th percentile ${p90}`;
  $('#stats-trail').textContent = s.trail ? trailLine(s.trail) : 'since the console started';
  drawStacked($('#chart-hourly'), s.per_hour.map((b) => ({
    label: new Date(b.hour_start_ms).getHours().toString().padStart(2, '0'),
    parts: [['accepted', b.accepted], ['referred', b.referred], ['other', b.other]],
  })));
  drawBars($('#chart-outcomes'), Object.entries(s.outcomes).map(([k, v]) => ({ label: k, value: v, cls: 'bar-' + (k === 'accepted' || k === 'referred' ? k : 'other') })));
  drawBars($('#chart-reasons'), Object.entries(s.reasons).sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ label: k, value: v, cls: 'bar-referred' })), true);
  const labels = s.duration_buckets_s.map((b, i) => (i === 0 ? '<' + b : (s.duration_buckets_s[i - 1] + '–' + b)));
  labels.push('≥' + s.duration_buckets_s[s.duration_buckets_s.length - 1]);
  drawBars($('#chart-durations'), s.duration_histogram.map((v, i) => ({ label: labels[i], value: v, cls: 'bar-plain' })));
  drawStacked($('#chart-gates'), s.per_gate.map((g) => ({
    label: g.gate,
    parts: [['accepted', g.outcomes.accepted || 0], ['referred', g.outcomes.referred || 0],
      ['other', g.total - (g.outcomes.accepted || 0) - (g.outcomes.referred || 0)]],
  })));
}

// The audit trail's figures (egate audit stats): per-step failure to acquire and the
// false-rejection estimate, availability, alarm response.
function trailLine(t) {
  const pct = (v) => (v == null ? '—' : (v * 100).toFixed(1) + ' %');
  const secs = (v) => (v == null ? '—' : (v / 1000).toFixed(1) + ' s');
  const steps = ['document', 'face', 'liveness'].filter((k) => t.steps[k])
    .map((k) => `${k}: FTA ${pct(t.steps[k].fta_rate)}, FRR est. ${pct(t.steps[k].false_rejection_estimate)}`);
  const avail = Object.entries(t.gates).map(([g, v]) => `${g} ${pct(v.availability.ratio)}`);
  return `From the audit trail · ${steps.join(' · ')} · availability ${avail.join(', ') || '—'}` +
    ` · alarms ${t.alarms.raised} (${t.alarms.open} open), response median ${secs(t.alarms.response_time_ms.p50)}`;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// Every chart is an image whose text alternative reads out its figures (WCAG 2.1 1.1.1).
function frame(w, h, alt) {
  const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': alt });
  root.append(svg('title', {}, alt));
  return root;
}

function drawStacked(box, groups) {
  const W = 360, H = 160, L = 28, B = 22, T = 8;
  const alt = groups.map((g) => `${g.label}: ${g.parts.map(([k, v]) => `${v} ${k}`).join(', ')}`).join('; ');
  const root = frame(W, H, alt || 'no data yet');
  const max = Math.max(1, ...groups.map((g) => g.parts.reduce((a, p) => a + p[1], 0)));
  const bw = (W - L - 4) / Math.max(1, groups.length);
  root.append(svg('line', { x1: L, y1: H - B, x2: W, y2: H - B, class: 'axis' }));
  root.append(svg('text', { x: 2, y: T + 8 }, String(max)), svg('text', { x: 2, y: H - B }, '0'));
  groups.forEach((g, i) => {
    let y = H - B;
    for (const [name, v] of g.parts) {
      if (!v) continue;
      const h = (v / max) * (H - B - T);
      y -= h;
      const r = svg('rect', { x: L + i * bw + 1, y, width: Math.max(1, bw - 2), height: h, class: 'bar-' + name });
      r.append(svg('title', {}, `${g.label}: ${v} ${name}`));
      root.append(r);
    }
    if (groups.length <= 12 || i % 3 === 0) {
      root.append(svg('text', { x: L + i * bw + bw / 2, y: H - 8, 'text-anchor': 'middle' }, g.label));
    }
  });
  box.replaceChildren(root);
}

function drawBars(box, items, horizontal) {
  if (!items.length) { box.replaceChildren(el('p', { class: 'muted', text: 'none yet' })); return; }
  const max = Math.max(1, ...items.map((i) => i.value));
  const alt = items.map((i) => `${i.label}: ${i.value}`).join(', ');
  if (horizontal) {
    const W = 360, rowH = 18, L = 120, H = items.length * rowH + 4;
    const root = frame(W, H, alt);
    items.forEach((it, i) => {
      const w = (it.value / max) * (W - L - 30);
      root.append(svg('text', { x: L - 4, y: i * rowH + 13, 'text-anchor': 'end' }, it.label));
      const r = svg('rect', { x: L, y: i * rowH + 3, width: Math.max(1, w), height: rowH - 6, class: it.cls });
      r.append(svg('title', {}, `${it.label}: ${it.value}`));
      root.append(r, svg('text', { x: L + w + 4, y: i * rowH + 13 }, String(it.value)));
    });
    box.replaceChildren(root);
    return;
  }
  const W = 360, H = 160, B = 22, T = 12;
  const root = frame(W, H, alt);
  const bw = W / items.length;
  root.append(svg('line', { x1: 0, y1: H - B, x2: W, y2: H - B, class: 'axis' }));
  items.forEach((it, i) => {
    const h = (it.value / max) * (H - B - T);
    const r = svg('rect', { x: i * bw + 3, y: H - B - h, width: Math.max(1, bw - 6), height: h, class: it.cls });
    r.append(svg('title', {}, `${it.label}: ${it.value}`));
    root.append(r,
      svg('text', { x: i * bw + bw / 2, y: H - B - h - 2, 'text-anchor': 'middle' }, String(it.value)),
      svg('text', { x: i * bw + bw / 2, y: H - 8, 'text-anchor': 'middle' }, it.label));
  });
  box.replaceChildren(root);
}

// ---- start ---------------------------------------------------------------------------------
(async () => {
  const r = await api('GET', '/api/session');
  if (r.status === 200) startApp(r.data);
  else showLogin();
})();
