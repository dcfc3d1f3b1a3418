// SPDX-License-Identifier: Apache-2.0
// A device's page: what it is and where, when it last reported, its readings over the last
// week (one chart per quantity), its battery and its check-ins (messages per hour).
'use strict';

import { el, raw, link, api, apiAll } from './core.js';
import { t, when, age, typeName, metricName, reading } from './i18n.js';
import { register } from './screens.js';
import { hourlyChart, readingsChart, seriesWords } from './charts.js';

const HOUR = 3600 * 1000;
const DAYS = 7;

async function render(container, args) {
  const id = args[0] || '';
  const list = await apiAll('devices', 'devices');
  const d = list.ok ? list.data.devices.find((x) => x.device_id === id) : null;
  if (!d) { container.replaceChildren(el('p', t('console.device.not_found'), 'error')); return; }
  const h = el('h2', typeName(d.type) + (d.location ? t('console.paren', { text: d.location }) : ''));
  h.id = 'device-title';
  h.tabIndex = -1;
  const facts = el('p', undefined, 'meta');
  facts.append(raw(d.device_id), t('console.separator'), raw(d.type));
  if (d.building) facts.append(t('console.separator'), t('place.building', { building: d.building }));
  if (d.household_id) {
    facts.append(t('console.separator'));
    facts.append(link(t('console.device.household'), 'household/' + encodeURIComponent(d.household_id)));
  }
  container.replaceChildren(h, facts);
  h.focus();
  const end = Math.ceil((Date.now() + 1) / HOUR) * HOUR;
  const from = end - DAYS * 24 * HOUR;
  const r = await api('GET', `devices/${encodeURIComponent(id)}/readings?since=${new Date(from).toISOString()}&until=${new Date(end).toISOString()}`);
  if (!r.ok) { container.append(el('p', t('console.error.generic', { status: r.status }), 'error')); return; }
  const readings = r.data.readings;
  if (!readings.length) { container.append(el('p', t('console.device.none', { n: DAYS }), 'empty')); return; }
  const last = readings[readings.length - 1];
  container.append(el('p', t('console.device.last_seen', { at: when(last.ts), ago: age(last.ts) }), 'last-seen'));
  // The latest value of each metric, in words.
  const latest = new Map();
  for (const x of readings) latest.set(x.metric, x);
  const ul = el('ul', undefined, 'latest');
  ul.id = 'device-latest';
  for (const [m, x] of latest) {
    const li = el('li');
    li.append(metricName(m), t('console.colon'), reading(m, x.value, x.unit), ' ', el('time', when(x.ts), 'small'));
    ul.append(li);
  }
  container.append(el('h3', t('console.device.readings')), ul);
  const charts = el('section', undefined, 'charts');
  charts.id = 'device-charts';
  container.append(charts);
  // Check-ins: how many messages an hour (readings sharing a time are one message).
  const hours = DAYS * 24;
  const counts = new Array(hours).fill(0);
  const seen = new Set();
  for (const x of readings) {
    if (seen.has(x.ts)) continue;
    seen.add(x.ts);
    const i = Math.floor((Date.parse(x.ts) - from) / HOUR);
    if (i >= 0 && i < hours) counts[i] += 1;
  }
  const window_ = { from: new Date(from).toISOString(), hours };
  hourlyChart(charts, 'chart-device-checkins', window_, { metric: 'checkins', unit: '', values: counts });
  const byMetric = new Map();
  for (const x of readings) {
    if (typeof x.value !== 'number') continue;
    if (!byMetric.has(x.metric)) byMetric.set(x.metric, []);
    byMetric.get(x.metric).push({ ts: x.ts, value: x.value });
  }
  for (const [m, points] of byMetric) {
    const words = seriesWords({ metric: m, unit: points.length ? latest.get(m).unit : '' });
    const title = m === 'device.battery_pct' ? t('console.device.battery') : metricName(m);
    readingsChart(charts, 'chart-device-' + m.replace(/\W/g, '-'), title, words.axis, points, latest.get(m).unit);
  }
}

register({
  id: 'device',
  roles: ['operator', 'supervisor', 'integrator', 'admin'],
  render,
});
