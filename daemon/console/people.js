// SPDX-License-Identifier: Apache-2.0
// A resident's page and their household's, for operators and social workers: who they are
// (and, for the operator, whom to call), the household's other members, the week (or the
// month) as pictures — water per hour with the quiet spells the rules have learned shaded
// and the alerts marked, and the household's other activity sensors — its devices, its
// alerts with their outcomes, and "away" (set, or end early).
'use strict';

import { el, raw, link, api, apiAll, can } from './core.js';
import { t, when, typeName, priorityShort } from './i18n.js';
import { icon, kindOf } from './icons.js';
import { register } from './screens.js';
import { personBlock } from './alert.js';
import { hourlyChart } from './charts.js';

let period = 7;  // days shown in the charts

function historyList(alerts) {
  const ol = el('ol', undefined, 'history-list');
  ol.id = 'resident-history';
  for (const a of alerts || []) {
    const li = el('li');
    li.append(icon(kindOf(a)), ' ', el('time', when(a.opened_at)), t('console.separator'),
      priorityShort(a.priority), t('console.separator'));
    li.append(link(a.title, 'queue/' + encodeURIComponent(a.id)), t('console.separator'), t('state.' + a.state));
    if (a.outcome) li.append(t('console.separator'), el('span', t('outcome.' + a.outcome), 'outcome'));
    ol.append(li);
  }
  if (!ol.children.length) ol.append(el('li', t('console.resident.no_alerts'), 'empty'));
  return ol;
}

function devicesList(devices) {
  const ul = el('ul', undefined, 'devices');
  for (const d of devices || []) {
    const li = el('li');
    const name = typeName(d.type) + (d.location ? t('console.paren', { text: d.location }) : '');
    if (can('devices')) li.append(link(name, 'device/' + encodeURIComponent(d.device_id)));
    else li.append(name);
    li.append(' ', raw(d.device_id));
    ul.append(li);
  }
  return ul;
}

async function charts(box, householdId) {
  box.replaceChildren();
  const bar = el('div', undefined, 'period');
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', t('console.resident.period'));
  for (const days of [7, 30]) {
    const b = el('button', t('console.resident.days', { n: days }), 'secondary');
    b.type = 'button';
    b.id = `period-${days}`;
    b.setAttribute('aria-pressed', String(period === days));
    b.addEventListener('click', () => { period = days; charts(box, householdId); });
    bar.append(b);
  }
  box.append(bar);
  const r = await api('GET', `households/${encodeURIComponent(householdId)}/activity?days=${period}`);
  if (!r.ok) { box.append(el('p', t('console.error.generic', { status: r.status }), 'error')); return; }
  const act = r.data;
  box.dataset.from = act.from;
  box.dataset.hours = String(act.hours);
  if (!act.series.length) { box.append(el('p', t('console.chart.no_data'), 'empty')); return; }
  const marks = act.alerts.map((a) => ({ at: a.opened_at, title: a.title }));
  for (const s of act.series) {
    const id = `chart-${s.metric.replace(/\W/g, '-')}-${s.device_id.replace(/\W/g, '-')}`;
    const water = s.metric === 'water.total_l';
    hourlyChart(box, id, act, s, {
      shade: water ? act.quiet_spells.filter((q) => q.device_id === s.device_id) : [],
      shadeLabel: t('console.chart.learned'),
      marks,
    });
  }
}

function awayBox(resident, onChange) {
  const box = el('section', undefined, 'away-box');
  box.setAttribute('aria-labelledby', 'away-title');
  const h = el('h3', t('console.resident.away_title'));
  h.id = 'away-title';
  box.append(h);
  const err = el('p', '', 'error');
  err.id = 'away-error';
  err.setAttribute('role', 'alert');
  if (resident.away) {
    box.append(el('p', t('console.person.away', { until: when(resident.away.until), reason: resident.away.reason }), 'away'));
    const end = el('button', t('console.resident.away_end'));
    end.type = 'button';
    end.id = 'away-end';
    end.addEventListener('click', async () => {
      const r = await api('DELETE', `residents/${encodeURIComponent(resident.resident_id)}/away`);
      if (!r.ok) { err.textContent = t('console.resident.away_failed'); return; }
      onChange();
    });
    box.append(end, err);
    return box;
  }
  const form = el('form', undefined, 'away-form');
  form.id = 'away-form';
  const l1 = el('label', t('console.resident.away_until'));
  l1.htmlFor = 'away-until';
  const until = el('input');
  until.type = 'datetime-local';
  until.id = 'away-until';
  until.required = true;
  const l2 = el('label', t('console.resident.away_reason'));
  l2.htmlFor = 'away-reason';
  const reason = el('input');
  reason.id = 'away-reason';
  reason.maxLength = 200;
  reason.required = true;
  reason.placeholder = t('console.resident.away_placeholder');
  const submit = el('button', t('console.resident.away_set'));
  submit.type = 'submit';
  form.append(l1, until, l2, reason, submit, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!until.value || !reason.value.trim()) { err.textContent = t('console.resident.away_need'); return; }
    const r = await api('POST', `residents/${encodeURIComponent(resident.resident_id)}/away`,
      { until: new Date(until.value).toISOString(), reason: reason.value.trim() });
    if (!r.ok) { err.textContent = t('console.resident.away_failed'); return; }
    onChange();
  });
  box.append(form);
  return box;
}

