// The liveness challenge's prompts in headless Chromium, against `egate run --sim` with
// `[vision.pad.challenge] enabled`: the traveller page shows each prompt (in the document's
// language) while the camera step lasts, and the officers' console shows it as the gate's
// step in its live view. The simulated genuine traveller follows the prompts and passes.
// The traveller is synthetic (vision::pad::synth::Follower): this checks the path from the
// lane to the two screens, not PAD accuracy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  egateBin, repo, tempDir, makeUsers, startConsole, stop, launchBrowser, newPage, login, shot,
} from './lib.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { if (browser) await browser.close(); });

test('the challenge prompts reach the traveller page and the console live view', async () => {
  const dir = tempDir('challenge');
  const users = makeUsers(dir);
  const cfg = path.join(dir, 'egate.toml');
  fs.writeFileSync(cfg, [
    '[console]', 'listen = "127.0.0.1:0"', `users_file = ${JSON.stringify(users.file)}`, '',
    '[server]', 'listen = "127.0.0.1:0"', '',
    '[traveller]', 'listen = "127.0.0.1:0"', '',
    '[gate]', 'overlap = false', '',
    '[vision.pad.challenge]', 'enabled = true', 'actions = 2', '',
    '[sim]', 'gates = 1', 'arrival_interval_s = 1.0', 'vpcd_readers = []',
    `faces_dir = ${JSON.stringify(path.join(repo, 'vision/tests/data'))}`,
    'pattern = ["genuine"]', '',
  ].join('\n'));
  const bank = await startConsole(egateBin, ['run', '--sim', '--config', cfg, '--state-dir', dir]);
  try {
    const line = bank.log.find((l) => l.includes('traveller screen listening'));
    assert.ok(line, `no traveller screen line in:\n${bank.log.join('\n')}`);
    const screen = await newPage(browser);
    await screen.goto(`http://${/addr=(\S+)/.exec(line)[1]}/gates/gate-1-1`);
    const officer = await newPage(browser);
    await login(officer, `https://${bank.addr}`, users.users.officer);
    await officer.locator('#stream-state.live').waitFor({ timeout: 15000 });
    await officer.waitForFunction(() => document.querySelectorAll('.gate').length === 1, null, { timeout: 30000 });
    // Every step text the gate tile shows, as it changes.
    await officer.evaluate(() => {
      window.seenSteps = [];
      const el = document.querySelector('.gate .step');
      new MutationObserver(() => window.seenSteps.push(el.textContent))
        .observe(el, { childList: true, characterData: true, subtree: true });
    });
    // A whole passage with a challenge on the traveller page.
    await screen.waitForFunction(() => {
      const s = window.egateSteps || [];
      const i = s.findIndex((u) => u.challenge);
      return i >= 0 && s.slice(i).some((u) => u.step === 'please_proceed');
    }, null, { timeout: 180000 });
    const seen = await screen.evaluate(() => window.egateSteps.slice());
    const asked = seen.filter((u) => u.challenge);
    assert.ok(asked.every((u) => u.step === 'look_at_camera'), JSON.stringify(asked));
    const codes = [...new Set(asked.map((u) => u.challenge))];
    assert.equal(codes.length, 2, JSON.stringify(asked));
    for (const u of asked) {
      assert.ok(['turn_left', 'turn_right', 'step_closer'].includes(u.challenge), u.challenge);
      // The prompt's text from the catalogue of the document's language (German).
      assert.equal(u.lang, 'de');
      assert.match(u.challengeText, /Kopf|Schritt/, JSON.stringify(u));
    }
    await shot(screen, 'challenge-01-traveller-page.png');
    // The officers saw it as the gate's step.
    await officer.waitForFunction(
      () => window.seenSteps.some((s) => s.startsWith('liveness challenge')), null, { timeout: 30000 });
    const steps = await officer.evaluate(() => window.seenSteps.filter((s) => s.startsWith('liveness')));
    assert.ok(steps.some((s) => /^liveness challenge 1 of 2: (turn left|turn right|step closer)$/.test(s)), steps.join(' | '));
    assert.ok(steps.some((s) => /^liveness challenge 2 of 2: /.test(s)), steps.join(' | '));
    // The passage was accepted (once the traveller has left), the challenge named in its
    // record.
    const passages = () => fs.readFileSync(path.join(dir, 'audit.jsonl'), 'utf8').split('\n')
      .filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.kind === 'passage');
    const until = Date.now() + 60000;
    while (passages().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    const ended = passages();
    assert.ok(ended.some((r) => r.data.outcome === 'accepted' && r.data.pad.challenge === 'live'),
      JSON.stringify(ended.map((r) => r.data)));
  } finally {
    await stop(bank);
  }
});
