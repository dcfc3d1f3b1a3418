// SPDX-License-Identifier: Apache-2.0
// The hearth operator console: plain JavaScript, no build step, no inline script (the page
// ships with a Content-Security-Policy). Data is put into the page with textContent only.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  me: null,            // {user, role}
  alerts: new Map(),   // id -> alert (open and acknowledged)
  selected: null,      // alert id shown in the detail panel
  ws: null,
  wsDelay: 500,
  audio: null,
  residentSelected: null,
};

// --- HTTP ------------------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch('/api/v1/' + path, init);
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (res.status === 401 && path !== 'login' && state.me) {
    showLogin('Your session has ended; log in again.');
  }
  return { status: res.status, ok: res.ok, data };
}

// --- time ------------------------------------------------------------------------------

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

function localTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// --- sound -----------------------------------------------------------------------------

// Browsers only allow sound after a user gesture: the context is made on the first one.
function unlockAudio() {
  if (state.audio) return;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (Ctx) state.audio = new Ctx();
}

function beep() {
  const ctx = state.audio;
  if (!ctx) return;
  if (ctx.state === 'suspended') ctx.resume();
  const t0 = ctx.currentTime;
  for (let i = 0; i < 3; i++) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.25, t0 + i * 0.35);
    gain.gain.exponentialRampToValueAtTime(0.001, t0 + i * 0.35 + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + i * 0.35);
    osc.stop(t0 + i * 0.35 + 0.3);
  }
}

// --- login -----------------------------------------------------------------------------

function showLogin(message) {
  state.me = null;
  if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
  state.lastSeq = undefined;
  $('app-view').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('p1-banner').hidden = true;
  setLive(false, 'not connected');
  $('login-view').hidden = false;
  $('login-error').textContent = message || '';
  $('login-user').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  unlockAudio();
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  if (!user || !password) {
    $('login-error').textContent = 'Enter your user name and password.';
    return;
  }
  $('login-submit').disabled = true;
  const r = await api('POST', 'login', { user, password });
  $('login-submit').disabled = false;
  $('login-password').value = '';
  if (!r.ok) {
    $('login-error').textContent = r.status === 429
      ? 'Too many failed attempts. Wait a minute, then try again.'
      : (r.data && r.data.message) || 'Login failed.';
    return;
  }
  await start({ user: r.data.user, role: r.data.role });
}

async function onLogout() {
  await api('POST', 'logout');
  showLogin('You have logged out.');
}

// --- start -----------------------------------------------------------------------------

async function start(me) {
  state.me = me;
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('logout').hidden = false;
  $('who').textContent = `${me.user} (${me.role.replace('_', ' ')})`;
  const caseload = me.role === 'social_worker';
  $('tab-caseload').hidden = !caseload;
  showTab('queue');
  await loadQueue();
  connect();
  if (caseload) loadCaseload();
  const first = document.querySelector('#queue .alert-row');
  (first || $('queue-title')).focus?.();
}

function showTab(which) {
  const queue = which === 'queue';
  $('tab-queue').setAttribute('aria-pressed', String(queue));
  $('tab-caseload').setAttribute('aria-pressed', String(!queue));
  document.querySelector('.columns').hidden = !queue;
  $('caseload-view').hidden = queue;
  if (!queue) loadCaseload();
}

// --- the queue -------------------------------------------------------------------------

async function loadQueue() {
  const r = await api('GET', 'alerts');
  if (!r.ok) return;
  state.alerts.clear();
  for (const a of r.data.alerts) state.alerts.set(a.id, a);
  renderQueue();
}

function ordered() {
  return [...state.alerts.values()]
    .filter((a) => a.state !== 'resolved')
    .sort((a, b) => a.priority - b.priority || a.opened_at.localeCompare(b.opened_at) || Number(a.id) - Number(b.id));
}

