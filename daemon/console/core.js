// SPDX-License-Identifier: Apache-2.0
// What every screen of the console shares: who is logged in, the HTTP API, a tiny event
// bus, and the one way text gets into the page (textContent, never HTML).
'use strict';

export const state = {
  me: null,        // {user, role, locale, timezone}
  alerts: new Map(), // id -> alert (open and acknowledged), from the API and the stream
};

// --- events ----------------------------------------------------------------------------

const handlers = new Map();
/** Calls `fn(detail)` on each `emit(name, detail)`. */
export function on(name, fn) {
  if (!handlers.has(name)) handlers.set(name, []);
  handlers.get(name).push(fn);
}
export function emit(name, detail) {
  for (const fn of handlers.get(name) || []) {
    try { fn(detail); } catch (e) { console.error(e); }
  }
}

// --- HTTP ------------------------------------------------------------------------------

let language = '';
/** The language the API answers in (sent as Accept-Language). */
export function setApiLanguage(locale) { language = locale; }

export async function api(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (language) init.headers['Accept-Language'] = language;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch('/api/v1/' + path, init);
  } catch {
    return { status: 0, ok: false, data: null };
  }
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (res.status === 401 && path !== 'login' && state.me) emit('session-ended');
  return { status: res.status, ok: res.ok, data };
}

// Every list of the API may come in pages (at most 1,000 items; `next_cursor` continues):
// the whole list, one page after the other.
export async function apiAll(path, key) {
  const items = [];
  let cursor = null;
  for (let pages = 0; pages < 100; ++pages) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api('GET', path + (cursor ? sep + 'cursor=' + encodeURIComponent(cursor) : ''));
    if (!r.ok) return r;
    items.push(...r.data[key]);
    cursor = r.data.next_cursor;
    if (!cursor) break;
  }
  return { status: 200, ok: true, data: { [key]: items } };
}

// --- roles -----------------------------------------------------------------------------

const may = {
  personal: ['operator', 'supervisor', 'social_worker', 'admin'],
  devices: ['operator', 'supervisor', 'integrator', 'admin'],
  away: ['supervisor', 'social_worker', 'admin'],
  contacts: ['operator', 'supervisor', 'admin'],
  act: ['operator', 'supervisor', 'social_worker', 'admin'],
};
/** Whether the logged-in role may `what` (personal, devices, away, contacts, act). */
export function can(what) {
  return !!state.me && may[what].includes(state.me.role);
}

// --- the page --------------------------------------------------------------------------

export const $ = (id) => document.getElementById(id);

/** An element with `text` (via textContent) and a class. */
export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** A link to a screen of the console (`#resident/R-1001`). */
export function link(text, hash, cls) {
  const a = el('a', text, cls);
  a.href = '#' + hash;
  return a;
}

/** A value that is data, not words (an id, a phone number): kept apart for tests and styles. */
export function raw(text, tag = 'span') {
  const e = el(tag, text, 'raw');
  e.dataset.raw = '';
  e.translate = false;
  return e;
}

export function phoneLink(number) {
  const a = raw(number, 'a');
  a.href = 'tel:' + number.replace(/[^0-9+]/g, '');
  return a;
}
