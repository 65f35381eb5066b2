// Issue #18 must-show 2 in headless Chromium against `egate run --sim`: a traveller listed by
// name and date of birth, with a clean document, is referred (borderdb_hit); the officer who
// takes the referral sees the required action and the passage's DG1; another officer and a
// technician do not, on the page or through the API; closing the referral removes them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  egateBin, tempDir, makeUsers, startConsole, stop, launchBrowser, newPage, login, shot,
} from './lib.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { if (browser) await browser.close(); });

/** A second officer account in the same users file. */
function addOfficer(users, id) {
  const password = `officer-Pa55word-${Math.random().toString(36).slice(2)}`;
  execFileSync(egateBin, ['console', 'adduser', '--users', users.file, '--id', id, '--role', 'officer'], {
    input: password + '\n', stdio: ['pipe', 'ignore', 'inherit'],
  });
  return { id, password };
}

/** GET from the page, with its session: { status, body }. */
function pageGet(page, url) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: 'same-origin' });
    return { status: r.status, body: await r.text() };
  }, url);
}

test('a person hit by name and date of birth: only the handling officer sees the action and DG1', async () => {
  const dir = tempDir('referral');
  const users = makeUsers(dir);
  const other = addOfficer(users, 'officer-2');
  const cfg = path.join(dir, 'egate.toml');
  fs.writeFileSync(cfg, [
    '[console]', 'listen = "127.0.0.1:0"', `users_file = ${JSON.stringify(users.file)}`, '',
    '[server]', 'listen = "127.0.0.1:0"', '',
    '[sim]', 'gates = 1', 'arrival_interval_s = 1.0', 'vpcd_readers = []',
    'pattern = ["listed_person", "genuine"]',
    `faces_dir = ${JSON.stringify(path.resolve(import.meta.dirname, '../../vision/tests/data'))}`, '',
  ].join('\n'));
  const bank = await startConsole(egateBin, ['run', '--sim', '--config', cfg, '--state-dir', dir]);
  try {
    const base = `https://${bank.addr}`;
    const handler = await newPage(browser);
    const colleague = await newPage(browser);
    const technician = await newPage(browser);
    await login(handler, base, users.users.officer);
    await login(colleague, base, other);
    await login(technician, base, users.users.technician);

    // The listed person is referred: an open referral appears on every page.
    const item = (page) => page.locator('.referral[data-reason="borderdb_hit"]').first();
    await item(handler).waitFor({ timeout: 180000 });
    const key = await item(handler).getAttribute('data-referral');
    const [gate, id] = key.split('/');
    const detailUrl = `/api/gates/${encodeURIComponent(gate)}/referrals/${id}`;
    await colleague.locator(`.referral[data-referral="${key}"]`).waitFor({ timeout: 30000 });
    // The technician sees that a traveller was referred, not why.
    await technician.locator(`.referral[data-referral="${key}"][data-reason="traveller_referred"]`).waitFor({ timeout: 30000 });
    assert.equal(await technician.locator('.take-referral').count(), 0, 'a technician is offered to take a referral');

    // The officer takes it and sees the action and DG1.
    await handler.locator(`.referral[data-referral="${key}"] .take-referral`).click();
    const mine = handler.locator(`.referral[data-referral="${key}"]`);
    await mine.locator('.referral-detail').waitFor({ timeout: 15000 });
    assert.equal(await mine.locator('.source').textContent(), 'sis');
    assert.equal(await mine.locator('.category').textContent(), 'refusal_of_entry');
    assert.match(await mine.locator('.action').textContent(), /Refuse entry/);
    assert.equal(await mine.locator('.dg1-primary_identifier').textContent(), 'HOLMES');
    assert.equal(await mine.locator('.dg1-secondary_identifier').textContent(), 'SHERLOCK');
    assert.equal(await mine.locator('.dg1-birth_date').textContent(), '700106');
    await shot(handler, 'referral-01-handling-officer.png');

    // The other officer and the technician: no action, no DG1, on the page or from the API.
    await colleague.reload();
    await colleague.locator(`.referral[data-referral="${key}"]`, { hasText: `handled by ${users.users.officer.id}` }).waitFor({ timeout: 15000 });
    for (const [who, page] of [['officer-2', colleague], ['technician', technician]]) {
      const html = await page.content();
      for (const needle of ['HOLMES', 'SHERLOCK', '700106', 'Refuse entry']) {
        assert.ok(!html.includes(needle), `${who}'s page shows ${needle}`);
      }
      const r = await pageGet(page, detailUrl);
      assert.equal(r.status, 403, `${who} reads the detail: ${r.status} ${r.body}`);
      assert.ok(!r.body.includes('HOLMES'), `${who} got DG1 from the API`);
    }
    await shot(colleague, 'referral-02-other-officer.png');
    await shot(technician, 'referral-03-technician.png');

    // Closed by its officer: the data are gone for everyone.
    await mine.locator('.close-referral').click();
    await handler.locator(`.referral[data-referral="${key}"]`).waitFor({ state: 'detached', timeout: 15000 });
    const gone = await pageGet(handler, detailUrl);
    assert.equal(gone.status, 404);
  } finally {
    await stop(bank);
  }
});
