// SPDX-License-Identifier: Apache-2.0
// One alert, beside the queue: what happened in plain words, how long it has waited,
// who it is about (the call sheet: name, age, phones, emergency contacts, address, away),
// the evidence, the timeline, and the operator's actions. A welfare alert shows the last
// 48 hours of the household's water use, with the quiet spell it is about shaded.
'use strict';

import { el, raw, link, api, state, can, emit, on, phoneLink } from './core.js';
import { t, when, age, reading, metricName, typeName, priorityShort } from './i18n.js';
import { icon, kindOf } from './icons.js';
import { waitingLine } from './waiting.js';
import { hourlyChart } from './charts.js';

let panel = null;
let selected = null;
let lastAlert = null;

export const selectedAlert = () => selected;

export function closeAlert() {
  selected = null;
  lastAlert = null;
  if (panel) { panel.hidden = true; panel.replaceChildren(); }
}

/** A resident's block of the call sheet. */
export function personBlock(r, { heading = 'h4', contacts = can('contacts') } = {}) {
  const box = el('div', undefined, 'person');
  const h = el(heading);
  h.append(link(r.name, 'resident/' + encodeURIComponent(r.resident_id), 'person-name'));
  box.append(h);
  const facts = [];
  if (r.birth_year) facts.push(t('console.person.age', { n: new Date().getFullYear() - r.birth_year }));
  facts.push(r.lives_alone ? t('console.person.lives_alone') : t('console.person.not_alone'));
  box.append(el('p', facts.join(t('console.separator'))));
  if (r.phone) {
    const p = el('p', t('console.person.phone'));
    p.append(' ', phoneLink(r.phone));
    box.append(p);
  }
  if (contacts) {
    for (const c of r.emergency_contacts || []) {
      const p = el('p', t('console.person.contact'), 'contact');
      p.append(' ', el('span', c.name, 'contact-name'), ' ');
      if (c.phone) p.append(phoneLink(c.phone));
      box.append(p);
    }
  }
  if (r.household) {
    const p = el('p', t('console.person.address'));
    p.append(' ', el('span', r.household.address), ' ',
      link(t('place.household', { building: r.household.building, unit: r.household.unit }),
        'household/' + encodeURIComponent(r.household.household_id)));
    box.append(p);
  }
  if (r.social_worker) {
    const p = el('p', t('console.person.social_worker'));
    p.append(' ', raw(r.social_worker));
    box.append(p);
  }
  if (r.away) box.append(el('p', t('console.person.away', { until: when(r.away.until), reason: r.away.reason }), 'away'));
  return box;
}

function timelineItem(e) {
  const li = el('li');
  li.append(el('time', when(e.at)), t('console.separator'));
  if (e.actor === 'hearthd' || e.actor === 'anonymous') li.append(t('timeline.actor.' + e.actor));
  else li.append(raw(e.actor));
  li.append(t('console.separator'), t('timeline.action.' + e.action));
  if (e.channel) li.append(t('console.separator'), el('span', t('timeline.channel.' + e.channel), 'channel'));
  // What people wrote; what hearthd writes for the audit trail is said by the action word.
  if (e.note && e.actor !== 'hearthd') li.append(t('console.dash'), el('q', e.note));
  return li;
}

function evidenceItem(e, devices) {
  const li = el('li');
  const d = devices.get(e.device_id);
  li.append(el('time', when(e.ts)), t('console.separator'));
  if (d) li.append(typeName(d.type), d.location ? t('console.paren', { text: d.location }) : '');
  else li.append(raw(e.device_id));
  li.append(t('console.separator'), metricName(e.metric), t('console.colon'),
    reading(e.metric, e.value, e.unit || unitOf(e.metric)));
  if (can('devices')) li.append(' ', link(t('console.device.open'), 'device/' + encodeURIComponent(e.device_id), 'small'));
  return li;
}

const units = { 'water.total_l': 'L', 'gas.lel_pct': '%LEL', 'tilt.x_deg': 'deg', 'tilt.y_deg': 'deg',
  subsidence_mm: 'mm', 'device.battery_pct': '%', 'power.total_kwh': 'kWh', 'power.w': 'W' };
const unitOf = (m) => units[m] || '';

