// SPDX-License-Identifier: Apache-2.0
// Browser tests of the hearth console (issue 6): playwright-core drives Debian's chromium
// headless against a real hearthd fed through a real mosquitto.
//  1. An operator logs in, sees a new P1 appear live (published after the page is open),
//     opens it with the keyboard, claims it, records a call and resolves it with an outcome.
//  2. A social worker sees only their caseload.
// Screenshots go to $SCREENSHOT_DIR (the build folder). Every wait has a deadline; nothing
// sleeps a fixed time.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const source = resolve(here, '..', '..');
const hearthd = process.env.HEARTHD || join(source, 'build', 'hearthd');
const shots = process.env.SCREENSHOT_DIR || join(source, 'build', 'browser-screenshots');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });

const work = mkdtempSync(join(tmpdir(), 'hearth-browser-'));
const children = [];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); });
  });
}

function start(cmd, args, log) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stderr.on('data', (d) => out.push(d));
  child.on('exit', () => writeFileSync(join(work, log), Buffer.concat(out)));
  children.push(child);
  child.output = () => Buffer.concat(out).toString();
  return child;
}

/** Polls `ok` until it returns a truthy value or `ms` pass (timer-paced, no fixed sleep). */
async function eventually(what, ok, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { const v = await ok(); if (v) return v; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));  // poll interval, not a wait for an outcome
  }
}

function addUser(config, name, role, password) {
  const pw = join(work, `password-${name}`);
  writeFileSync(pw, password + '\n');
  const out = execFileSync(hearthd, ['users', 'add', name, '--role', role, '--config', config, '--password-file', pw]);
  return out.toString().trim().split('\n').pop();
}

function publish(port, topic, payload) {
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic, '-m', payload]);
}

let browser;
let failed = false;
async function step(name, fn) {
  process.stdout.write(`- ${name} ... `);
  try {
    await fn();
    console.log('ok');
  } catch (e) {
    failed = true;
    console.log('FAILED');
    console.error(e);
  }
}

