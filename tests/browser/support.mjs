// SPDX-License-Identifier: Apache-2.0
// What both browser tests need: the tree under test, free loopback ports, child processes
// that are killed at the end, polling with a deadline, users made with `hearthd users add`,
// and named steps whose failures are counted. Every wait has a deadline; nothing sleeps a
// fixed time.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const source = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const hearthd = process.env.HEARTHD || join(source, 'build', 'hearthd');
export const shots = process.env.SCREENSHOT_DIR || join(source, 'build', 'browser-screenshots');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); });
  });
}

/** Polls `ok` until it returns a truthy value or `ms` pass (timer-paced, no fixed sleep). */
export async function eventually(what, ok, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { const v = await ok(); if (v) return v; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));  // poll interval, not a wait for an outcome
  }
}

/** One test run: its work folder, its child processes, its steps and whether one failed. */
export class Run {
  constructor(prefix) {
    this.work = mkdtempSync(join(tmpdir(), prefix));
    this.children = [];
    this.failed = false;
  }

  /** Starts `cmd`; its output is kept (`child.output()`) and, when it exits, written to
   *  `log` in the work folder if given. */
  start(cmd, args, log) {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    if (log) child.on('exit', () => writeFileSync(join(this.work, log), Buffer.concat(out)));
    this.children.push(child);
    child.output = () => Buffer.concat(out).toString();
    return child;
  }

  /** `hearthd users add`; returns the user's API token (the command's last line). */
  addUser(config, name, role, password) {
    const pw = join(this.work, `password-${name}`);
    writeFileSync(pw, password + '\n');
    const out = execFileSync(hearthd, ['users', 'add', name, '--role', role, '--config', config, '--password-file', pw]);
    return out.toString().trim().split('\n').pop();
  }

  async step(name, fn) {
    process.stdout.write(`- ${name} ... `);
    const t0 = Date.now();
    try {
      await fn();
      console.log(`ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      this.failed = true;
      console.log('FAILED');
      console.error(e);
    }
  }

  /** Kills what is still running; removes the work folder unless a step failed. */
  finish() {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
    if (!this.failed) rmSync(this.work, { recursive: true, force: true });
    else console.error(`work folder kept: ${this.work}`);
  }
}