function renderQueue() {
  const list = $('queue');
  const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : null;
  list.replaceChildren();
  const alerts = ordered();
  $('queue-empty').hidden = alerts.length > 0;
  $('queue-count').textContent = alerts.length ? `(${alerts.length})` : '';
  for (const a of alerts) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `alert-row p${a.priority} ${a.state}` + (a.id === state.selected ? ' selected' : '');
    b.dataset.id = a.id;
    const pr = document.createElement('span');
    pr.className = 'prio';
    pr.textContent = 'P' + a.priority;
    const title = document.createElement('span');
    title.className = 'title';
    title.textContent = a.title;
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = [a.subject.building, a.subject.household_id].filter(Boolean).join(' · ');
    const st = document.createElement('span');
    st.className = 'state';
    st.textContent = a.state === 'acknowledged' ? `claimed by ${a.assignee}` : 'open';
    const wait = document.createElement('span');
    wait.className = 'wait';
    wait.dataset.opened = a.opened_at;
    wait.dataset.due = (a.lifecycle && a.lifecycle.due_at) || '';
    wait.dataset.kind = a.state === 'open' ? 'claim' : 'resolve';
    b.append(pr, title, where, st, wait);
    b.setAttribute('aria-label', `Priority ${a.priority}: ${a.title}, ${st.textContent}`);
    b.addEventListener('click', () => openAlert(a.id));
    li.append(b);
    list.append(li);
  }
  tickTimes();
  if (focusedId) {
    const again = list.querySelector(`[data-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }
  const p1 = alerts.filter((a) => a.priority === 1 && a.state === 'open');
  const banner = $('p1-banner');
  if (p1.length) {
    banner.hidden = false;
    banner.textContent = `P1 — ${p1.length} life-safety alert${p1.length > 1 ? 's' : ''} waiting to be claimed: ${p1[0].title}`;
  } else {
    banner.hidden = true;
  }
}

// Waiting time against the response target, redrawn each second from the data the page holds.
function tickTimes() {
  const now = Date.now();
  for (const el of document.querySelectorAll('.wait')) {
    const waited = now - Date.parse(el.dataset.opened);
    let text = `waiting ${clock(waited)}`;
    el.classList.remove('overdue');
    if (el.dataset.due) {
      const left = Date.parse(el.dataset.due) - now;
      if (left >= 0) {
        text += ` · ${el.dataset.kind} within ${clock(left)}`;
      } else {
        text += ` · ${el.dataset.kind} OVERDUE ${clock(-left)}`;
        el.classList.add('overdue');
      }
    }
    el.textContent = text;
  }
}

// --- the live stream -------------------------------------------------------------------

function setLive(on, text) {
  const el = $('live');
  el.textContent = text;
  el.classList.toggle('off', !on);
  el.classList.toggle('on', on);
}

function connect() {
  if (!state.me) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // Resume where the last stream stopped (a failover, a network blip): the server sends the
  // transitions numbered after lastSeq before the live ones, so none is missed.
  const resume = state.lastSeq !== undefined;
  const query = resume ? `?after=${state.lastSeq}` : '';
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/stream${query}`);
  state.ws = ws;
  ws.onopen = () => {
    state.wsDelay = 500;
    setLive(true, 'live');
  };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg.hello) {
      // A first stream, or one that cannot be resumed (too much missed): reload the queue.
      if (!resume || msg.resync) {
        state.lastSeq = msg.hello.seq;
        loadQueue();
      }
      return;
    }
    if (msg.transition) {
      if (msg.seq) state.lastSeq = Math.max(state.lastSeq || 0, msg.seq);
      onTransition(msg);
    }
  };
  ws.onclose = () => {
    if (state.ws !== ws || !state.me) return;
    setLive(false, 'reconnecting…');
    const delay = state.wsDelay;
    state.wsDelay = Math.min(state.wsDelay * 2, 10000);
    window.setTimeout(async () => {
      if (!state.me) return;
      let me;
      try { me = await api('GET', 'me'); } catch { me = { ok: false, status: 0 }; }
      if (me.ok) connect();
      else if (me.status !== 401) ws.onclose();  // down, or the active node is changing: retry
    }, delay);
  };
}

function onTransition(a) {
  const known = state.alerts.has(a.id);
  if (a.state === 'resolved') state.alerts.delete(a.id);
  else state.alerts.set(a.id, a);
  if (a.priority === 1 && a.state === 'open' && (!known || a.action === 'urgency-raised')) beep();
  renderQueue();
  if (state.selected === a.id) openAlert(a.id, { keepFocus: true });
}

// --- one alert -------------------------------------------------------------------------

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function phoneLink(number) {
  const a = el('a', number);
  a.href = 'tel:' + number.replace(/[^0-9+]/g, '');
  return a;
}

