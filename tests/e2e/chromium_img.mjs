// Headless Chromium (Debian's /usr/bin/chromium driven by playwright-core,
// never a downloaded browser) against serverpush-demo:
// - the <img> on / gets its natural size 320x240 and its pixels change;
// - zero lag: with the producer paused after frame K, the <img> shows frame K
//   with the default framing for <img> (announce_next, chosen from
//   Sec-Fetch-Dest: image); the other framings' lag is measured and printed.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, waitForLog, pageHelpers, check, SKIP } from './demo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.log('SKIP: no ' + executablePath);
  process.exit(SKIP);
}
const frameCount = readdirSync(join(here, '..', '..', 'examples', 'demo', 'frames')).filter((n) => n.endsWith('.jpg')).length;
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

// Polls until the shown frame stays the same for 1.5 s (bounded).
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

let failed = false;
try {
  {
    const demo = await startDemo(binary, ['--fps', 10]);
    try {
      const page = await openIndex(demo, '');
      const size = await page.evaluate(() => {
        const img = document.getElementById('live');
        return [img.naturalWidth, img.naturalHeight];
      });
      check(size[0] === 320 && size[1] === 240, 'natural size ' + size);
      const seen = new Set();
      const end = Date.now() + 20000;
      while (seen.size < 3 && Date.now() < end) {
        seen.add((await page.evaluate(() => window.__shownFrame())).index);
        await new Promise((r) => setTimeout(r, 150));
      }
      check(seen.size >= 3, 'the <img> pixels did not change: frames seen ' + [...seen]);
      check(/stream client \d+ announce/.test(demo.log()), 'the <img> request did not get announce_next');
      console.log('ok: chromium <img> is 320x240 and plays (frames seen: ' + [...seen].join(' ') + ')');
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
      console.log('measured: chromium <img> framing=' + (framing || 'default (Sec-Fetch-Dest: image)') +
        ': shows frame ' + shown.index + ' of ' + K + (shown.exact ? ' (pixel-exact)' : ' (closest)') + ', lag ' + lag);
      if (framing === '' || framing === 'announce') {
        check(shown.index === K && shown.exact, 'announce_next should show frame ' + K + ', shows ' + shown.index);
      }
      await page.close();
    } finally {
      await demo.stop();
    }
  }
  console.log('ok: chromium <img> shows the newest frame with announce_next (zero lag)');
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
