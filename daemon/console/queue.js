// SPDX-License-Identifier: Apache-2.0
// The alert queue: most urgent first, unclaimed before claimed, then oldest. Each row shows
// an icon as well as a colour, how long the alert has waited against its first target
// (red once missed, and it stays red), its tier, missed targets and who has it, and "new"
// until someone opens it here. Filters: priority, state, building, mine. The alert opens
// beside the queue (alert.js).
'use strict';

import { $, el, raw, state, on, apiAll } from './core.js';
import { t, priorityShort, priorityName } from './i18n.js';
import { icon, kindOf } from './icons.js';
import { register, go, currentId } from './screens.js';
import { waitingLine } from './waiting.js';
import { showAlert, closeAlert, selectedAlert, actOnSelected } from './alert.js';

const fresh = new Set();  // ids that arrived live and have not been opened here
const filters = { priority: '', state: '', building: '', mine: false };
let root = null;

export async function loadQueue() {
  const r = await apiAll('alerts', 'alerts');
  if (!r.ok) return;
  state.alerts.clear();
  for (const a of r.data.alerts) state.alerts.set(a.id, a);
  renderRows();
}

export function ordered() {
  const rank = (a) => (a.state === 'open' ? 0 : 1);
  return [...state.alerts.values()].filter((a) => a.state !== 'resolved')
    .sort((a, b) => a.priority - b.priority || rank(a) - rank(b) ||
      a.opened_at.localeCompare(b.opened_at) || Number(a.id) - Number(b.id));
}

function visible(a) {
  if (filters.priority && String(a.priority) !== filters.priority) return false;
  if (filters.state && a.state !== filters.state) return false;
  if (filters.building && a.subject.building !== filters.building) return false;
  if (filters.mine && a.assignee !== state.me.user) return false;
  return true;
}

/** The oldest P1 nobody has claimed (the banner links to it). */
export function oldestUnclaimedP1() {
  return ordered().filter((a) => a.priority === 1 && a.state === 'open')
    .sort((a, b) => a.opened_at.localeCompare(b.opened_at))[0];
}

function select(labelKey, id, options, value, onChange) {
  const wrap = el('span', undefined, 'filter');
  const label = el('label', t(labelKey));
  label.htmlFor = id;
  const s = el('select');
  s.id = id;
  for (const [v, text] of options) {
    const o = el('option', text);
    o.value = v;
    s.append(o);
  }
  s.value = value;
  s.addEventListener('change', () => onChange(s.value));
  wrap.append(label, s);
  return wrap;
}

/** The filter bar; shared with the history screen. */
export function filterBar(f, onChange, { states = true, buildings = [] } = {}) {
  const bar = el('form', undefined, 'filters');
  bar.setAttribute('aria-label', t('console.filter.label'));
  bar.addEventListener('submit', (e) => e.preventDefault());
  bar.append(select('console.filter.priority', 'filter-priority',
    [['', t('console.filter.any')], ...[1, 2, 3, 4].map((p) => [String(p), `${priorityShort(p)} ${priorityName(p)}`])],
    f.priority, (v) => { f.priority = v; onChange(); }));
  if (states) {
    bar.append(select('console.filter.state', 'filter-state',
      [['', t('console.filter.any')], ['open', t('state.open')], ['acknowledged', t('state.acknowledged')]],
      f.state, (v) => { f.state = v; onChange(); }));
  }
  bar.append(select('console.filter.building', 'filter-building',
    [['', t('console.filter.any')], ...buildings.map((b) => [b, t('place.building', { building: b })])],
    f.building, (v) => { f.building = v; onChange(); }));
  const mine = el('span', undefined, 'filter');
  const box = el('input');
  box.type = 'checkbox';
  box.id = 'filter-mine';
  box.checked = f.mine;
  box.addEventListener('change', () => { f.mine = box.checked; onChange(); });
  const label = el('label', t('console.filter.mine'));
  label.htmlFor = 'filter-mine';
  mine.append(box, label);
  bar.append(mine);
  return bar;
}

function buildingsOf(alerts) {
  return [...new Set(alerts.map((a) => a.subject.building).filter(Boolean))].sort();
}

function row(a, now) {
  const li = el('li');
  const b = el('button', undefined,
    `alert-row p${a.priority} ${a.state}` + (a.id === selectedAlert() ? ' selected' : ''));
  b.type = 'button';
  b.dataset.id = a.id;
  const w = waitingLine(a, now);
  if (w.classList.contains('missed')) b.classList.add('missed');
  const pr = el('span', undefined, 'prio');
  pr.append(icon(kindOf(a)), el('span', priorityShort(a.priority), 'prio-label'));
  const title = el('span', undefined, 'title');
  if (fresh.has(a.id)) title.append(el('span', t('console.queue.new'), 'new-mark'), ' ');
  title.append(a.title);
  const where = el('span', undefined, 'where');
  if (a.subject.building) where.append(t('place.building', { building: a.subject.building }), ' ');
  if (a.subject.household_id) where.append(raw(a.subject.household_id));
  const st = el('span', a.state === 'acknowledged' ? t('state.acknowledged') : t('state.open'), 'state');
  b.append(pr, title, where, st, w);
  b.addEventListener('click', () => go('queue/' + encodeURIComponent(a.id)));
  li.append(b);
  return li;
}