function personBlock(r) {
  const box = el('div', undefined, 'person');
  box.append(el('h4', r.name));
  const age = r.birth_year ? `born ${r.birth_year} (about ${new Date().getFullYear() - r.birth_year})` : '';
  box.append(el('p', [age, r.lives_alone ? 'lives alone' : 'does not live alone'].filter(Boolean).join(' · ')));
  if (r.phone) { const p = el('p', 'Phone: '); p.append(phoneLink(r.phone)); box.append(p); }
  for (const c of r.emergency_contacts || []) {
    const p = el('p', `Emergency contact: ${c.name} `);
    if (c.phone) p.append(phoneLink(c.phone));
    box.append(p);
  }
  if (r.household) box.append(el('p', `Address: ${r.household.address} (${r.household.household_id})`));
  if (r.social_worker) box.append(el('p', `Social worker: ${r.social_worker}`));
  if (r.away) box.append(el('p', `Away until ${localTime(r.away.until)}: ${r.away.reason}`, 'away'));
  return box;
}

async function openAlert(id, opts = {}) {
  const r = await api('GET', 'alerts/' + encodeURIComponent(id));
  if (!r.ok) {
    if (r.status === 404 && state.selected === id) closeAlert();
    return;
  }
  const a = r.data;
  state.selected = id;
  $('detail-view').hidden = false;
  $('detail-view').classList.toggle('p1', a.priority === 1);
  $('detail-title').textContent = `P${a.priority} · ${a.title}`;
  const who = a.assignee ? ` · claimed by ${a.assignee}` : '';
  $('detail-meta').textContent = `#${a.id} · ${a.state}${who} · opened ${localTime(a.opened_at)} · ` +
    `${a.occurrences} occurrence${a.occurrences > 1 ? 's' : ''}` +
    (a.lifecycle ? ` · tier: ${a.lifecycle.tier.replace('_', ' ')}` : '') + (a.outcome ? ` · outcome: ${a.outcome}` : '');
  $('detail-summary').textContent = a.summary;
  const people = $('detail-people');
  people.replaceChildren();
  if (a.residents && a.residents.length) {
    people.append(el('h3', 'Who'));
    for (const res of a.residents) people.append(personBlock(res));
  } else if (a.household) {
    people.append(el('p', `Address: ${a.household.address}`));
  }
  const ev = $('detail-evidence');
  ev.replaceChildren();
  for (const e of a.evidence || []) ev.append(el('li', `${localTime(e.ts)} · ${e.device_id} · ${e.metric} = ${e.value}`));
  const tl = $('detail-timeline');
  tl.replaceChildren();
  for (const t of a.timeline || []) {
    tl.append(el('li', `${localTime(t.at)} · ${t.actor} · ${t.action}${t.note ? ' — ' + t.note : ''}`));
  }
  const resolved = a.state === 'resolved';
  $('act-claim').disabled = a.state !== 'open';
  $('act-escalate').disabled = resolved;
  $('act-resolve').disabled = resolved;
  $('action-error').textContent = '';
  if (state.alerts.has(id) && !resolved) state.alerts.set(id, a);
  renderQueue();
  if (!opts.keepFocus) $('detail-title').focus();
}

function closeAlert() {
  const id = state.selected;
  state.selected = null;
  $('detail-view').hidden = true;
  renderQueue();
  const row = id && document.querySelector(`#queue [data-id="${CSS.escape(id)}"]`);
  (row || $('queue-title')).focus?.();
}

async function act(path, body) {
  const id = state.selected;
  if (!id) return;
  const r = await api('POST', `alerts/${encodeURIComponent(id)}/${path}`, body);
  if (!r.ok) {
    $('action-error').textContent = (r.data && r.data.message) || `The action failed (${r.status}).`;
    return false;
  }
  await openAlert(id, { keepFocus: true });
  return true;
}

async function onResolve() {
  const outcome = $('resolve-outcome').value;
  if (!outcome) {
    $('action-error').textContent = 'Choose an outcome first.';
    $('resolve-outcome').focus();
    return;
  }
  const note = $('note-text').value.trim();
  const ok = await act('resolve', note ? { outcome, note } : { outcome });
  if (ok) {
    $('note-text').value = '';
    $('resolve-outcome').value = '';
    state.alerts.delete(state.selected);
    renderQueue();
  }
}

// --- caseload (social workers) ---------------------------------------------------------

