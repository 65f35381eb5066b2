// Presentation attack detection reaches the officers' console: `egate run --sim` with one
// gate whose travellers present a (synthetic) print of the holder's face, then a screen
// replay; the officer sees a `presentation_attack` alarm in the queue and the gate tile shows
// liveness "required". The attacks are synthetic (vision::pad::synth): this checks the path
// from PAD to the officer, not PAD accuracy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  egateBin, tempDir, makeUsers, startConsole, stop, launchBrowser, newPage, login, shot,
} from './lib.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { if (browser) await browser.close(); });

test('a print of the holder raises a presentation_attack alarm on the console', async () => {
  const dir = tempDir('pad');
  const users = makeUsers(dir);
  const cfg = path.join(dir, 'egate.toml');
  fs.writeFileSync(cfg, [
    '[console]', 'listen = "127.0.0.1:0"', `users_file = ${JSON.stringify(users.file)}`, '',
    '[server]', 'listen = "127.0.0.1:0"', '',
    '[sim]', 'gates = 1', 'arrival_interval_s = 0.2', 'vpcd_readers = []',
    'pattern = ["print", "screen_replay"]',
    `faces_dir = ${JSON.stringify(path.resolve(import.meta.dirname, '../../vision/tests/data'))}`, '',
  ].join('\n'));
  const bank = await startConsole(egateBin, ['run', '--sim', '--config', cfg, '--state-dir', dir]);
  try {
    const base = `https://${bank.addr}`;
    const page = await newPage(browser);
    await login(page, base, users.users.officer);
    await page.locator('#stream-state.live').waitFor({ timeout: 15000 });
    await page.waitForFunction(() => document.querySelectorAll('.gate').length === 1, null, { timeout: 30000 });
    assert.equal(await page.locator('.gate .liveness').textContent(), 'required');
    const alarm = page.locator('.alarm[data-reason="presentation_attack"]').first();
    await alarm.waitFor({ timeout: 180000 });
    await shot(page, 'pad-01-presentation-attack-alarm.png');
    // Both presentations are referred: a second alarm for the screen replay.
    try {
      await page.waitForFunction(
        () => document.querySelectorAll('.alarm[data-reason="presentation_attack"]').length >= 2,
        null, { timeout: 180000 });
    } catch (e) {
      throw new Error(`${e.message}\n${await diagnose(page, dir, bank)}`);
    }
  } finally {
    await stop(bank);
  }
});

// What the page, the console's API and the trail hold, for a failure message.
async function diagnose(page, dir, bank) {
  const onPage = await page.evaluate(() => ({
    items: [...document.querySelectorAll('.alarm')].map((li) => `${li.dataset.alarm}:${li.dataset.reason}`),
    stream: document.querySelector('#stream-state')?.className,
    api: null,
  }));
  const api = await page.evaluate(async () => {
    const r = await fetch('/api/alarms');
    return `${r.status} ${await r.text()}`;
  });
  let trail = [];
  try {
    trail = fs.readFileSync(path.join(dir, 'audit.jsonl'), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l)).filter((r) => r.kind === 'alarm' || r.kind === 'passage')
      .map((r) => `${r.seq}:${r.kind}:${r.data.reason}`);
  } catch (err) {
    trail = [`unreadable: ${err.message}`];
  }
  return [
    `page alarms: ${JSON.stringify(onPage.items)} stream: ${onPage.stream}`,
    `GET /api/alarms: ${api.slice(0, 2000)}`,
    `trail: ${trail.join(' ')}`,
    'daemon log (last 40 lines):', ...bank.log.slice(-40),
  ].join('\n');
}
