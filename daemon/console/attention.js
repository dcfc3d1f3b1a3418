// SPDX-License-Identifier: Apache-2.0
// Sound, so that an urgent alert is heard as well as seen: an unclaimed P1 sounds every few
// seconds until someone claims it; a new P2 sounds once. An operator may mute for two
// minutes (the button shows the time left); a new P1 ends the mute, because a mute set for
// one alarm must not hide the next one. Browsers allow sound only after a click or a key
// press: logging in counts.
'use strict';

import { $, state, on } from './core.js';
import { t, duration } from './i18n.js';

export const k_repeat_ms = 5000;  // between P1 alarms
export const k_mute_ms = 2 * 60 * 1000;

const sound = { ctx: null, mutedUntil: 0, lastAlarm: 0, played: 0, lastKind: '' };

/** Made on the first user gesture (the browser's rule). */
export function unlock() {
  if (sound.ctx) return;
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (Ctx) {
    try { sound.ctx = new Ctx(); } catch { sound.ctx = null; }
  }
}

function tone(freq, count) {
  sound.played += 1;
  const status = $('sound-status');
  if (status) {
    status.dataset.played = String(sound.played);
    status.dataset.last = sound.lastKind;
  }
  const ctx = sound.ctx;
  if (!ctx) return;
  if (ctx.state === 'suspended') ctx.resume();
  const t0 = ctx.currentTime;
  for (let i = 0; i < count; i++) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.25, t0 + i * 0.35);
    gain.gain.exponentialRampToValueAtTime(0.001, t0 + i * 0.35 + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0 + i * 0.35);
    osc.stop(t0 + i * 0.35 + 0.3);
  }
}

const muted = () => Date.now() < sound.mutedUntil;

function unclaimedP1() {
  return [...state.alerts.values()].some((a) => a.priority === 1 && a.state === 'open');
}

/** A new alert arrived (live): a P1 starts the alarm (and ends a mute), a P2 sounds once. */
export function arrived(a) {
  if (a.state !== 'open') return;
  if (a.priority === 1) {
    sound.mutedUntil = 0;
    sound.lastKind = 'p1';
    sound.lastAlarm = Date.now();
    tone(880, 3);
  } else if (a.priority === 2 && !muted()) {
    sound.lastKind = 'p2';
    tone(660, 2);
  }
  draw();
}

/** Each second: the P1 alarm repeats while one is unclaimed and sound is not muted. */
export function tick() {
  if (unclaimedP1() && !muted() && Date.now() - sound.lastAlarm >= k_repeat_ms) {
    sound.lastKind = 'p1';
    sound.lastAlarm = Date.now();
    tone(880, 3);
  }
  draw();
}

export function toggleMute() {
  sound.mutedUntil = muted() ? 0 : Date.now() + k_mute_ms;
  if (!muted()) sound.lastAlarm = 0;  // unmuted: sound again now if a P1 waits
  draw();
}

/** The mute button: its words say what pressing it does, and how long a mute has left. */
export function draw() {
  const b = $('mute');
  if (!b || !state.me) return;
  b.hidden = false;
  const m = muted();
  b.setAttribute('aria-pressed', String(m));
  b.classList.toggle('muted', m);
  b.textContent = m ? t('console.sound.muted', { d: duration(sound.mutedUntil - Date.now()) })
    : t('console.sound.mute');
  const status = $('sound-status');
  if (status) status.dataset.state = m ? 'muted' : unclaimedP1() ? 'alarm' : 'quiet';
}

on('logged-out', () => { sound.mutedUntil = 0; sound.lastAlarm = 0; });