async function main() {
  const mqttPort = await freePort();
  const httpPort = await freePort();
  writeFileSync(join(work, 'mosquitto.conf'), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\npersistence false\n`);
  const mosquitto = start('mosquitto', ['-c', join(work, 'mosquitto.conf')], 'mosquitto.log');
  const config = join(work, 'hearth.yaml');
  writeFileSync(config, [
    'timezone: Asia/Shanghai',
    `database: ${join(work, 'hearth.db')}`,
    `devices_dir: ${join(source, 'devices')}`,
    `rules_dir: ${join(source, 'rules')}`,
    `registry_dir: ${join(source, 'tests', 'data', 'registry')}`,
    `console_dir: ${join(source, 'daemon', 'console')}`,
    `mqtt: { uri: "tcp://127.0.0.1:${mqttPort}", client_id: hearthd-browser-${httpPort} }`,
    `http: { listen: "127.0.0.1:${httpPort}" }`,
    '',
  ].join('\n'));
  addUser(config, 'op-wang', 'operator', 'operator-password');
  addUser(config, 'sw-lu', 'social_worker', 'social-worker-password');
  const admin = addUser(config, 'admin-1', 'admin', 'admin-password-1');
  const daemon = start(hearthd, ['run', '--config', config], 'hearthd.log');
  const base = `http://127.0.0.1:${httpPort}`;
  await eventually('hearthd connected to the broker', async () => {
    const r = await fetch(`${base}/metrics`);
    return /^mqtt_connected 1$/m.test(await r.text());
  }, 20000);
  const alertsAsAdmin = async () => {
    const r = await fetch(`${base}/api/v1/alerts`, { headers: { Authorization: `Bearer ${admin}` } });
    return (await r.json()).alerts;
  };

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  await step('an operator sees a new P1 live, claims it and resolves it with an outcome', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 404) errors.push(`${r.status()} ${r.url()}`); });
    // A refused login or the first /me answer 401 on purpose; the browser logs those loads.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
    });
    const res = await page.goto(base + '/');
    assert.match(res.headers()['content-security-policy'], /default-src 'self'/);
    assert.equal(res.headers()['x-frame-options'], 'DENY');
    await page.fill('#login-user', 'op-wang');
    await page.fill('#login-password', 'wrong password');
    await page.press('#login-password', 'Enter');
    await page.locator('#login-error').filter({ hasText: /wrong user name or password/ }).waitFor({ timeout: 5000 });
    await page.fill('#login-password', 'operator-password');
    await page.press('#login-password', 'Enter');
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10000 });
    await page.locator('#queue-empty').waitFor({ state: 'visible', timeout: 5000 });
    await page.screenshot({ path: join(shots, '01-operator-empty-queue.png'), fullPage: true });

    // The page is open and live: now the button is pressed.
    const pressedAt = Date.now();
    publish(mqttPort, 'zigbee2mqtt/0x00158d0008a1b2c3', '{"action":"emergency","battery":92}');
    const row = page.locator('#queue .alert-row.p1.open');
    await row.waitFor({ state: 'visible', timeout: 5000 });
    console.log(`(P1 on screen ${Date.now() - pressedAt} ms after the press) `);
    await page.locator('#p1-banner').waitFor({ state: 'visible', timeout: 2000 });
    assert.match(await row.innerText(), /P1/);
    await page.locator('#queue .wait', { hasText: /claim within/ }).waitFor({ timeout: 3000 });
    await page.screenshot({ path: join(shots, '02-operator-p1-live.png'), fullPage: true });

    // Keyboard only: j focuses the first row, Enter opens it.
    await page.locator('#queue-title').click();
    await page.keyboard.press('j');
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('alert-row')), true);
    await page.keyboard.press('Enter');
    await page.locator('#detail-view').waitFor({ state: 'visible', timeout: 5000 });
    await page.locator('#detail-people', { hasText: 'Example Resident A' }).waitFor({ timeout: 5000 });
    assert.match(await page.locator('#detail-people').innerText(), /Example Daughter/);
    assert.match(await page.locator('#detail-summary').innerText(), /\S/);

    await page.click('#act-claim');
    await page.locator('#detail-meta', { hasText: 'claimed by op-wang' }).waitFor({ timeout: 5000 });
    await page.locator('#queue .alert-row.acknowledged').waitFor({ timeout: 5000 });
    await page.click('#note-presets .preset[data-note="called resident"]');
    await page.locator('#detail-timeline', { hasText: 'called resident' }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(shots, '03-operator-claimed.png'), fullPage: true });

    await page.selectOption('#resolve-outcome', 'help-arrived');
    await page.click('#act-resolve');
    await page.locator('#detail-meta', { hasText: 'outcome: help-arrived' }).waitFor({ timeout: 5000 });
    await page.locator('#queue-empty').waitFor({ state: 'visible', timeout: 5000 });
    await page.locator('#p1-banner').waitFor({ state: 'hidden', timeout: 2000 });
    await page.screenshot({ path: join(shots, '04-operator-resolved.png'), fullPage: true });
    const resolved = await eventually('the alert resolved in the API', async () => {
      const r = await fetch(`${base}/api/v1/alerts?state=resolved`, { headers: { Authorization: `Bearer ${admin}` } });
      return (await r.json()).alerts.find((a) => a.outcome === 'help-arrived');
    }, 5000);
    assert.equal(resolved.assignee, 'op-wang');
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  await step('a social worker sees only their caseload', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base + '/');
    await page.fill('#login-user', 'sw-lu');
    await page.fill('#login-password', 'social-worker-password');
    await page.click('#login-submit');
    await page.locator('#live', { hasText: 'live' }).waitFor({ timeout: 10000 });

    // Another caseload's alert (H-3-503, sw-song) first, then one of sw-lu's (H-3-502).
    publish(mqttPort, 'hearth/v1/devices/button-demo-1/up', '{"ts":"2026-11-20T07:31:00Z","metrics":{"sos.pressed":true}}');
    await eventually('the other caseload\'s alert in the API', async () =>
      (await alertsAsAdmin()).some((a) => a.subject.device_id === 'button-demo-1' && a.state === 'open'));
    publish(mqttPort, 'zigbee2mqtt/0x00158d0008a1b2c3', '{"action":"emergency","battery":90}');
    await page.locator('#queue .alert-row.p1.open').waitFor({ state: 'visible', timeout: 5000 });
    const rows = await page.locator('#queue .alert-row').allInnerTexts();
    assert.equal(rows.length, 1, `sw-lu sees ${rows.length} alerts: ${rows.join(' | ')}`);
    assert.match(rows[0], /H-3-502/);
    assert.doesNotMatch(rows.join('\n'), /H-3-503/);
    await page.screenshot({ path: join(shots, '05-social-worker-queue.png'), fullPage: true });

    await page.click('#tab-caseload');
    await page.locator('#caseload .resident-row').first().waitFor({ timeout: 5000 });
    const residents = await page.locator('#caseload .resident-row').allInnerTexts();
    assert.equal(residents.length, 1);
    assert.match(residents[0], /Example Resident A/);
    await page.locator('#caseload .resident-row').first().click();
    await page.locator('#resident-history li').first().waitFor({ timeout: 5000 });
    assert.match(await page.locator('#resident-history').innerText(), /P1/);
    const week = new Date(Date.now() + 7 * 24 * 3600 * 1000);
    const two = (n) => String(n).padStart(2, '0');
    await page.fill('#away-until', `${week.getFullYear()}-${two(week.getMonth() + 1)}-${two(week.getDate())}T09:00`);
    await page.fill('#away-reason', 'in hospital');
    await page.click('#away-form button[type="submit"]');
    await page.locator('#caseload .resident-row', { hasText: 'away until' }).waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(shots, '06-social-worker-caseload.png'), fullPage: true });

    // The other caseload's resident does not exist for her, even by URL.
    const other = await page.evaluate(async () => (await fetch('/api/v1/residents/R-1002')).status);
    assert.equal(other, 404);
    await ctx.close();
  });

  await browser.close();
  daemon.kill('SIGTERM');
  mosquitto.kill('SIGTERM');
  if (failed) {
    console.error('hearthd log:\n' + daemon.output());
  }
}

try {
  await main();
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!failed) rmSync(work, { recursive: true, force: true });
  else console.error(`work folder kept: ${work}`);
}
console.log(failed ? 'browser tests FAILED' : 'browser tests passed');
process.exit(failed ? 1 : 0);
