// Headless Firefox ESR (Debian's /usr/bin/firefox-esr driven by puppeteer-core
// over WebDriver BiDi, never a downloaded browser) against serverpush-demo:
// - /pages as the top-level document shows First, then Second, then Third Page;
// - the <img> on / gets 320x240 and plays;
// - zero lag: paused after frame K, the <img> shows frame K with the default
//   framing for <img>; the other framings' lag is measured and printed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, pageHelpers, check, demoFrameCount, checkImgPlays, checkZeroLag, SKIP } from './demo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const executablePath = process.env.FIREFOX || '/usr/bin/firefox-esr';
if (!existsSync(executablePath)) {
  console.log('SKIP: no ' + executablePath);
  process.exit(SKIP);
}
const frameCount = demoFrameCount(here);
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
  await checkImgPlays('firefox', binary, openIndex);
  await checkZeroLag('firefox', binary, openIndex, K, frameCount, false);
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
