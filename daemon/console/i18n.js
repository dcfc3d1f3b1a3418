// SPDX-License-Identifier: Apache-2.0
// The console's words: every visible string comes from hearth's one message catalogue
// (GET /api/v1/messages/{locale}), and dates and durations follow the locale's rules
// ("12月1日 16:27", "3分18秒" / "1 Dec 16:27", "3 min 18 s"), in the community's time zone.
'use strict';

import { setApiLanguage } from './core.js';

let words = {};
let current = '';
let known = ['zh-CN', 'en'];
let zone = 'Asia/Shanghai';

export const locale = () => current;
export const locales = () => known;
export const timezone = () => zone;
export function setTimezone(tz) { if (tz) zone = tz; }

/** The supported locale closest to the browser's languages (zh* → zh-CN, en* → en). */
export function browserLocale() {
  for (const tag of navigator.languages || [navigator.language || '']) {
    const t = String(tag).toLowerCase();
    if (t.startsWith('zh')) return 'zh-CN';
    if (t.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}

/** Loads the catalogue of `l` and re-labels the static page. */
export async function loadLocale(l) {
  const res = await fetch('/api/v1/messages/' + encodeURIComponent(l), { credentials: 'same-origin' });
  if (!res.ok) throw new Error('no catalogue for ' + l);
  const data = await res.json();
  words = data.messages || {};
  current = data.locale;
  known = data.locales || known;
  setApiLanguage(current);
  document.documentElement.lang = current;
  // For the console's other parts (the desk, desk.js), which read the language from here.
  document.documentElement.dataset.locale = current;
  try { window.localStorage.setItem('hearth.locale', current); } catch { /* private mode */ }
  document.dispatchEvent(new CustomEvent('hearth:locale', { detail: { locale: current } }));
  apply(document);
  document.title = t('console.app_name');
}

/** Whether the catalogue has `key`. */
export const has = (key) => Object.prototype.hasOwnProperty.call(words, key);

/**
 * The text of `key` with its `{placeholders}` filled from `vars`. A plural text picks its
 * form from `vars.n`. A missing key shows as itself, so that a gap is seen, not hidden.
 */
export function t(key, vars = {}) {
  let w = words[key];
  if (w === undefined) return key;
  if (typeof w === 'object') w = (vars.n === 1 ? w.one : w.other) ?? w.other ?? w.one ?? key;
  return w.replace(/\{([a-z_]+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** Fills `[data-i18n]` (text), `[data-i18n-placeholder]`, `[data-i18n-label]` (aria-label). */
export function apply(root) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder);
  for (const e of root.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
}

// --- numbers, dates, durations ---------------------------------------------------------

export function number(v, decimals = 1) {
  return new Intl.NumberFormat(current || 'zh-CN', { maximumFractionDigits: decimals }).format(v);
}

/** Year, month, day, hour, minute of `ms` in the community's zone. */
function parts(ms) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, year: 'numeric', month: 'numeric', day: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  const p = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  return { year: +p.year, month: +p.month, day: +p.day, hour: p.hour, minute: p.minute };
}

/** "16:27" today, "12月1日 16:27" / "1 Dec 16:27" another day, with the year in another year. */
export function when(iso, now = Date.now()) {
  if (!iso) return '';
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  const p = parts(ms), n = parts(now);
  const time = `${p.hour}:${p.minute}`;
  if (p.year === n.year && p.month === n.month && p.day === n.day) return time;
  const vars = { month: t('time.month.' + p.month), day: p.day, year: p.year, time };
  return t(p.year === n.year ? 'time.date_time.this_year' : 'time.date_time.other_year', vars);
}

/** The date alone: "12月1日" / "1 Dec" (with the year when not this year). */
export function dateOnly(ms, now = Date.now()) {
  const p = parts(ms), n = parts(now);
  const vars = { month: t('time.month.' + p.month), day: p.day, year: p.year };
  return t(p.year === n.year ? 'time.date.this_year' : 'time.date.other_year', vars);
}

/** "13:00" in the community's zone (chart axes). */
export function hourOf(ms) {
  const p = parts(ms);
  return `${p.hour}:${p.minute}`;
}

/** The two largest units, never a clock: "3分18秒" / "3 min 18 s", "2天3小时" / "2 d 3 h". */
export function duration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const units = [['days', 86400], ['hours', 3600], ['minutes', 60], ['seconds', 1]];
  const amounts = units.map(([name, size]) => {
    const n = Math.floor(s / size);
    s -= n * size;
    return [name, n];
  });
  const first = amounts.findIndex(([, n]) => n > 0);
  if (first < 0) return t('duration.seconds', { n: 0 });
  const a = t('duration.' + amounts[first][0], { n: amounts[first][1] });
  const next = amounts[first + 1];
  if (!next || next[1] === 0) return a;
  return t('duration.pair', { first: a, second: t('duration.' + next[0], { n: next[1] }) });
}

/** "刚刚" / "just now", "15分钟前" / "15 min ago", "2天前" / "2 days ago". */
export function age(iso, now = Date.now()) {
  const s = Math.floor((now - Date.parse(iso)) / 1000);
  if (s < 60) return t('age.now');
  if (s < 3600) return t('age.minutes', { n: Math.floor(s / 60) });
  if (s < 86400) return t('age.hours', { n: Math.floor(s / 3600) });
  return t('age.days', { n: Math.floor(s / 86400) });
}

// --- domain words ----------------------------------------------------------------------

const unitKeys = { L: 'unit.litre', '%LEL': 'unit.lel', deg: 'unit.degree', mm: 'unit.millimetre',
  '%': 'unit.percent', kWh: 'unit.kwh', W: 'unit.watt', '‰': 'unit.permille' };

/** A figure in its unit: "35 %LEL", "8 升" / "8 L". */
export function quantity(v, unit) {
  const key = unitKeys[unit];
  const n = number(v, unit === 'L' || unit === '%' ? 0 : 1);
  return key ? t(key, { n }) : `${n} ${unit}`;
}

/** A reading in words: "检测到烟雾" / "smoke detected", or "35 %LEL". */
export function reading(metric, value, unit) {
  if (typeof value === 'boolean') return t(`metric.${metric}.${value}`);
  return quantity(value, unit);
}

export const metricName = (m) => t(`metric.${m}.name`);
export const typeName = (type) => (has(`device_type.${type}.name`) ? t(`device_type.${type}.name`) : type);
export const priorityShort = (p) => t('console.priority.short', { n: p });
export const priorityName = (p) => t('priority.' + p);
export const roleName = (r) => t('console.role.' + r);
