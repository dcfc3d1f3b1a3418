// SPDX-License-Identifier: Apache-2.0
// Charts of a household's days, drawn by Chart.js (Debian's libjs-chart.js, served as
// /lib/chart.js): hourly bars from GET /api/v1/households/{id}/activity, with quiet spells
// shaded (learned ones, or the one a welfare alert is about) and alerts marked. Every chart
// also says in words what it shows (aria-label), and keeps its data where tests and
// assistive tools can read it (window.hearthCharts).
'use strict';

import { el } from './core.js';
import { t, when, hourOf, dateOnly, number, quantity } from './i18n.js';

const HOUR = 3600 * 1000;
window.hearthCharts = window.hearthCharts || {};

/** The words of a series: its title and its unit's axis label. */
export function seriesWords(s) {
  const m = s.metric;
  if (m === 'water.total_l') return { title: t('console.chart.water'), axis: t('console.chart.litres'), unit: 'L' };
  if (m === 'power.total_kwh') return { title: t('console.chart.power_kwh'), axis: t('console.chart.kwh'), unit: 'kWh' };
  if (m === 'power.w') return { title: t('console.chart.power_w'), axis: t('console.chart.watts'), unit: 'W' };
  if (m === 'door.open') return { title: t('console.chart.door'), axis: t('console.chart.times'), unit: '' };
  if (m === 'motion.detected') return { title: t('console.chart.motion'), axis: t('console.chart.times'), unit: '' };
  if (m === 'checkins') return { title: t('console.device.checkins'), axis: t('console.chart.times'), unit: '' };
  if (m === 'device.battery_pct') return { title: t('console.chart.battery'), axis: t('console.chart.percent'), unit: '%' };
  return { title: t(`metric.${m}.name`), axis: s.unit || '', unit: s.unit || '' };
}

function destroy(id) {
  const old = window.hearthCharts[id];
  if (old && old.chart) old.chart.destroy();
  delete window.hearthCharts[id];
}

/** Hour bucket of `ms` in a series that starts at `from` (ms), or -1 when outside. */
function bucket(from, hours, ms) {
  const i = Math.floor((ms - from) / HOUR);
  return i >= 0 && i < hours ? i : -1;
}

/**
 * A bar chart of one hourly series into `box`:
 *   series: {metric, unit, kind, values[]} from the activity answer (`from`, `hours`);
 *   shade: [{start, end}] spans to shade (ISO times), with `shadeLabel`;
 *   marks: [{at, title}] alerts to mark.
 * Returns the canvas id.
 */
