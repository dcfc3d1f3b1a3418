// SPDX-License-Identifier: Apache-2.0
// The hearth console: plain JavaScript modules, no build step, no inline script (the page
// ships with a Content-Security-Policy). This file starts it: the language, the login, the
// live stream and the keyboard; each screen is a module that registers itself with the
// router (screens.js). Every string a person reads comes from the message catalogue
// (i18n.js); there is no literal text here or in index.html.
'use strict';

import { $, state, api, emit, on } from './core.js';
import * as i18n from './i18n.js';
import { t } from './i18n.js';
import * as screens from './screens.js';
import * as attention from './attention.js';
import { loadQueue, queueKey, oldestUnclaimedP1 } from './queue.js';
import { refreshIfShown } from './alert.js';
import { wireSearchBox } from './search.js';
// Screens: each module registers its own (and the supervisor's desk adds its files here).
import './people.js';
import './device.js';
import './history.js';

// lastSeq: the last transition's number the stream delivered (resumed from after it).
const live = { ws: null, delay: 500, status: 'off', lastSeq: undefined };

// --- language --------------------------------------------------------------------------

function drawLanguages() {
  const sel = $('language');
  sel.replaceChildren();
  for (const l of i18n.locales()) {
    const o = document.createElement('option');
    o.value = l;
    o.textContent = t(l === 'en' ? 'console.language.english' : 'console.language.chinese');
    o.lang = l;
    sel.append(o);
  }
  sel.value = i18n.locale();
}

async function useLanguage(l) {
  await i18n.loadLocale(l);
  drawLanguages();
  setLive(live.status);
  drawWho();
  attention.draw();
  if (state.me) await screens.redraw();
}

async function onLanguage() {
  const l = $('language').value;
  await useLanguage(l);
  // Remembered with the user, so that it follows them to any browser.
  if (state.me) {
    const r = await api('PATCH', 'me', { locale: l });
    if (r.ok) state.me.locale = r.data.locale;
  }
}

// --- login -----------------------------------------------------------------------------

function showLogin(messageKey) {
  state.me = null;
  state.alerts.clear();
  closeStream();
  live.lastSeq = undefined;
  screens.leaveAll();
  emit('logged-out');
  $('logout').hidden = true;
  $('mute').hidden = true;
  $('search-form').hidden = true;
  $('who').textContent = '';
  $('p1-banner').hidden = true;
  setLive('off');
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = messageKey ? t(messageKey) : '';
  $('login-user').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  attention.unlock();
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  if (!user || !password) { $('login-error').textContent = t('console.login.missing'); return; }
  $('login-submit').disabled = true;
  const r = await api('POST', 'login', { user, password });
  $('login-submit').disabled = false;
  $('login-password').value = '';
  if (!r.ok) {
    $('login-error').textContent = r.status === 429 ? t('console.login.locked')
      : r.status === 401 ? t('console.login.failed') : t('console.login.error', { status: r.status });
    return;
  }
  await start(r.data);
}

async function onLogout() {
  await api('POST', 'logout');
  showLogin('console.login.logged_out');
}

function drawWho() {
  if (!state.me) return;
  $('who').textContent = t('console.who', { user: state.me.user, role: i18n.roleName(state.me.role) });
}

async function start(me) {
  state.me = { user: me.user, role: me.role, locale: me.locale || null, timezone: me.timezone };
  i18n.setTimezone(me.timezone);
  // The user's own language when they picked one; otherwise the one in use (the browser's).
  if (me.locale && me.locale !== i18n.locale()) await useLanguage(me.locale);
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('logout').hidden = false;
  $('search-form').hidden = !['operator', 'supervisor', 'social_worker', 'admin'].includes(me.role);
  drawWho();
  attention.draw();
  await loadQueue();
  connect();
  await screens.show();
}

// --- the live stream -------------------------------------------------------------------

function setLive(status) {
  live.status = status;
  const e = $('live');
  e.textContent = t('console.live.' + status);
  e.classList.toggle('on', status === 'on');
  e.classList.toggle('off', status !== 'on');
}

function closeStream() {
  if (live.ws) { live.ws.onclose = null; live.ws.close(); live.ws = null; }
}

function connect() {
  if (!state.me) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // Resume where the last stream stopped (a failover, a network blip): the server sends the
  // transitions numbered after lastSeq before the live ones, so none is missed.
  const resume = live.lastSeq !== undefined;
  const query = resume ? `?after=${live.lastSeq}` : '';
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/stream${query}`);
  live.ws = ws;
  ws.onopen = () => {
    live.delay = 500;
    setLive('on');
  };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg.hello) {
      // A first stream, or one that cannot be resumed (too much missed): reload the queue.
      if (!resume || msg.resync) {
        live.lastSeq = msg.hello.seq;
        loadQueue();
      }
      return;
    }
    if (msg.transition) {
      if (msg.seq) live.lastSeq = Math.max(live.lastSeq || 0, msg.seq);
      onTransition(msg);
    }
  };
  ws.onclose = () => {
    if (live.ws !== ws || !state.me) return;
    setLive('reconnecting');
    const delay = live.delay;
    live.delay = Math.min(live.delay * 2, 10000);
    window.setTimeout(async () => {
      if (!state.me) return;
      const me = await api('GET', 'me');  // { status: 0 } when the node is unreachable
      if (me.ok) connect();
      else if (me.status !== 401) ws.onclose();  // down, or the active node is changing: retry
    }, delay);
  };
}

function onTransition(a) {
  const known = state.alerts.has(a.id);
  if (a.state === 'resolved') state.alerts.delete(a.id);
  else state.alerts.set(a.id, a);
  if (!known && a.state !== 'resolved' && a.transition === 'opened') {
    emit('alert-arrived', a);
    attention.arrived(a);
  } else if (a.action === 'urgency-raised') {
    attention.arrived(a);
  }
  emit('alerts-changed');
  refreshIfShown(a.id);
}

// --- keyboard --------------------------------------------------------------------------

function onKey(ev) {
  attention.unlock();
  const target = ev.target;
  const typing = target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
  if (!state.me || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === 'Escape' && queueKey(ev)) { ev.preventDefault(); return; }
  if (typing) return;
  if (queueKey(ev)) { ev.preventDefault(); return; }
  if (ev.key === '/') {
    const box = $('search-q');
    if (box && !$('search-form').hidden) { box.focus(); box.select(); ev.preventDefault(); }
    return;
  }
  if (ev.key === 'm') { attention.toggleMute(); return; }
  if (screens.tabKey(ev.key)) ev.preventDefault();
}

// --- wiring ----------------------------------------------------------------------------

on('session-ended', () => showLogin('console.login.ended'));

document.addEventListener('DOMContentLoaded', async () => {
  try {
    await i18n.loadLocale(i18n.browserLocale());
  } catch {
    await i18n.loadLocale('zh-CN');
  }
  drawLanguages();
  setLive('off');
  $('language').addEventListener('change', onLanguage);
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  $('mute').addEventListener('click', () => attention.toggleMute());
  $('p1-banner').addEventListener('click', (ev) => {
    const oldest = oldestUnclaimedP1();
    if (!oldest) return;
    ev.preventDefault();
    screens.go('queue/' + encodeURIComponent(oldest.id));
  });
  wireSearchBox();
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', () => attention.unlock());
  window.setInterval(() => { if (state.me) { emit('tick'); attention.tick(); } }, 1000);
  document.body.dataset.ready = 'true';

  const me = await api('GET', 'me');
  if (me.ok) await start(me.data);
  else showLogin();
});
