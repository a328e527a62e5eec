// SPDX-License-Identifier: GPL-3.0-or-later
// Time to the overview's first chart over an existing (large) database, in headless Chromium:
// node first_chart_bench.mjs --smbtad BIN --web-root DIST --node-modules DIR --db FILE [--runs N]
// (a database of query_bench, e.g. 10 million events with rollups). Not part of ctest.
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Smbtad, waitFor } from './harness.mjs';

const { values: opt } = parseArgs({
  options: {
    smbtad: { type: 'string' },
    'web-root': { type: 'string' },
    'node-modules': { type: 'string' },
    db: { type: 'string' },
    runs: { type: 'string', default: '5' },
    range: { type: 'string', default: 'all' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const { chromium } = createRequire(path.join(opt['node-modules'], 'noop.js'))('playwright-core');
const who = { user: 'bench', password: 'bench password 1' };
const smbtad = new Smbtad({ smbtad: opt.smbtad, webRoot: opt['web-root'], db: opt.db });
await smbtad.addUser(who.user, who.password, 'viewer');
await smbtad.start();
const browser = await chromium.launch({
  executablePath: opt.chromium,
  headless: true,
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  page.setDefaultTimeout(120000);
  await page.goto(`${smbtad.base}/login.html`);
  await page.fill('#login-user', who.user);
  await page.fill('#login-password', who.password);
  await page.click('#login-submit');
  await page.getByTestId('who').waitFor();
  const times = [];
  for (let i = 0; i < Number(opt.runs); ++i) {
    await page.goto(`${smbtad.base}/#/overview?range=${opt.range}`);
    await page.reload();
    await waitFor(() => page.evaluate(() => performance.getEntriesByName('websmbta-first-chart').length > 0),
      'the first chart', 120000);
    const ms = await page.evaluate(() => performance.getEntriesByName('websmbta-first-chart')[0].startTime);
    // The next run starts when this one's queries are done: else it waits behind them.
    await page.getByTestId('top-files').waitFor({ timeout: 300000 });
    const all = await page.evaluate(() => performance.now());
    const sum = await page.getByTestId('usage-chart').getAttribute('data-sum');
    times.push(ms);
    console.log(`run ${i + 1}: first chart after ${ms.toFixed(0)} ms, all parts after ${all.toFixed(0)} ms (usage chart: ${sum} bytes)`);
  }
  times.sort((a, b) => a - b);
  console.log(`median ${times[Math.floor(times.length / 2)].toFixed(0)} ms, max ${times.at(-1).toFixed(0)} ms`);
} finally {
  await browser.close();
  await smbtad.stop();
  smbtad.cleanup();
}
