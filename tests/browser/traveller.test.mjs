// The lane's traveller screen in headless Chromium, against `egate run --sim`: the steps it
// shows for a genuine passage and for a face mismatch sent back through the entry, in the
// document's language; screenshots of every step in English, Arabic and Chinese
// (test-artifacts/traveller/); and an axe-core accessibility audit (WCAG 2.1 A and AA) of the
// traveller screen and of the logged-in officers' console.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  egateBin, repo, tempDir, makeUsers, startConsole, stop, launchBrowser, login,
} from './lib.mjs';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const shots = path.join(repo, 'test-artifacts', 'traveller');
fs.rmSync(shots, { recursive: true, force: true });
fs.mkdirSync(shots, { recursive: true });

let browser;
let daemon;
let screenBase;
let consoleBase;
let users;
let stateDir;

before(async () => {
  browser = await launchBrowser();
  const dir = tempDir('traveller');
  stateDir = dir;
  users = makeUsers(dir);
  const cfg = path.join(dir, 'egate.toml');
  fs.writeFileSync(cfg, [
    '[console]', 'listen = "127.0.0.1:0"', `users_file = ${JSON.stringify(users.file)}`, '',
    '[server]', 'listen = "127.0.0.1:0"', '',
    '[traveller]', 'listen = "127.0.0.1:0"', '',
    // One traveller in the lane at a time: the steps are read passage by passage on the
    // lane's one screen (an entry screen for an overlapping traveller is not built).
    '[gate]', 'overlap = false', '',
    '[sim]', 'gates = 1', `faces_dir = ${JSON.stringify(path.join(repo, 'vision/tests/data'))}`,
    'pattern = ["genuine", "impostor"]', '',
  ].join('\n'));
  daemon = await startConsole(egateBin, ['run', '--sim', '--config', cfg, '--state-dir', dir]);
  const line = daemon.log.find((l) => l.includes('traveller screen listening'));
  assert.ok(line, `no traveller screen line in:\n${daemon.log.join('\n')}`);
  screenBase = `http://${/addr=(\S+)/.exec(line)[1]}`;
  consoleBase = `https://${daemon.addr}`;
});

after(async () => {
  if (browser) await browser.close();
  await stop(daemon);
});

async function page({ https = false } = {}) {
  // The audit script is injected inline: the pages' own CSP forbids that, so this context
  // bypasses it (the pages themselves load nothing from elsewhere).
  const context = await browser.newContext({
    bypassCSP: true, ignoreHTTPSErrors: https, viewport: { width: 1280, height: 900 },
  });
  return context.newPage();
}

const steps = (p) => p.evaluate(() => window.egateSteps.slice());

/** Passages as seen on the page: runs of updates from one "present_document" to the next. */
function passages(updates) {
  const out = [];
  for (const u of updates) {
    if (u.step === 'present_document' && (out.length === 0 || out[out.length - 1].some((x) => x.step !== 'present_document'))) out.push([]);
    if (out.length) out[out.length - 1].push(u);
  }
  return out;
}
const names = (p) => p.map((u) => u.step).filter((s, i, a) => i === 0 || a[i - 1] !== s);
const ends = (p, last) => p.some((u) => u.step === 'look_at_camera') && p[p.length - 1].step === last;

async function audit(p, what) {
  await p.addScriptTag({ content: axeSource });
  const result = await p.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} element(s): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [],
    `${what}: axe-core finds serious WCAG 2.1 AA violations`);
  console.log(`# axe-core on ${what}: ${result.passes.length} rules pass, ${result.violations.length} minor violation(s), ${result.incomplete.length} to review by hand`);
}

test('the traveller screen follows a genuine passage and a face mismatch in the document language', async () => {
  const p = await page();
  await p.goto(`${screenBase}/gates/gate-1-1`);
  await p.waitForFunction(() => {
    const ps = [];
    for (const u of window.egateSteps) {
      if (u.step === 'present_document') ps.push([]);
      if (ps.length) ps[ps.length - 1].push(u.step);
    }
    const done = ps.slice(0, -1);
    const ends = (p, last) => p.includes('look_at_camera') && p[p.length - 1] === last;
    return done.some((p) => ends(p, 'please_proceed')) && done.some((p) => ends(p, 'please_go_back'));
  }, null, { timeout: 180000, polling: 200 });
  const all = passages(await steps(p));
  const genuine = all.find((x) => ends(x, 'please_proceed'));
  const back = all.find((x) => ends(x, 'please_go_back'));
  assert.deepEqual(names(genuine), ['present_document', 'reading_document', 'please_wait', 'please_enter', 'look_at_camera', 'please_proceed']);
  assert.deepEqual(names(back).slice(0, 5), ['present_document', 'reading_document', 'please_wait', 'please_enter', 'look_at_camera']);
  for (const x of [genuine, back]) {
    // German from the chip read on: the simulator's documents are issued by "D".
    assert.ok(x.filter((u) => u.step !== 'present_document').every((u) => u.lang === 'de'), JSON.stringify(x));
    // The notice was on screen before the camera's first frame.
    const first = x.findIndex((u) => u.capturing);
    assert.ok(first > 0 && x.slice(0, first).some((u) => u.noticeShown), JSON.stringify(x));
  }
  // What the traveller read when sent back: the catalogue's words, no reason.
  const deCatalogue = await (await fetch(`${screenBase}/messages/de`)).json();
  assert.equal(back[back.length - 1].text, deCatalogue.texts['messages.please_go_back']);
  for (const u of back) assert.ok(!/match|score|watch|reason|list/i.test(u.text), u.text);
  await audit(p, 'the traveller screen (German)');
});