export function hourlyChart(box, id, activity, s, { shade = [], shadeLabel = '', marks = [] } = {}) {
  destroy(id);
  const from = Date.parse(activity.from);
  const hours = activity.hours;
  const words = seriesWords(s);
  const xs = s.values.map((_, i) => from + i * HOUR);
  const labels = xs.map((ms) => when(ms));
  const present = s.values.filter((v) => v !== null);
  const max = present.length ? Math.max(...present) : 0;
  const top = max > 0 ? max * 1.1 : 1;
  const shaded = new Array(hours).fill(null);
  for (const sp of shade) {
    const a = Math.max(from, Date.parse(sp.start)), b = Math.min(from + hours * HOUR, Date.parse(sp.end));
    for (let ms = Math.floor(a / HOUR) * HOUR; ms < b; ms += HOUR) {
      const i = bucket(from, hours, ms);
      if (i >= 0) shaded[i] = top;
    }
  }
  const marked = new Array(hours).fill(null);
  const markTitles = new Array(hours).fill('');
  for (const m of marks) {
    const i = bucket(from, hours, Date.parse(m.at));
    if (i >= 0) { marked[i] = top * 0.96; markTitles[i] = m.title; }
  }
  const total = present.reduce((x, y) => x + y, 0);
  const figure = el('figure', undefined, 'chart');
  const caption = el('figcaption', words.title);
  const holder = el('div', undefined, 'chart-box');
  const canvas = el('canvas');
  canvas.id = id;
  canvas.setAttribute('role', 'img');
  const unitText = (v) => (words.unit ? quantity(v, words.unit) : number(v, 0));
  canvas.setAttribute('aria-label', present.length
    ? t('console.chart.summary', { title: words.title, from: when(from), to: when(from + hours * HOUR),
      total: unitText(total), max: unitText(max) })
    : t('console.chart.no_data'));
  holder.append(canvas);
  figure.append(caption, holder);
  if (!present.length) figure.append(el('p', t('console.chart.no_data'), 'empty'));
  box.append(figure);
  if (typeof Chart === 'undefined') {
    figure.append(el('p', t('console.chart.no_library'), 'error'));
    window.hearthCharts[id] = { chart: null, from, values: s.values, shaded, marked };
    return id;
  }
  const datasets = [
    { type: 'bar', label: words.title, data: s.values, backgroundColor: '#1f5fa8', order: 1, hearth: 'values' },
  ];
  if (shade.length) {
    datasets.push({ type: 'bar', label: shadeLabel, data: shaded, backgroundColor: 'rgba(120, 120, 160, 0.22)',
      grouped: false, barPercentage: 1, categoryPercentage: 1, order: 3, hearth: 'shade' });
  }
  if (marks.length) {
    datasets.push({ type: 'line', label: t('console.chart.alerts'), data: marked, showLine: false,
      pointStyle: 'triangle', pointRadius: 7, pointHoverRadius: 9, backgroundColor: '#b00020',
      borderColor: '#5c0010', order: 0, hearth: 'marks' });
  }
  const long = hours > 72;
  const chart = new Chart(canvas, {
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          ticks: {
            autoSkip: false, maxRotation: 0,
            // A tick at each local midnight on long charts, every six hours on short ones.
            callback: (v, i) => {
              const ms = xs[i];
              const h = Number(hourOf(ms).slice(0, 2));
              if (long) return h === 0 ? dateOnly(ms) : null;
              if (h === 0) return dateOnly(ms);
              return h % 6 === 0 ? hourOf(ms) : null;
            },
          },
          grid: { display: false },
        },
        y: { beginAtZero: true, suggestedMax: top, title: { display: true, text: words.axis } },
      },
      plugins: {
        legend: { display: datasets.length > 1 },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              if (ctx.dataset.hearth === 'shade') return ctx.raw === null ? null : shadeLabel;
              if (ctx.dataset.hearth === 'marks') return ctx.raw === null ? null : markTitles[ctx.dataIndex];
              return ctx.raw === null ? t('console.chart.no_data_hour') : unitText(ctx.raw);
            },
          },
        },
      },
    },
  });
  window.hearthCharts[id] = { chart, from, values: s.values, shaded, marked };
  return id;
}

/** A line chart of raw readings (a device page): points [{ts, value}], numbers only. */
export function readingsChart(box, id, title, axis, points, unit) {
  destroy(id);
  const figure = el('figure', undefined, 'chart');
  const holder = el('div', undefined, 'chart-box');
  const canvas = el('canvas');
  canvas.id = id;
  canvas.setAttribute('role', 'img');
  const values = points.map((p) => p.value);
  canvas.setAttribute('aria-label', values.length
    ? t('console.chart.readings_summary', { title, n: values.length,
      min: quantity(Math.min(...values), unit), max: quantity(Math.max(...values), unit) })
    : t('console.chart.no_data'));
  holder.append(canvas);
  figure.append(el('figcaption', title), holder);
  box.append(figure);
  if (typeof Chart === 'undefined') {
    figure.append(el('p', t('console.chart.no_library'), 'error'));
    window.hearthCharts[id] = { chart: null, values };
    return id;
  }
  const chart = new Chart(canvas, {
    type: 'line',
    data: {
      labels: points.map((p) => when(p.ts)),
      datasets: [{ label: title, data: values, borderColor: '#1f5fa8', backgroundColor: '#1f5fa8',
        pointRadius: 2, stepped: false, hearth: 'values' }],
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { ticks: { maxTicksLimit: 8, maxRotation: 0 } },
        y: { title: { display: true, text: axis } } },
      plugins: { legend: { display: false },
        tooltip: { callbacks: { label: (ctx) => quantity(ctx.raw, unit) } } },
    },
  });
  window.hearthCharts[id] = { chart, values };
  return id;
}

if (typeof Chart !== 'undefined') {
  Chart.defaults.font.family = '"Noto Sans CJK SC", "Noto Sans", system-ui, sans-serif';
  Chart.defaults.color = '#222';
}