/** Redraws the rows (each second, and on every change), keeping the focus where it was. */
export function renderRows() {
  drawBanner();
  if (!root) return;
  const list = root.querySelector('#queue');
  if (!list) return;
  const focusedId = document.activeElement && document.activeElement.closest &&
    document.activeElement.closest('#queue') ? document.activeElement.dataset.id : null;
  const all = ordered();
  const shown = all.filter(visible);
  const now = Date.now();
  list.replaceChildren(...shown.map((a) => row(a, now)));
  root.querySelector('#queue-count').textContent = all.length ? t('console.queue.count', { n: shown.length }) : '';
  const empty = root.querySelector('#queue-empty');
  empty.hidden = shown.length > 0;
  empty.textContent = all.length ? t('console.queue.none_match') : t('console.queue.empty');
  const bsel = root.querySelector('#filter-building');
  if (bsel) {
    const have = new Set([...bsel.options].map((o) => o.value));
    for (const b of buildingsOf(all)) {
      if (have.has(b)) continue;
      const o = el('option', t('place.building', { building: b }));
      o.value = b;
      bsel.append(o);
    }
  }
  if (focusedId) {
    const again = list.querySelector(`[data-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus();
  }
}

/** Each second: the waiting lines count up in place (the rows stay, so focus and clicks do). */
function tickRows() {
  drawBanner();
  if (!root) return;
  const now = Date.now();
  for (const b of root.querySelectorAll('#queue .alert-row')) {
    const a = state.alerts.get(b.dataset.id);
    const old = b.querySelector('.wait');
    if (!a || !old) continue;
    const w = waitingLine(a, now);
    b.classList.toggle('missed', w.classList.contains('missed'));
    old.replaceWith(w);
  }
}

function drawBanner() {
  const banner = $('p1-banner');
  if (!state.me) { banner.hidden = true; return; }
  const p1 = ordered().filter((a) => a.priority === 1 && a.state === 'open');
  if (!p1.length) { banner.hidden = true; return; }
  const oldest = oldestUnclaimedP1();
  banner.hidden = false;
  banner.href = '#queue/' + encodeURIComponent(oldest.id);
  banner.dataset.id = oldest.id;
  banner.replaceChildren(icon(kindOf(oldest)), ' ',
    t('console.banner.waiting', { n: p1.length, title: oldest.title }));
}

async function render(container, args) {
  root = container;
  const cols = el('div', undefined, 'columns');
  const q = el('section', undefined, 'queue-view');
  q.setAttribute('aria-labelledby', 'queue-title');
  const h = el('h2', t('console.queue.title'));
  h.id = 'queue-title';
  h.tabIndex = -1;
  const count = el('span', '', 'count');
  count.id = 'queue-count';
  h.append(' ', count);
  const hint = el('p', t('console.keys_hint'), 'hint');
  const empty = el('p', t('console.queue.empty'), 'empty');
  empty.id = 'queue-empty';
  const list = el('ol', undefined, 'queue');
  list.id = 'queue';
  list.setAttribute('aria-label', t('console.queue.list_label'));
  q.append(h, hint, filterBar(filters, renderRows, { buildings: buildingsOf(ordered()) }), empty, list);
  const detail = el('section', undefined, 'detail');
  detail.id = 'detail-view';
  detail.hidden = true;
  cols.append(q, detail);
  container.append(cols);
  renderRows();
  if (args[0]) {
    fresh.delete(args[0]);
    await showAlert(detail, args[0]);
    renderRows();
  } else {
    closeAlert();
  }
}

register({
  id: 'queue',
  nav: { label: 'console.nav.queue', key: 'q', order: 10 },
  render,
  leave() { root = null; closeAlert(); },
});

on('alert-arrived', (a) => { fresh.add(a.id); });
on('alerts-changed', () => renderRows());
on('tick', () => tickRows());
on('logged-out', () => { fresh.clear(); root = null; });

/** j/k/c/Escape on the queue screen; true when the key was used. */
export function queueKey(ev) {
  if (currentId() !== 'queue' || !root) return false;
  const rows = [...root.querySelectorAll('#queue .alert-row')];
  const i = rows.indexOf(document.activeElement);
  if (ev.key === 'j' || ev.key === 'k') {
    if (!rows.length) return true;
    const next = ev.key === 'j' ? Math.min(rows.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
    rows[next].focus();
    return true;
  }
  if (ev.key === 'c' && selectedAlert()) { actOnSelected('claim'); return true; }
  if (ev.key === 'Escape' && selectedAlert()) { go('queue'); return true; }
  return false;
}
