// The acceptance suite's HTML report renders in Chromium: every plot is drawn, the verdict
// and the cases table are there, and it prints. Uses the report `cargo test -p egate-tests
// --test acceptance_suite` leaves under $CARGO_TARGET_DIR/acceptance/suite; runs the suite
// itself when that report is not there. Screenshot: test-artifacts/acceptance/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { egateBin, repo, tempDir, launchBrowser, newPage } from './lib.mjs';

const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache', 'egate-target');
const artifacts = path.join(repo, 'test-artifacts', 'acceptance');
fs.mkdirSync(artifacts, { recursive: true });

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { if (browser) await browser.close(); });

function report() {
  const built = path.join(target, 'acceptance', 'suite', 'report.html');
  if (fs.existsSync(built)) return built;
  const dir = tempDir('acceptance');
  try {
    execFileSync(egateBin, ['sim', 'suite', '--report', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    // Exit 1 is a failed criterion: the report is still written and still has to render.
    if (e.status !== 1) throw e;
  }
  return path.join(dir, 'report.html');
}

test('the acceptance report renders its plots and tables, and prints', async () => {
  const file = report();
  const page = await newPage(browser);
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto(`file://${file}`);
  assert.match(await page.locator('#verdict').textContent(), /Verdict: (pass|fail)/);
  for (const id of ['transaction', 'throughput', 'queue', 'det', 'scores', 'outcomes', 'reasons',
    'recovery', 'pad', 'rss', 'fds']) {
    const svg = page.locator(`#plot-${id} svg`);
    assert.equal(await svg.count(), 1, `plot ${id}`);
    const box = await svg.boundingBox();
    assert.ok(box && box.width > 300 && box.height > 150, `plot ${id} is drawn: ${JSON.stringify(box)}`);
  }
  // The data reach the plots: bars and lines, not empty frames.
  assert.ok(await page.locator('#plot-transaction rect.bar').count() > 0);
  assert.ok(await page.locator('#plot-outcomes rect.bar').count() > 0);
  const cases = await page.locator('#cases tr').count();
  assert.ok(cases > 20, `${cases - 1} cases in the table`);
  assert.equal(requests.length, 0, `the report is self-contained: ${requests.join(', ')}`);
  await page.screenshot({ path: path.join(artifacts, 'acceptance-suite-report.png'), fullPage: true });
  const pdf = await page.pdf({ format: 'A4' });
  assert.ok(pdf.length > 10000, 'it prints');
  fs.writeFileSync(path.join(artifacts, 'acceptance-suite-report.pdf'), pdf);
});
