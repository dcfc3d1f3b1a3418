// SPDX-License-Identifier: Apache-2.0
// Browser tests of the supervisor's desk (issue 16, daemon/console/desk.js): playwright-core
// drives Debian's chromium headless against a real hearthd fed through a real mosquitto.
//  1. A supervisor, in Chinese (the default): the SLA board with the morning's figures and
//     its CSV export, the handover taken over, a building silenced and the silence ended, a
//     resident set away and back, an operator added, its password reset and the user
//     disabled.
//  2. An admin, in English: the users screen offers every role; a role changed.
//  3. An operator: no desk screens, and the API refuses the desk's calls.
// Every word on the desk screens must come from the catalogue: no `desk.` key may show.
// Screenshots go to $SCREENSHOT_DIR. Every wait has a deadline; nothing sleeps a fixed time.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Run, source, hearthd, shots, chromiumPath, freePort, eventually } from './support.mjs';

const run = new Run('hearth-desk-');
const work = run.work;

/** No catalogue key (desk.something) is shown as text on the page. */
async function noRawKeys(page) {
  const text = await page.locator('#app-view').innerText();
  const raw = text.match(/desk\.[a-z_]+(\.[a-z_-]+)*/g);
  assert.equal(raw, null, `catalogue keys shown instead of words: ${raw}`);
}

let browser;