function button(text, cls, onClick) {
  const b = el('button', text, cls);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

async function act(path, body) {
  const id = selected;
  if (!id) return false;
  const r = await api('POST', `alerts/${encodeURIComponent(id)}/${path}`, body);
  const err = panel && panel.querySelector('#action-error');
  if (!r.ok) {
    if (err) err.textContent = (r.data && r.data.error === 'conflict') ? t('console.alert.conflict')
      : t('console.alert.failed', { status: r.status });
    return false;
  }
  if (r.data && r.data.state !== 'resolved') state.alerts.set(id, r.data);
  else state.alerts.delete(id);
  emit('alerts-changed');
  await draw(r.data);
  return true;
}

/** Claim (or another action) on the alert shown, from the keyboard. */
export function actOnSelected(what) {
  if (lastAlert && what === 'claim' && lastAlert.state === 'open') act('claim', {});
}

function actions(a) {
  const box = el('section', undefined, 'actions');
  box.setAttribute('aria-label', t('console.alert.actions'));
  const resolved = a.state === 'resolved';
  const row = el('div', undefined, 'row');
  const claim = button(t('console.alert.claim'), '', () => act('claim', {}));
  claim.id = 'act-claim';
  claim.disabled = a.state !== 'open';
  const esc = button(t('console.alert.escalate'), 'secondary', () => {
    const note = box.querySelector('#note-text').value.trim();
    act('escalate', note ? { note } : {}).then((ok) => { if (ok) box.querySelector('#note-text').value = ''; });
  });
  esc.id = 'act-escalate';
  esc.disabled = resolved;
  row.append(claim, ' ', el('kbd', 'c'), esc);
  const call = el('fieldset');
  call.append(el('legend', t('console.alert.record')));
  const presets = el('div', undefined, 'row');
  presets.id = 'note-presets';
  for (const p of ['called_resident', 'called_contact', 'sent_worker', 'called_emergency']) {
    const b = button(t('console.alert.preset.' + p), 'preset', () => act('notes', { text: t('console.alert.preset.' + p) }));
    b.dataset.preset = p;
    presets.append(b);
  }
  const label = el('label', t('console.alert.note'));
  label.htmlFor = 'note-text';
  const text = el('textarea');
  text.id = 'note-text';
  text.rows = 2;
  text.maxLength = 2000;
  const add = button(t('console.alert.add_note'), 'secondary', async () => {
    const v = text.value.trim();
    if (!v) { box.querySelector('#action-error').textContent = t('console.alert.write_note'); text.focus(); return; }
    if (await act('notes', { text: v })) text.value = '';
  });
  add.id = 'act-note';
  call.append(presets, label, text, add);
  const res = el('fieldset');
  res.append(el('legend', t('console.alert.resolve')));
  const olabel = el('label', t('console.alert.outcome_label'));
  olabel.htmlFor = 'resolve-outcome';
  const sel = el('select');
  sel.id = 'resolve-outcome';
  const first = el('option', t('console.alert.choose_outcome'));
  first.value = '';
  sel.append(first);
  for (const o of ['help-arrived', 'resident-fine', 'false-alarm', 'device-fault', 'emergency-services', 'no-answer-visit-sent']) {
    const opt = el('option', t('outcome.' + o));
    opt.value = o;
    sel.append(opt);
  }
  const resolve = button(t('console.alert.resolve'), '', async () => {
    if (!sel.value) { box.querySelector('#action-error').textContent = t('console.alert.need_outcome'); sel.focus(); return; }
    const note = text.value.trim();
    if (await act('resolve', note ? { outcome: sel.value, note } : { outcome: sel.value })) text.value = '';
  });
  resolve.id = 'act-resolve';
  resolve.disabled = resolved;
  res.append(olabel, sel, resolve);
  const err = el('p', '', 'error');
  err.id = 'action-error';
  err.setAttribute('role', 'alert');
  if (resolved) box.append(err);
  else box.append(row, call, res, err);
  return box;
}

const welfare = (a) => (a.rule || '').startsWith('lone-elder');

async function welfareChart(box, a) {
  if (!a.subject.household_id || !can('personal')) return;
  // The 48 hours up to the alert's last evidence (or now, while it is open).
  const last = (a.evidence || []).reduce((m, e) => Math.max(m, Date.parse(e.ts)), 0);
  const until = new Date(a.state === 'resolved' ? last || Date.parse(a.updated_at) : Date.now()).toISOString();
  const r = await api('GET', `households/${encodeURIComponent(a.subject.household_id)}/activity?hours=48&until=${encodeURIComponent(until)}`);
  if (!r.ok || selected !== a.id) return;
  const water = r.data.series.find((s) => s.metric === 'water.total_l');
  const times = (a.evidence || []).map((e) => Date.parse(e.ts)).sort((x, y) => x - y);
  const shade = times.length ? [{ start: new Date(times[0]).toISOString(), end: new Date(times[times.length - 1]).toISOString() }] : [];
  const section = el('section', undefined, 'welfare-chart');
  section.append(el('h3', t('console.alert.last_48h')));
  box.append(section);
  if (water) {
    hourlyChart(section, 'chart-alert-water', r.data, water, {
      shade, shadeLabel: t('console.alert.quiet_spell'),
      marks: [{ at: a.opened_at, title: a.title }],
    });
  } else {
    section.append(el('p', t('console.chart.no_data'), 'empty'));
  }
}

async function draw(a) {
  lastAlert = a;
  const devices = new Map();
  if (a.subject.household_id && can('personal')) {
    // Device types and locations for the evidence, from the household (in scope).
    const h = await api('GET', 'households/' + encodeURIComponent(a.subject.household_id));
    if (h.ok) for (const d of h.data.devices || []) devices.set(d.device_id, d);
  }
  if (selected !== a.id) return;
  panel.hidden = false;
  panel.classList.toggle('p1', a.priority === 1);
  const head = el('div', undefined, 'detail-head');
  const title = el('h2');
  title.id = 'detail-title';
  title.tabIndex = -1;
  title.append(icon(kindOf(a)), ' ', priorityShort(a.priority), t('console.separator'), a.title);
  const close = el('a', t('console.alert.close'), 'button secondary');
  close.href = '#queue';
  close.id = 'detail-close';
  close.append(' ', el('kbd', 'Esc'));
  head.append(title, close);
  const meta = el('p', undefined, 'meta');
  meta.id = 'detail-meta';
  meta.append(raw('#' + a.id), t('console.separator'), t('state.' + a.state), t('console.separator'),
    t('console.alert.opened', { at: when(a.opened_at), ago: age(a.opened_at) }), t('console.separator'),
    t('console.alert.occurrences', { n: a.occurrences }));
  if (a.outcome) meta.append(t('console.separator'), el('span', t('console.alert.outcome', { outcome: t('outcome.' + a.outcome) }), 'outcome'));
  const wait = waitingLine(a);
  wait.id = 'detail-wait';
  const summary = el('p', a.summary, 'summary');
  summary.id = 'detail-summary';
  const people = el('div');
  people.id = 'detail-people';
  if (a.residents && a.residents.length) {
    people.append(el('h3', t('console.alert.who')));
    for (const r of a.residents) people.append(personBlock(r));
  } else if (a.household) {
    people.append(el('p', t('console.person.address') + ' ' + a.household.address));
  }
  const ev = el('ul', undefined, 'evidence');
  ev.id = 'detail-evidence';
  for (const e of a.evidence || []) ev.append(evidenceItem(e, devices));
  const tl = el('ol', undefined, 'timeline');
  tl.id = 'detail-timeline';
  for (const e of a.timeline || []) tl.append(timelineItem(e));
  const chartBox = el('div');
  panel.replaceChildren(head, meta, wait, summary, people);
  if (can('act')) panel.append(actions(a));
  panel.append(chartBox, el('h3', t('console.alert.evidence')), ev, el('h3', t('console.alert.timeline')), tl);
  if (welfare(a)) await welfareChart(chartBox, a);
}

/** Shows alert `id` in `container` (the queue's detail column). */
export async function showAlert(container, id) {
  panel = container;
  selected = id;
  const r = await api('GET', 'alerts/' + encodeURIComponent(id));
  if (selected !== id) return;
  if (!r.ok) {
    panel.hidden = false;
    panel.replaceChildren(el('p', t('console.alert.not_found'), 'error'));
    return;
  }
  await draw(r.data);
  const title = panel.querySelector('#detail-title');
  if (title) title.focus();
}

/** A live change of the alert shown redraws it (keeping the focus and the typed note). */
export async function refreshIfShown(id) {
  if (!panel || selected !== id) return;
  const r = await api('GET', 'alerts/' + encodeURIComponent(id));
  if (!r.ok || selected !== id) return;
  const focused = document.activeElement && document.activeElement.id;
  const note = panel.querySelector('#note-text');
  const typed = note ? note.value : '';
  await draw(r.data);
  const again = panel.querySelector('#note-text');
  if (again) again.value = typed;
  if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
}

// The waiting line counts up each second, like the queue's rows.
on('tick', () => {
  if (!panel || !lastAlert || panel.hidden) return;
  const old = panel.querySelector('#detail-wait');
  if (!old) return;
  const w = waitingLine(lastAlert);
  w.id = 'detail-wait';
  old.replaceWith(w);
});
