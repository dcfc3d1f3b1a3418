// SPDX-License-Identifier: Apache-2.0
// Resolved alerts with their outcomes: when each opened, how long it waited to be claimed
// (red when past its first target), who had it, and how it ended. Filters as in the queue.
'use strict';

import { el, raw, link, apiAll, state } from './core.js';
import { t, when, duration, priorityShort } from './i18n.js';
import { icon, kindOf } from './icons.js';
import { register } from './screens.js';
import { filterBar } from './queue.js';
import { waiting } from './waiting.js';

const filters = { priority: '', state: '', building: '', mine: false };
let rows = [];

function draw(body) {
  body.replaceChildren();
  const shown = rows.filter((a) => (!filters.priority || String(a.priority) === filters.priority) &&
    (!filters.building || a.subject.building === filters.building) &&
    (!filters.mine || a.assignee === state.me.user));
  for (const a of shown) {
    const w = waiting(a);
    const tr = el('tr', undefined, w.missed ? 'missed' : '');
    tr.dataset.id = a.id;
    const c1 = el('td');
    c1.append(el('time', when(a.opened_at)));
    const c2 = el('td');
    c2.append(icon(kindOf(a)), ' ', priorityShort(a.priority));
    const c3 = el('td');
    c3.append(link(a.title, 'queue/' + encodeURIComponent(a.id)));
    const c4 = el('td', w.claimedAfter === null ? t('console.history.unclaimed') : duration(w.claimedAfter),
      w.missed ? 'wait missed' : 'wait');
    const c5 = el('td');
    if (a.assignee) c5.append(raw(a.assignee));
    const c6 = el('td', a.outcome ? t('outcome.' + a.outcome) : '', 'outcome');
    const c7 = el('td');
    if (a.lifecycle && a.lifecycle.resolved_at) c7.append(el('time', when(a.lifecycle.resolved_at)));
    tr.append(c1, c2, c3, c4, c5, c6, c7);
    body.append(tr);
  }
  return shown.length;
}

async function render(container) {
  const h = el('h2', t('console.history.title'));
  h.id = 'history-title';
  h.tabIndex = -1;
  container.replaceChildren(h);
  const r = await apiAll('alerts?state=resolved', 'alerts');
  rows = r.ok ? r.data.alerts : [];
  const buildings = [...new Set(rows.map((a) => a.subject.building).filter(Boolean))].sort();
  const table = el('table', undefined, 'history');
  table.id = 'history';
  const cap = el('caption', t('console.history.caption'));
  const head = el('tr');
  for (const k of ['opened', 'priority', 'alert', 'claimed_after', 'assignee', 'outcome', 'resolved']) {
    const th = el('th', t('console.history.col.' + k));
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  const body = el('tbody');
  table.append(cap, thead, body);
  const empty = el('p', t('console.history.empty'), 'empty');
  const redraw = () => { empty.hidden = draw(body) > 0; };
  container.append(filterBar(filters, redraw, { states: false, buildings }), table, empty);
  redraw();
  h.focus();
}

register({
  id: 'history',
  nav: { label: 'console.nav.history', key: 'h', order: 20 },
  roles: ['operator', 'supervisor', 'social_worker', 'admin', 'integrator'],
  render,
});