async function main() {
  const mqttPort = await freePort();
  const httpPort = await freePort();
  writeFileSync(join(work, 'mosquitto.conf'), `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const mosquitto = run.start('mosquitto', ['-c', join(work, 'mosquitto.conf')]);
  const config = join(work, 'hearth.yaml');
  writeFileSync(config, [
    'timezone: Asia/Shanghai',
    `database: ${join(work, 'hearth.db')}`,
    `devices_dir: ${join(source, 'devices')}`,
    `rules_dir: ${join(source, 'rules')}`,
    `registry_dir: ${join(source, 'tests', 'data', 'registry')}`,
    `console_dir: ${join(source, 'daemon', 'console')}`,
    `mqtt: { uri: "tcp://127.0.0.1:${mqttPort}", client_id: hearthd-desk-${httpPort} }`,
    `http: { listen: "127.0.0.1:${httpPort}" }`,
    '',
  ].join('\n'));
  const opToken = run.addUser(config, 'op-wang', 'operator', 'operator-password');
  run.addUser(config, 'op-zhou', 'operator', 'operator-zhou-password');
  run.addUser(config, 'sup-wang', 'supervisor', 'supervisor-password');
  const admin = run.addUser(config, 'admin-1', 'admin', 'admin-password-1');
  const daemon = run.start(hearthd, ['run', '--config', config]);
  const base = `http://127.0.0.1:${httpPort}`;
  const asAdmin = async (path, init = {}) => fetch(`${base}/api/v1/${path}`,
    { ...init, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' } });
  await eventually('hearthd connected to the broker', async () => {
    const r = await fetch(`${base}/metrics`);
    return /^mqtt_connected 1$/m.test(await r.text());
  }, 20000);
  const catalogue = await fetch(`${base}/api/v1/messages/zh-CN`);
  assert.equal(catalogue.status, 200, 'the message catalogue (GET /api/v1/messages/zh-CN)');
  const words = (await catalogue.json()).messages;

  // The morning: an SOS claimed at once by op-wang, then smoke that nobody has claimed yet.
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1',
    '-t', 'zigbee2mqtt/0x00158d0008a1b2c3', '-m', '{"action":"emergency","battery":92}']);
  const sos = await eventually('the SOS alert', async () =>
    (await (await asAdmin('alerts')).json()).alerts.find((a) => a.rule === 'sos-pressed'));
  const claim = await fetch(`${base}/api/v1/alerts/${sos.id}/claim`, { method: 'POST',
    headers: { Authorization: `Bearer ${opToken}`, 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(claim.status, 200);
  // ... and resolved as a false alarm: the board's false alarms by device type name it.
  const resolved = await fetch(`${base}/api/v1/alerts/${sos.id}/resolve`, { method: 'POST',
    headers: { Authorization: `Bearer ${opToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ outcome: 'false-alarm', note: '老人误按' }) });
  assert.equal(resolved.status, 200);
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mqttPort), '-q', '1',
    '-t', 'zigbee2mqtt/0x00158d0008a1b2c4', '-m', '{"smoke":true,"battery":80}']);
  const smoke = await eventually('the smoke alert', async () =>
    (await (await asAdmin('alerts')).json()).alerts.find((a) => a.rule === 'smoke-detected'));

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const login = async (user, password, locale) => {
    // The console starts in the browser's language (the user has picked none): a Chinese
    // call centre's browsers are zh-CN; the admin's is English.
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 },
      locale: locale === 'en' ? 'en-US' : 'zh-CN' });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => d.accept());
    await page.goto(base + '/');
    await page.fill('#login-user', user);
    await page.fill('#login-password', password);
    await page.press('#login-password', 'Enter');
    await page.locator('#app-view').waitFor({ state: 'visible', timeout: 10000 });
    return { ctx, page, errors };
  };

  await run.step('a supervisor reads the SLA board, exports it, and takes the shift over (zh-CN)', async () => {
    const { ctx, page, errors } = await login('sup-wang', 'supervisor-password');
    await page.locator('#tab-sla').click();
    const p1 = page.locator('#sla-board tr[data-priority="1"][data-within="60"]');
    await p1.waitFor({ timeout: 10000 });
    assert.equal(await page.locator('#desk-title-sla').innerText(), '服务水平看板');
    assert.equal(words['desk.sla.title'], '服务水平看板');
    const cells = await p1.locator('td').allInnerTexts();
    // P1 within 60 s: the SOS answered in time; the smoke is pending, or late once its
    // minute has passed (a loaded machine).
    const [judged, inTime, late, pending] = cells.slice(4, 8).map(Number);
    assert.equal(inTime, 1, cells.join(' | '));
    assert.equal(judged + pending, 2, cells.join(' | '));
    assert.equal(late, judged - inTime, cells.join(' | '));
    assert.equal(cells[8], late === 0 ? '达标' : '未达标');
    // The device type by its catalogue name (devices/z2m.sos-button.yaml), not its id.
    const byType = page.locator('#sla-board table', { hasText: words['desk.sla.false_by_type'] });
    assert.deepEqual(await byType.locator('tbody td').allInnerTexts(), ['SOS 按键', '1', '1', '100%']);
    await noRawKeys(page);
    await page.screenshot({ path: join(shots, 'desk-01-sla-board.png'), fullPage: true });
    const href = await page.locator('#sla-export').getAttribute('href');
    const csv = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    }, href);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /^text\/csv/);
    assert.match(csv.text, /sos-pressed/);

    await page.locator('#tab-handover').click();
    await page.locator(`#handover-body tr[data-alert="${smoke.id}"]`).waitFor({ timeout: 10000 });
    // The SOS resolved in the shift, with its outcome and its last note, in Chinese.
    assert.deepEqual(await page.locator(`#handover-body tr[data-alert="${sos.id}"] td`).allInnerTexts(),
      [sos.id, 'P1', 'B3栋502室 SOS 呼救', 'B3', '误报', 'op-wang', '老人误按']);
    await noRawKeys(page);
    await page.fill('#handover-note', '烟雾报警需上门核实');
    await page.click('#handover-ack');
    await page.locator('#handover-body', { hasText: '烟雾报警需上门核实' }).waitFor({ timeout: 5000 });
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('nav.tabs').isVisible(), false);  // the printed page is the summary
    await page.screenshot({ path: join(shots, 'desk-02-handover-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    const h = await (await asAdmin('reports/handover')).json();
    assert.equal(h.acknowledgements.length, 1);
    assert.equal(h.acknowledgements[0].by, 'sup-wang');
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  await run.step('a supervisor silences a building and ends it, and sets a resident away and back', async () => {
    const { ctx, page, errors } = await login('sup-wang', 'supervisor-password');
    await page.locator('#tab-silences').click();
    await page.selectOption('#silence-kind', 'building');
    await page.fill('#silence-target', 'B3');
    await page.fill('#silence-reason', '水管维修');
    await page.click('#silence-create');
    const row = page.locator('#silence-list tr', { hasText: '水管维修' });
    await row.waitFor({ timeout: 5000 });
    assert.match(await row.innerText(), /楼栋 B3/);
    await noRawKeys(page);
    await page.screenshot({ path: join(shots, 'desk-03-silences.png'), fullPage: true });
    assert.equal((await (await asAdmin('silences')).json()).silences.length, 1);
    await row.locator('button').click();
    await row.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal((await (await asAdmin('silences')).json()).silences.length, 0);

    await page.locator('#tab-away').click();
    const resident = page.locator('#away-list tr[data-resident="R-1001"]');
    await resident.waitFor({ timeout: 5000 });
    await resident.locator('input').nth(1).fill('住院');
    await resident.locator('button').first().click();
    await page.locator('#away-list tr[data-resident="R-1001"]', { hasText: '外出至' }).waitFor({ timeout: 5000 });
    await noRawKeys(page);
    await page.screenshot({ path: join(shots, 'desk-04-away.png'), fullPage: true });
    await page.locator('#away-list tr[data-resident="R-1001"] button', { hasText: '结束外出' }).click();
    await page.locator('#away-list tr[data-resident="R-1001"]', { hasText: '在家' }).waitFor({ timeout: 5000 });
    const r = await (await asAdmin('residents/R-1001')).json();
    assert.equal(r.away, null);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  await run.step('a supervisor adds an operator, resets its password and disables another', async () => {
    const { ctx, page, errors } = await login('sup-wang', 'supervisor-password');
    await page.locator('#tab-users').click();
    await page.locator('#user-list tr[data-user="op-wang"]').waitFor({ timeout: 5000 });
    // A supervisor may make operators and social workers only.
    assert.deepEqual(await page.locator('#user-role option').evaluateAll((os) => os.map((o) => o.value)),
      ['operator', 'social_worker']);
    await page.fill('#user-name', 'op-li');
    await page.fill('#user-password', 'first password 1');
    await page.click('#user-add');
    await page.locator('#user-list tr[data-user="op-li"]').waitFor({ timeout: 5000 });
    assert.match(await page.locator('.desk-secret').innerText(), /op-li 的 API 令牌/);
    await page.locator('#user-list tr[data-user="op-li"] button', { hasText: '重置密码' }).click();
    const secret = page.locator('.desk-secret', { hasText: 'op-li 的新密码' });
    await secret.waitFor({ timeout: 10000 });
    const generated = await secret.locator('code').innerText();
    const login2 = await fetch(`${base}/api/v1/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'op-li', password: generated }) });
    assert.equal(login2.status, 200);
    await page.locator('#user-list tr[data-user="op-wang"] button', { hasText: '停用' }).click();
    await page.locator('#user-list tr[data-user="op-wang"].disabled').waitFor({ timeout: 5000 });
    const refused = await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${opToken}` } });
    assert.equal(refused.status, 401);
    // The admin's row offers no actions to a supervisor.
    assert.equal(await page.locator('#user-list tr[data-user="admin-1"] button').count(), 0);
    await noRawKeys(page);
    await page.screenshot({ path: join(shots, 'desk-05-users.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  await run.step('an admin manages every role (en)', async () => {
    const { ctx, page, errors } = await login('admin-1', 'admin-password-1', 'en');
    await page.locator('#tab-users').click();
    await page.locator('#user-list tr[data-user="op-li"]').waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#desk-title-users').innerText(), 'Users');
    assert.deepEqual(await page.locator('#user-role option').evaluateAll((os) => os.map((o) => o.value)),
      ['operator', 'supervisor', 'social_worker', 'integrator', 'admin']);
    await page.locator('#user-list tr[data-user="op-li"] select').selectOption('supervisor');
    await eventually('op-li is a supervisor', async () =>
      (await (await asAdmin('users')).json()).users.find((u) => u.name === 'op-li').role === 'supervisor', 5000);
    await page.locator('#tab-sla').click();
    await page.locator('#sla-board tr[data-priority="1"]').first().waitFor({ timeout: 10000 });
    assert.equal(await page.locator('#desk-title-sla').innerText(), 'SLA board');
    await noRawKeys(page);
    await page.screenshot({ path: join(shots, 'desk-06-admin-sla-en.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  await run.step('an operator gets no desk screens, and the API refuses the desk to them', async () => {
    const { ctx, page, errors } = await login('op-zhou', 'operator-zhou-password');
    await page.locator('nav.tabs [data-screen="queue"]').waitFor({ timeout: 5000 });  // the console's own tab
    for (const tab of ['sla', 'handover', 'silences', 'away', 'users'])
      assert.equal(await page.locator(`#tab-${tab}`).count(), 0, `an operator sees the ${tab} tab`);
    const statuses = await page.evaluate(async () => {
      const post = (path, body) => fetch('/api/v1/' + path, { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return [
        (await fetch('/api/v1/reports/sla')).status,
        (await fetch('/api/v1/reports/handover')).status,
        (await fetch('/api/v1/alerts/export?from=2026-01-01T00:00:00Z')).status,
        (await fetch('/api/v1/users')).status,
        (await post('users', { name: 'x1', role: 'operator' })).status,
        (await post('silences', { scope: { building: 'B3' }, until: '2099-01-01T00:00:00Z', reason: 'x' })).status,
        (await post('residents/R-1001/away', { until: '2099-01-01T00:00:00Z', reason: 'x' })).status,
      ];
    });
    assert.deepEqual(statuses, [403, 403, 403, 403, 403, 403, 403]);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  await browser.close();
  daemon.kill('SIGTERM');
  mosquitto.kill('SIGTERM');
  if (run.failed) console.error('hearthd log:\n' + daemon.output());
}

try {
  await main();
} catch (e) {
  run.failed = true;
  console.error(e);
} finally {
  if (browser) await browser.close().catch(() => {});
  run.finish();
}
console.log(run.failed ? 'desk browser tests FAILED' : 'desk browser tests passed');
process.exit(run.failed ? 1 : 0);