async function renderResident(container, args) {
  const id = args[0];
  const r = await api('GET', 'residents/' + encodeURIComponent(id || ''));
  if (!r.ok) { container.replaceChildren(el('p', t('console.resident.not_found'), 'error')); return; }
  const res = r.data;
  const h = el('h2', res.name);
  h.id = 'resident-title';
  h.tabIndex = -1;
  container.replaceChildren(h);
  container.append(personBlock(res, { heading: 'h3' }));
  const hid = res.household_id;
  const hh = hid ? await api('GET', 'households/' + encodeURIComponent(hid)) : { ok: false };
  const members = el('section', undefined, 'members');
  members.id = 'members';
  members.append(el('h3', t('console.person.members')));
  const others = hh.ok ? hh.data.residents.filter((x) => x.resident_id !== res.resident_id) : [];
  for (const o of others) members.append(personBlock(o, { heading: 'h4' }));
  if (!others.length) members.append(el('p', t('console.person.no_members'), 'empty'));
  container.append(members);
  if (can('away')) container.append(awayBox(res, () => renderResident(container, args)));
  const chartBox = el('section', undefined, 'charts');
  chartBox.id = 'resident-charts';
  chartBox.setAttribute('aria-label', t('console.resident.charts'));
  container.append(el('h3', t('console.resident.charts')), chartBox);
  container.append(el('h3', t('console.resident.history')), historyList(res.recent_alerts));
  if (hh.ok) container.append(el('h3', t('console.resident.devices')), devicesList(hh.data.devices));
  h.focus();
  if (hid) await charts(chartBox, hid);
}

async function renderHousehold(container, args) {
  const id = args[0];
  const r = await api('GET', 'households/' + encodeURIComponent(id || ''));
  if (!r.ok) { container.replaceChildren(el('p', t('console.resident.not_found'), 'error')); return; }
  const h = r.data;
  const title = el('h2', t('place.household', { building: h.building, unit: h.unit }));
  title.id = 'household-title';
  title.tabIndex = -1;
  container.replaceChildren(title, el('p', h.address));
  const members = el('section', undefined, 'members');
  members.id = 'members';
  members.append(el('h3', t('console.person.members')));
  for (const o of h.residents) members.append(personBlock(o, { heading: 'h4' }));
  if (!h.residents.length) members.append(el('p', t('console.person.no_members'), 'empty'));
  const chartBox = el('section', undefined, 'charts');
  chartBox.id = 'resident-charts';
  chartBox.setAttribute('aria-label', t('console.resident.charts'));
  container.append(members, el('h3', t('console.resident.charts')), chartBox,
    el('h3', t('console.resident.history')), historyList(h.recent_alerts),
    el('h3', t('console.resident.devices')), devicesList(h.devices));
  title.focus();
  await charts(chartBox, h.household_id);
}

const personal = ['operator', 'supervisor', 'social_worker', 'admin'];
register({ id: 'resident', roles: personal, render: renderResident });
register({ id: 'household', roles: personal, render: renderHousehold });

// A social worker's own residents.
async function renderCaseload(container) {
  const h = el('h2', t('console.caseload.title'));
  h.id = 'caseload-title';
  h.tabIndex = -1;
  const list = el('ul', undefined, 'caseload-list');
  list.id = 'caseload';
  container.replaceChildren(h, list);
  const r = await apiAll('residents', 'residents');
  if (!r.ok) return;
  for (const res of r.data.residents) {
    const li = el('li', undefined, 'resident-row');
    li.append(link(res.name, 'resident/' + encodeURIComponent(res.resident_id), 'title'), ' ');
    if (res.household) li.append(el('span', t('place.household', { building: res.household.building, unit: res.household.unit }), 'where'), ' ');
    li.append(el('span', res.away ? t('console.person.away', { until: when(res.away.until), reason: res.away.reason })
      : t('console.person.at_home'), res.away ? 'away' : 'state'));
    list.append(li);
  }
  if (!r.data.residents.length) list.append(el('li', t('console.caseload.empty'), 'empty'));
}

register({
  id: 'caseload',
  nav: { label: 'console.nav.caseload', key: 'w', order: 30 },
  roles: ['social_worker'],
  render: renderCaseload,
});

