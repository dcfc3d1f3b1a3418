// SPDX-License-Identifier: Apache-2.0
// Honest waiting: how long an alert has waited since it opened, against its FIRST target
// (claim by then), however often it has escalated since. Once that target is missed the
// alert is marked missed for good: claiming it late does not make it look on time. The
// tier it has reached, how many targets it has missed and who has it are shown beside.
// Durations are words ("3分18秒"), never a clock ("3:18").
'use strict';

import { el, raw } from './core.js';
import { t, duration } from './i18n.js';

/** The figures of `a` at `now` (ms). */
export function waiting(a, now = Date.now()) {
  const life = a.lifecycle || {};
  const opened = Date.parse(a.opened_at);
  const target = life.claim_target_at ? Date.parse(life.claim_target_at) : NaN;
  const claimed = life.acknowledged_at ? Date.parse(life.acknowledged_at) : NaN;
  const end = a.state === 'resolved' && life.resolved_at ? Date.parse(life.resolved_at) : now;
  // Missed: claimed after the target, or still unclaimed past it; or any target missed.
  const answered = Number.isNaN(claimed) ? end : claimed;
  const missedBy = Number.isNaN(target) ? 0 : answered - target;
  return {
    waited: end - opened,
    target: Number.isNaN(target) ? null : target - opened,
    missed: missedBy > 0 || (life.misses || 0) > 0,
    missedBy: Math.max(0, missedBy),
    claimedAfter: Number.isNaN(claimed) ? null : claimed - opened,
    resolveDue: a.state === 'acknowledged' && life.due_at ? Date.parse(life.due_at) - now : null,
    tier: life.tier || 'operator',
    misses: life.misses || 0,
    assignee: a.assignee || '',
  };
}

/** The waiting line of a row or of the alert's header, with a class for "missed". */
export function waitingLine(a, now = Date.now()) {
  const w = waiting(a, now);
  const box = el('span', undefined, 'wait' + (w.missed ? ' missed' : ''));
  box.dataset.waited = String(Math.round(w.waited / 1000));
  box.dataset.missed = String(w.missed);
  const bits = [t('console.wait.waited', { d: duration(w.waited) })];
  if (w.target !== null) bits.push(t('console.wait.target', { d: duration(w.target) }));
  if (w.missed && w.missedBy > 0) {
    bits.push(w.claimedAfter !== null ? t('console.wait.claimed_late', { d: duration(w.missedBy) })
      : t('console.wait.missed', { d: duration(w.missedBy) }));
  }
  if (w.claimedAfter !== null && !(w.missed && w.missedBy > 0))
    bits.push(t('console.wait.claimed_after', { d: duration(w.claimedAfter) }));
  if (w.resolveDue !== null) {
    bits.push(w.resolveDue >= 0 ? t('console.wait.resolve_left', { d: duration(w.resolveDue) })
      : t('console.wait.resolve_over', { d: duration(-w.resolveDue) }));
  }
  box.append(el('span', bits.join(t('console.separator')), 'wait-time'));
  const who = el('span', undefined, 'wait-who');
  who.append(el('span', t('console.wait.tier', { tier: t('tier.' + w.tier) }), 'tier'));
  if (w.misses > 0) {
    who.append(t('console.separator'), el('span', t('console.wait.misses', { n: w.misses }), 'misses'));
  }
  who.append(t('console.separator'));
  if (w.assignee) {
    const s = el('span', undefined, 'assignee');
    s.append(t('console.wait.assignee'), raw(w.assignee));
    who.append(s);
  } else {
    who.append(el('span', t('console.wait.unassigned'), 'assignee none'));
  }
  box.append(who);
  return box;
}