test('every step in English, Arabic and Chinese, screenshot and audited', async () => {
  const p = await page();
  await p.goto(`${screenBase}/gates/gate-1-1`);
  for (const lang of ['en', 'ar', 'zh']) {
    // At the next traveller's first prompt, tap the language: it holds for that passage.
    const from = await p.evaluate(() => window.egateSteps.length);
    await p.waitForFunction((i) => window.egateSteps.slice(i).some((u) => u.step === 'present_document'),
      from, { timeout: 120000, polling: 50 });
    await p.locator(`#language-list button[data-lang="${lang}"]`).click();
    await p.waitForFunction((l) => document.documentElement.lang === l, lang, { timeout: 10000 });
    const seen = new Set();
    const dirs = new Set();
    let n = 0;
    for (;;) {
      const cur = await p.evaluate(() => window.egateSteps[window.egateSteps.length - 1]);
      if (cur.lang === lang && !seen.has(cur.step)) {
        seen.add(cur.step);
        dirs.add(await p.evaluate(() => document.documentElement.dir));
        n += 1;
        await p.screenshot({ path: path.join(shots, `${lang}-${String(n).padStart(2, '0')}-${cur.step}.png`) });
        if (cur.step === 'look_at_camera' || cur.step === 'please_enter') await audit(p, `the traveller screen (${lang}, ${cur.step})`);
      }
      if (cur.step === 'present_document' && seen.size > 1) break;
      if (cur.lang !== lang && seen.size > 1) break;
      await p.waitForTimeout(50);
    }
    assert.ok(['reading_document', 'please_enter', 'look_at_camera'].every((s) => seen.has(s)), `${lang}: ${[...seen]}`);
    assert.deepEqual([...dirs], [lang === 'ar' ? 'rtl' : 'ltr']);
  }
});

test('the accessible mode: larger text, the spoken prompts, and the gate told to give more time', async () => {
  const p = await page();
  await p.goto(`${screenBase}/gates/gate-1-1`);
  const from = await p.evaluate(() => window.egateSteps.length);
  await p.waitForFunction((i) => window.egateSteps.slice(i).some((u) => u.step === 'present_document'),
    from, { timeout: 120000, polling: 50 });
  // The button is the traveller's own gesture, which lets the page play sound.
  await p.locator('#assist').click();
  await p.waitForFunction(() => document.body.classList.contains('large'), null, { timeout: 10000 });
  await p.waitForFunction(() => window.egateAudio.filter((a) => a.ok).length >= 2, null, { timeout: 120000, polling: 100 });
  const played = await p.evaluate(() => window.egateAudio.slice());
  const size = await p.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  assert.ok(size >= 40, `font size ${size}px`);
  await p.screenshot({ path: path.join(shots, 'accessible-mode.png') });
  // Each prompt played is a recording of that step in the screen's language.
  for (const a of played.filter((x) => x.ok)) {
    const r = await fetch(screenBase + a.src);
    assert.equal(r.status, 200, a.src);
    assert.equal(r.headers.get('content-type'), 'audio/wav');
    const head = Buffer.from(await r.arrayBuffer()).subarray(0, 4).toString('latin1');
    assert.equal(head, 'RIFF', a.src);
  }
  console.log(`# accessible mode: ${played.filter((x) => x.ok).length} prompts played: ${played.map((x) => x.src).join(' ')}`);
  // The gate was told: the trail records the accessible mode.
  const trail = fs.readFileSync(path.join(stateDir, 'audit.jsonl'), 'utf8');
  assert.ok(trail.split('\n').some((l) => l.includes('"kind":"assisted"')), 'no "assisted" record in the trail');
  await audit(p, 'the traveller screen (accessible mode)');
});

test('the logged-in officers\' console passes the same audit', async () => {
  const p = await page({ https: true });
  await login(p, consoleBase, users.users.officer);
  await p.waitForFunction(() => document.querySelectorAll('#chart-outcomes rect').length > 0, null, { timeout: 120000 });
  await p.screenshot({ path: path.join(shots, 'console-logged-in.png'), fullPage: true });
  await audit(p, 'the officers\' console');
});
