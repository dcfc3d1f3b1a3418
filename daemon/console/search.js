// SPDX-License-Identifier: Apache-2.0
// Finding a resident while they are on the phone: by name, unit, building or the number
// they call from (GET /api/v1/search). The box is in the header on every screen ("/"
// jumps to it); results say what matched and whether an alert is waiting for them.
'use strict';

import { $, el, raw, link, api, phoneLink } from './core.js';
import { t, priorityShort } from './i18n.js';
import { icon, kindOf } from './icons.js';
import { register, go } from './screens.js';

async function render(container, args) {
  const q = args.join('/');
  const h = el('h2', q ? t('console.search.results', { q }) : t('console.search.label'));
  h.id = 'search-title';
  h.tabIndex = -1;
  const list = el('ol', undefined, 'search-results');
  list.id = 'search-results';
  container.replaceChildren(h, list);
  const box = $('search-q');
  if (box && q && box.value !== q) box.value = q;
  if (!q) { box && box.focus(); return; }
  const r = await api('GET', 'search?q=' + encodeURIComponent(q));
  if (!r.ok) { container.append(el('p', t('console.error.generic', { status: r.status }), 'error')); return; }
  for (const res of r.data.results) {
    const li = el('li', undefined, 'search-hit');
    li.dataset.id = res.resident_id;
    const name = link(res.name, 'resident/' + encodeURIComponent(res.resident_id), 'title');
    li.append(name, ' ');
    if (res.household) {
      li.append(el('span', t('place.household', { building: res.household.building, unit: res.household.unit }), 'where'), ' ');
    }
    if (res.phone) li.append(phoneLink(res.phone), ' ');
    li.append(el('span', t('console.search.matched.' + res.matched), 'matched'));
    if (res.matched === 'emergency_phone' || res.matched === 'emergency_contact') {
      const c = (res.emergency_contacts || [])[0];
      if (c) li.append(' ', el('span', t('console.search.caller_is_contact', { name: c.name }), 'contact'), ' ', raw(c.phone));
    }
    if (res.away) li.append(' ', el('span', t('console.search.away'), 'away'));
    for (const a of res.open_alerts || []) {
      const b = link('', 'queue/' + encodeURIComponent(a.id), `open-alert p${a.priority}`);
      b.append(icon(kindOf(a)), ' ', priorityShort(a.priority), ' ', a.title);
      li.append(' ', b);
    }
    list.append(li);
  }
  if (!r.data.results.length) container.append(el('p', t('console.search.none'), 'empty'));
  if (r.data.truncated) container.append(el('p', t('console.search.truncated', { n: r.data.results.length }), 'hint'));
  const first = list.querySelector('a');
  (first || h).focus();
}

register({
  id: 'search',
  nav: { label: 'console.nav.search', key: '/', order: 15 },
  roles: ['operator', 'supervisor', 'social_worker', 'admin'],
  render,
});

/** The header's box: Enter searches. */
export function wireSearchBox() {
  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = $('search-q').value.trim();
    if (q) go('search/' + encodeURIComponent(q));
  });
}
