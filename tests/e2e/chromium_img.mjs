// Headless Chromium (Debian's /usr/bin/chromium driven by playwright-core,
// never a downloaded browser) against serverpush-demo:
// - the <img> on / gets its natural size 320x240 and its pixels change;
// - zero lag: with the producer paused after frame K, the <img> shows frame K
//   with the default framing for <img> (announce_next, chosen from
//   Sec-Fetch-Dest: image); the other framings' lag is measured and printed.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageHelpers, demoFrameCount, checkImgPlays, checkZeroLag, SKIP } from './demo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.log('SKIP: no ' + executablePath);
  process.exit(SKIP);
}
const frameCount = demoFrameCount(here);
const K = 15;

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('SKIP: playwright-core is not installed (npm ci in tests/e2e)');
  process.exit(SKIP);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  timeout: 30000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function openIndex(demo, query) {
  const page = await browser.newPage();
  await page.addInitScript(pageHelpers);
  await page.goto(demo.url + '/' + query, { waitUntil: 'domcontentloaded', timeout: 20000 });
  await page.waitForFunction(() => document.getElementById('live').naturalWidth > 0, null, { timeout: 20000 });
  await page.evaluate((n) => window.__loadFrames(n), frameCount);
  return page;
}

let failed = false;
try {
  await checkImgPlays('chromium', binary, openIndex);
  await checkZeroLag('chromium', binary, openIndex, K, frameCount, true);
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
