// Helpers for the console's browser tests: find the binaries, start a console (egate run
// --sim, the console fixture, or egate console --gates), create accounts, launch Debian's
// Chromium through playwright-core (never a downloaded browser).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');
export const artifacts = path.join(repo, 'test-artifacts', 'console');
fs.mkdirSync(artifacts, { recursive: true });

const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'egate-target');
export const egateBin = process.env.EGATE_BIN || path.join(target, 'debug', 'egate');
export const fixtureBin = process.env.EGATE_CONSOLE_FIXTURE || path.join(target, 'debug', 'examples', 'console_fixture');

for (const b of [egateBin]) {
  if (!fs.existsSync(b)) throw new Error(`${b} is not built: run \`cargo build -p egate\` first (make test does)`);
}

export function tempDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `egate-browser-${name}-`));
}

/** Writes a users file with one account per role; returns { file, users: {role: {id, password}} }. */
export function makeUsers(dir) {
  const file = path.join(dir, 'users.toml');
  const users = {};
  for (const role of ['officer', 'supervisor', 'technician']) {
    const id = `${role}-1`;
    const password = `${role}-Pa55word-${Math.random().toString(36).slice(2)}`;
    execFileSync(egateBin, ['console', 'adduser', '--users', file, '--id', id, '--role', role], {
      input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'],
    });
    users[role] = { id, password };
  }
  return { file, users };
}

/** Starts a process and resolves with { proc, addr, fingerprint, log } once "console listening" appears. */
export function startConsole(bin, args, { timeoutMs = 120000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EGATE_LOG: 'info', ...env } });
    const log = [];
    let done = false;
    let buf = '';
    const timer = setTimeout(() => {
      if (!done) { done = true; proc.kill('SIGKILL'); reject(new Error(`no "console listening" within ${timeoutMs} ms:\n${log.join('\n')}`)); }
    }, timeoutMs);
    proc.stderr.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        log.push(line);
        if (!done && line.includes('console listening')) {
          const addr = /addr=(\S+)/.exec(line);
          const fp = /fingerprint=(\S+)/.exec(line);
          if (addr) {
            done = true;
            clearTimeout(timer);
            resolve({ proc, addr: addr[1], fingerprint: fp ? fp[1] : null, log });
          }
        }
      }
    });
    proc.on('exit', (code) => {
      if (!done) { done = true; clearTimeout(timer); reject(new Error(`${bin} exited with ${code}:\n${log.join('\n')}`)); }
    });
  });
}

export async function stop(p) {
  if (!p || p.proc.exitCode !== null) return;
  const exited = new Promise((r) => p.proc.on('exit', r));
  p.proc.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

export async function newPage(browser) {
  // The demo certificate is self-signed; the Rust tests check TLS itself.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 1000 } });
  return context.newPage();
}

export async function login(page, base, user) {
  await page.goto(base + '/');
  await page.locator('#login-user').waitFor({ state: 'visible' });
  await page.fill('#login-user', user.id);
  await page.fill('#login-password', user.password);
  await page.click('#login-submit');
  await page.locator('#app-view').waitFor({ state: 'visible' });
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, name), fullPage: true });
}

/** Median and percentiles of numbers. */
export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.round((s.length - 1) * p))];
  return { n: s.length, min: s[0], p50: q(0.5), p95: q(0.95), max: s[s.length - 1] };
}
