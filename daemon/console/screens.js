// SPDX-License-Identifier: Apache-2.0
// The console's screens and the router between them. A screen is a module that calls
// `register` once; the router shows it for its address (`#queue`, `#resident/R-1001`),
// and the tab bar lists the screens that have a `nav` entry for the logged-in role. A
// screen of another part (the supervisor's desk) plugs in the same way: a module file that
// registers its screens, listed in app.js.
//
//   register({
//     id: 'history',                       // the first segment of the address
//     nav: { label: 'console.nav.history', key: 'h', order: 20 },  // optional tab
//     roles: ['operator', 'supervisor', 'admin'],   // optional; default: everyone
//     render(container, args) { ... },      // draws into an empty <section>
//     leave() { ... },                      // optional: the screen is left
//     refresh() { ... },                    // optional: redraw in a new language
//   });
//
// A part with its own script (the desk, desk.js) may instead put its tabs into `nav.tabs`
// (after this router's, which are `[data-screen]`) and its screens into `#app-view` (shown
// while someone is logged in). The router tells it when one of its own screens is shown
// (document event `hearth:screen`, `detail.id`) and hides it; i18n.js tells it when the
// language changes (`hearth:locale`, `detail.locale`; also `<html data-locale>` and
// localStorage `hearth.locale`).
'use strict';

import { $, el, link, state } from './core.js';
import { t } from './i18n.js';

const screens = new Map();
let current = null;  // {screen, args, container}

export function register(screen) {
  screens.set(screen.id, screen);
}

function allowed(s) {
  return !!state.me && (!s.roles || s.roles.includes(state.me.role));
}

/** The screens with a tab for this role, in their order. */
export function tabs() {
  return [...screens.values()].filter((s) => s.nav && allowed(s))
    .sort((a, b) => (a.nav.order || 0) - (b.nav.order || 0));
}

/** The address of the current screen, split: ['resident', 'R-1001']. */
export function address() {
  return location.hash.replace(/^#/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export function go(hash) {
  if (location.hash === '#' + hash) show();
  else location.hash = hash;
}

export function currentId() {
  return current ? current.screen.id : null;
}

/**
 * Draws the tab bar for the logged-in role: this router's tabs first, then whatever tabs
 * another part put there (the desk's, `[data-desk-screen]`), which are left as they are.
 */
export function drawTabs() {
  const nav = $('tabs');
  for (const old of nav.querySelectorAll('[data-screen]')) old.remove();
  nav.setAttribute('aria-label', t('console.nav.label'));
  const before = nav.firstChild;
  for (const s of tabs()) {
    const a = link(t(s.nav.label), s.id, 'tab');
    a.dataset.screen = s.id;
    if (s.nav.key) a.append(' ', el('kbd', s.nav.key));
    if (current && current.screen.id === s.id) a.setAttribute('aria-current', 'page');
    nav.insertBefore(a, before);
  }
}

/** Shows the screen of the address (the first tab when there is none or it is not allowed). */
export async function show() {
  if (!state.me) return;
  const [id, ...args] = address();
  let s = screens.get(id);
  if (!s || !allowed(s)) s = tabs()[0];
  if (!s) return;
  if (current && current.screen.leave) current.screen.leave();
  // Another part's screen may be showing in #app-view: it is told to leave (the event), and
  // this router's own view shows.
  document.dispatchEvent(new CustomEvent('hearth:screen', { detail: { id: s.id } }));
  for (const other of $('app-view').querySelectorAll(':scope > .desk-screen')) other.hidden = true;
  $('screen').hidden = false;
  const container = el('section', undefined, 'screen screen-' + s.id);
  container.id = 'screen-' + s.id;
  $('screen').replaceChildren(container);
  current = { screen: s, args, container };
  drawTabs();
  await s.render(container, args);
}

/** Redraws the current screen (after a change of language). */
export async function redraw() {
  drawTabs();
  if (!current) return;
  if (current.screen.refresh) await current.screen.refresh();
  else await show();
}

export function leaveAll() {
  if (current && current.screen.leave) current.screen.leave();
  current = null;
  $('screen').replaceChildren();
  for (const old of $('tabs').querySelectorAll('[data-screen]')) old.remove();
}

/** Handles a key for the tab shortcuts; true when it was one. */
export function tabKey(key) {
  const s = tabs().find((x) => x.nav.key === key);
  if (!s) return false;
  go(s.id);
  return true;
}

window.addEventListener('hashchange', () => { show(); });
