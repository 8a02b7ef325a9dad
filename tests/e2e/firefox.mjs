// Headless Firefox ESR (Debian's /usr/bin/firefox-esr driven by puppeteer-core
// over WebDriver BiDi, never a downloaded browser) against serverpush-demo:
// - /pages as the top-level document shows First, then Second, then Third Page;
// - the <img> on / gets 320x240 and plays;
// - zero lag: paused after frame K, the <img> shows frame K with the default
//   framing for <img>; the other framings' lag is measured and printed.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, waitForLog, pageHelpers, check, SKIP } from './demo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const executablePath = process.env.FIREFOX || '/usr/bin/firefox-esr';
if (!existsSync(executablePath)) {
  console.log('SKIP: no ' + executablePath);
  process.exit(SKIP);
}
const frameCount = readdirSync(join(here, '..', '..', 'examples', 'demo', 'frames')).filter((n) => n.endsWith('.jpg')).length;
const K = 15;
let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch {
  console.log('SKIP: puppeteer-core is not installed (npm ci in tests/e2e)');
  process.exit(SKIP);
}
const profile = mkdtempSync(join(tmpdir(), 'serverpush-firefox-'));

const browser = await puppeteer.launch({
  browser: 'firefox',
  protocol: 'webDriverBiDi',
  executablePath,
  headless: true,
  timeout: 60000,
  userDataDir: profile,
  extraPrefsFirefox: {
    'network.http.http3.enable': false,
    'app.update.enabled': false,
    'browser.shell.checkDefaultBrowser': false,
  },
});

async function settledFrame(page) {
  let last = null;
  let since = Date.now();
  const end = Date.now() + 15000;
  while (Date.now() < end) {
    const now = await page.evaluate(() => window.__shownFrame());
    if (last === null || now.index !== last.index) { last = now; since = Date.now(); }
    if (Date.now() - since >= 1500) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

async function openIndex(demo, query) {
  const page = await browser.newPage();
  await page.goto(demo.url + '/' + query, { waitUntil: 'domcontentloaded', timeout: 20000 });
  await page.evaluate(pageHelpers);
  await page.waitForFunction(() => document.getElementById('live').naturalWidth > 0, { timeout: 20000 });
  await page.evaluate((n) => window.__loadFrames(n), frameCount);
  return page;
}

let failed = false;
try {
  {
    // The three pushed documents, 1.5 s apart: poll the heading and keep
    // every distinct one in order.
    const demo = await startDemo(binary, ['--page-delay', 1.5]);
    try {
      const page = await browser.newPage();
      const seen = [];
      const nav = page.goto(demo.url + '/pages', { waitUntil: 'load', timeout: 30000 }).catch((e) => e);
      const end = Date.now() + 20000;
      while (Date.now() < end && !seen.includes('Third Page')) {
        const h1 = await page.evaluate(() => {
          const h = document.querySelector('h1');
          return h ? h.textContent : null;
        }).catch(() => null);
        if (h1 && seen[seen.length - 1] !== h1) seen.push(h1);
        await new Promise((r) => setTimeout(r, 50));
      }
      await nav;
      check(JSON.stringify(seen) === JSON.stringify(['First Page', 'Second Page', 'Third Page']),
        'firefox document sequence: ' + JSON.stringify(seen));
      await new Promise((r) => setTimeout(r, 500));
      const final = await page.evaluate(() => document.title);
      check(final === 'Third Page', 'after the close delimiter the document is ' + final);
      console.log('ok: firefox document /pages: ' + seen.join(' -> ') + ', stays on Third Page');
      await page.close();
    } finally {
      await demo.stop();
    }
  }
  {
    const demo = await startDemo(binary, ['--fps', 10]);
    try {
      const page = await openIndex(demo, '');
      const size = await page.evaluate(() => [document.getElementById('live').naturalWidth, document.getElementById('live').naturalHeight]);
      check(size[0] === 320 && size[1] === 240, 'natural size ' + size);
      const seen = new Set();
      const end = Date.now() + 20000;
      while (seen.size < 3 && Date.now() < end) {
        seen.add((await page.evaluate(() => window.__shownFrame())).index);
        await new Promise((r) => setTimeout(r, 150));
      }
      check(seen.size >= 3, 'the <img> pixels did not change: frames seen ' + [...seen]);
      check(/stream client \d+ announce/.test(demo.log()), 'the <img> request did not get announce_next');
      console.log('ok: firefox <img> is 320x240 and plays (frames seen: ' + [...seen].join(' ') + ')');
      await page.close();
    } finally {
      await demo.stop();
    }
  }
  for (const framing of ['', 'announce', 'eager', 'content_length']) {
    const demo = await startDemo(binary, ['--fps', 10, '--viewers', 1, '--pause-after', K]);
    try {
      const page = await openIndex(demo, framing ? '?framing=' + framing : '');
      await waitForLog(demo, 'paused after frame', 20000);
      const shown = await settledFrame(page);
      const lag = K % frameCount - shown.index;
      console.log('measured: firefox <img> framing=' + (framing || 'default (Sec-Fetch-Dest: image)') +
        ': shows frame ' + shown.index + ' of ' + K + (shown.exact ? ' (pixel-exact)' : ' (closest)') + ', lag ' + lag);
      if (framing === '' || framing === 'announce') {
        check(shown.index === K, 'announce_next should show frame ' + K + ', shows ' + shown.index);
      }
      await page.close();
    } finally {
      await demo.stop();
    }
  }
  console.log('ok: firefox <img> shows the newest frame with announce_next (zero lag)');
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