async function loadCaseload() {
  const r = await api('GET', 'residents');
  if (!r.ok) return;
  const list = $('caseload');
  list.replaceChildren();
  for (const res of r.data.residents) {
    const li = document.createElement('li');
    const b = el('button', undefined, 'resident-row');
    b.type = 'button';
    b.dataset.id = res.resident_id;
    b.append(el('span', res.name, 'title'),
             el('span', res.household ? res.household.address : res.household_id, 'where'),
             el('span', res.away ? `away until ${localTime(res.away.until)}` : 'at home', res.away ? 'away' : 'state'));
    b.addEventListener('click', () => openResident(res.resident_id));
    li.append(b);
    list.append(li);
  }
  if (!r.data.residents.length) list.append(el('li', 'No residents in your caseload.'));
}

async function openResident(id) {
  const r = await api('GET', 'residents/' + encodeURIComponent(id));
  if (!r.ok) return;
  state.residentSelected = id;
  const res = r.data;
  $('resident-view').hidden = false;
  $('resident-title').textContent = res.name;
  const facts = $('resident-facts');
  facts.replaceChildren(personBlock(res));
  const hist = $('resident-history');
  hist.replaceChildren();
  for (const a of res.recent_alerts || []) {
    hist.append(el('li', `${localTime(a.opened_at)} · P${a.priority} · ${a.title} · ${a.state}${a.outcome ? ' (' + a.outcome + ')' : ''}`));
  }
  if (!(res.recent_alerts || []).length) hist.append(el('li', 'No alerts so far.'));
  $('away-error').textContent = '';
  $('resident-title').focus();
}

async function onAway(ev) {
  ev.preventDefault();
  const id = state.residentSelected;
  const until = $('away-until').value;
  const reason = $('away-reason').value.trim();
  if (!id || !until || !reason) {
    $('away-error').textContent = 'Give a date and a reason.';
    return;
  }
  const r = await api('POST', `residents/${encodeURIComponent(id)}/away`, { until: new Date(until).toISOString(), reason });
  if (!r.ok) {
    $('away-error').textContent = (r.data && r.data.message) || 'Could not set away.';
    return;
  }
  $('away-reason').value = '';
  await loadCaseload();
  await openResident(id);
}

// --- keyboard --------------------------------------------------------------------------

function onKey(ev) {
  unlockAudio();
  const t = ev.target;
  const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
  if (ev.key === 'Escape' && !$('detail-view').hidden) { closeAlert(); return; }
  if (typing || !state.me || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const rows = [...document.querySelectorAll('#queue .alert-row')];
  const i = rows.indexOf(document.activeElement);
  if (ev.key === 'j' || ev.key === 'k') {
    if (!rows.length) return;
    const next = ev.key === 'j' ? Math.min(rows.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
    rows[next].focus();
    ev.preventDefault();
  } else if (ev.key === 'c' && state.selected && !$('act-claim').disabled) {
    act('claim', {});
  } else if (ev.key === 'q') {
    showTab('queue');
  } else if (ev.key === 'w' && !$('tab-caseload').hidden) {
    showTab('caseload');
  }
}

// --- wiring ----------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', async () => {
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  $('detail-close').addEventListener('click', closeAlert);
  $('act-claim').addEventListener('click', () => act('claim', {}));
  $('act-escalate').addEventListener('click', () => {
    const note = $('note-text').value.trim();
    act('escalate', note ? { note } : {}).then((ok) => { if (ok) $('note-text').value = ''; });
  });
  $('act-note').addEventListener('click', async () => {
    const text = $('note-text').value.trim();
    if (!text) { $('action-error').textContent = 'Write a note first.'; $('note-text').focus(); return; }
    if (await act('notes', { text })) $('note-text').value = '';
  });
  for (const b of document.querySelectorAll('#note-presets .preset')) {
    b.addEventListener('click', () => act('notes', { text: b.dataset.note }));
  }
  $('act-resolve').addEventListener('click', onResolve);
  $('tab-queue').addEventListener('click', () => showTab('queue'));
  $('tab-caseload').addEventListener('click', () => showTab('caseload'));
  $('away-form').addEventListener('submit', onAway);
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', unlockAudio);
  window.setInterval(tickTimes, 1000);

  const me = await api('GET', 'me');
  if (me.ok) await start(me.data);
  else showLogin();
});
