// SPDX-License-Identifier: Apache-2.0
// Icons for the kinds of alert an operator must tell apart at a glance (SOS, smoke, gas,
// tilt, welfare, water, device), so that colour is never the only sign. Small SVG symbols
// built with the DOM (no markup strings), each with a name from the catalogue.
'use strict';

import { t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';

// 24×24 shapes: [element, attributes].
const shapes = {
  // A bell with an exclamation mark: a person asking for help.
  sos: [['circle', { cx: 12, cy: 12, r: 10, fill: 'none', 'stroke-width': 2.5 }],
    ['rect', { x: 10.5, y: 5.5, width: 3, height: 8.5, rx: 1.2, stroke: 'none' }],
    ['circle', { cx: 12, cy: 17.5, r: 1.8, stroke: 'none' }]],
  // Three rising puffs.
  smoke: [['path', { d: 'M5 19c-2-3 1-5 3-4 0-4 5-5 6-2 2-2 6 0 5 3 3 0 3 4 0 4H6z', 'stroke-width': 1.5 }],
    ['path', { d: 'M9 9c-1-2 1-3 0-5M13 8c-1-2 1-3 0-5', fill: 'none', 'stroke-width': 1.8 }]],
  // A flame.
  gas: [['path', { d: 'M12 2c1 4 6 6 6 12a6 6 0 0 1-12 0c0-3 2-5 3-6 0 2 1 3 2 3 0-3-1-6 1-9z', 'stroke-width': 1.2 }]],
  // A leaning building.
  tilt: [['path', { d: 'M6 21l4-17 8 2-4 15z', fill: 'none', 'stroke-width': 2 }],
    ['path', { d: 'M3 21h18', fill: 'none', 'stroke-width': 2 }]],
  // A person.
  welfare: [['circle', { cx: 12, cy: 7, r: 4, stroke: 'none' }],
    ['path', { d: 'M4 21c0-5 4-8 8-8s8 3 8 8z', stroke: 'none' }]],
  // A drop.
  water: [['path', { d: 'M12 3c3 5 6 8 6 12a6 6 0 0 1-12 0c0-4 3-7 6-12z', stroke: 'none' }]],
  // A door.
  door: [['rect', { x: 6, y: 3, width: 12, height: 18, fill: 'none', 'stroke-width': 2 }],
    ['circle', { cx: 15, cy: 12, r: 1.5, stroke: 'none' }]],
  // A small box with an antenna: a device.
  device: [['rect', { x: 5, y: 9, width: 14, height: 11, rx: 2, fill: 'none', 'stroke-width': 2 }],
    ['path', { d: 'M12 9V3M9 5l3-2 3 2', fill: 'none', 'stroke-width': 2 }]],
};

/** The kind of an alert, from its rule (and its evidence when the rule is not a shipped one). */
export function kindOf(a) {
  const r = a.rule || '';
  if (r.startsWith('sos')) return 'sos';
  if (r.startsWith('smoke')) return 'smoke';
  if (r.startsWith('gas')) return 'gas';
  if (r.includes('tilt')) return 'tilt';
  if (r.startsWith('lone-elder')) return 'welfare';
  if (r.startsWith('door')) return 'door';
  if (r.startsWith('water')) return 'water';
  const m = ((a.evidence || [])[0] || {}).metric || '';
  if (m.startsWith('sos')) return 'sos';
  if (m.startsWith('smoke')) return 'smoke';
  if (m.startsWith('gas')) return 'gas';
  if (m.startsWith('tilt') || m.startsWith('subsidence')) return 'tilt';
  return 'device';
}

/** An <svg> icon of `kind`, named in the page's language. */
export function icon(kind) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '24');
  svg.setAttribute('height', '24');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('console.icon.' + kind));
  svg.setAttribute('class', 'icon icon-' + kind);
  svg.dataset.kind = kind;
  const title = document.createElementNS(NS, 'title');
  title.textContent = t('console.icon.' + kind);
  svg.append(title);
  for (const [tag, attrs] of shapes[kind] || shapes.device) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    svg.append(e);
  }
  return svg;
}
