// WebKit (Debian's WebKitGTK MiniBrowser, driven by WebKitWebDriver under
// xvfb-run over plain W3C WebDriver HTTP; no driver library, no download)
// against serverpush-demo:
// - /pages as the top-level document shows First, then Second, then Third
//   Page, and stays on Third Page;
// - the <img> on / gets its natural size 320x240 and its pixels change;
// - zero lag: with the producer paused after frame K, the <img> shows frame
//   K with the default framing for <img> (announce_next, chosen from
//   Sec-Fetch-Dest: image); the other framings' lag is measured and printed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, pageHelpers, check, demoFrameCount, checkImgPlays, checkZeroLag, SKIP } from './demo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const driverPath = process.env.WEBKIT_DRIVER || '/usr/bin/WebKitWebDriver';
const miniBrowser = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
for (const path of [driverPath, miniBrowser, '/usr/bin/xvfb-run']) {
  if (!existsSync(path)) {
    console.log('SKIP: no ' + path);
    process.exit(SKIP);
  }
}
const frameCount = demoFrameCount(here);
const K = 15;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The driver and the X server it runs in, as one process group we stop.
const driverPort = await freePort();
const driver = spawn('/usr/bin/xvfb-run', ['-a', driverPath, '--port=' + driverPort],
  { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
let driverLog = '';
driver.stderr.on('data', (d) => { driverLog += d; });
// Whatever ends this script, the driver, MiniBrowser and Xvfb go with it.
process.on('exit', () => { try { process.kill(-driver.pid, 'SIGKILL'); } catch { /* already gone */ } });
const base = 'http://127.0.0.1:' + driverPort;

async function wd(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(method + ' ' + path + ': ' + JSON.stringify(json.value));
  return json.value;
}

let session = null;
async function startSession() {
  const end = Date.now() + 20000;
  for (;;) {
    try {
      const value = await wd('POST', '/session', {
        capabilities: {
          alwaysMatch: {
            browserName: 'MiniBrowser',
            // A page with a live multipart <img> never finishes loading.
            pageLoadStrategy: 'eager',
            'webkitgtk:browserOptions': { binary: miniBrowser, args: ['--automation'] },
          },
        },
      });
      return value.sessionId;
    } catch (e) {
      if (Date.now() > end) throw new Error('no WebDriver session: ' + e + '\n' + driverLog);
      await sleep(200);
    }
  }
}

// WebKitWebDriver sometimes holds the first command after a navigation until
// the page has loaded, which a page with a live stream never does; it gives
// up after the page-load timeout (short here) and the command then works.
async function retryOnTimeout(command, navigation = false) {
  for (let attempt = 1; ; ++attempt) {
    try {
      return await command();
    } catch (e) {
      if (!/"error":"timeout"/.test(String(e)) || attempt === 4) throw e;
      if (navigation) return null;  // the navigation itself went through
    }
  }
}

// The small part of a page object the shared checks use: evaluate() and close().
const page = {
  // Runs fn(...args) in the page; awaits a promise it returns.
  async evaluate(fn, ...args) {
    const script = 'const done = arguments[arguments.length - 1];' +
      'Promise.resolve().then(() => (' + fn.toString() + ').apply(null, Array.prototype.slice.call(arguments, 0, -1)))' +
      '.then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ error: String(e) }));';
    const out = await retryOnTimeout(() => wd('POST', '/session/' + session + '/execute/async', { script, args }));
    if (out && out.error !== undefined) throw new Error(out.error);
    return out.ok;
  },
  async goto(url) {
    await retryOnTimeout(() => wd('POST', '/session/' + session + '/url', { url }), true);
  },
  // Leaving the page ends its stream.
  async close() {
    await retryOnTimeout(() => wd('POST', '/session/' + session + '/url', { url: 'about:blank' }), true);
  },
};

async function waitFor(fn, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(fn).catch(() => false))) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

async function openIndex(demo, query) {
  await page.goto(demo.url + '/' + query);
  await page.evaluate(new Function(pageHelpers));
  await waitFor(() => document.getElementById('live') && document.getElementById('live').naturalWidth > 0,
    20000, 'the <img> to decode');
  await page.evaluate((n) => window.__loadFrames(n), frameCount);
  return page;
}

let failed = false;
try {
  session = await startSession();
  await wd('POST', '/session/' + session + '/timeouts', { script: 30000, pageLoad: 3000 });
  {
    // The three pushed documents, 1.5 s apart: poll the heading and keep
    // every distinct one in order.
    const demo = await startDemo(binary, ['--page-delay', 1.5]);
    try {
      await page.goto(demo.url + '/pull?page=3');  // same origin, then navigate from the page
      await page.evaluate(() => { setTimeout(() => { location.href = '/pages'; }, 0); });
      const seen = [];
      const end = Date.now() + 20000;
      while (Date.now() < end && !seen.includes('Third Page')) {
        const h1 = await page.evaluate(() => {
          const h = document.querySelector('h1');
          return location.pathname === '/pages' && h ? h.textContent : null;
        }).catch(() => null);
        if (h1 && seen[seen.length - 1] !== h1) seen.push(h1);
        await sleep(50);
      }
      check(JSON.stringify(seen) === JSON.stringify(['First Page', 'Second Page', 'Third Page']),
        'webkit document sequence: ' + JSON.stringify(seen));
      await sleep(2000);
      const final = await page.evaluate(() => document.title);
      check(final === 'Third Page', 'after the close delimiter the document is ' + final);
      console.log('ok: webkit document /pages: ' + seen.join(' -> ') + ', stays on Third Page');
      await page.close();
    } finally {
      await demo.stop();
    }
  }
  await checkImgPlays('webkit', binary, openIndex);
  await checkZeroLag('webkit', binary, openIndex, K, frameCount, true);
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  failed = true;
} finally {
  if (session) await wd('DELETE', '/session/' + session).catch(() => {});
  // Stopping the driver lets xvfb-run stop Xvfb and exit.
  const children = await readFile('/proc/' + driver.pid + '/task/' + driver.pid + '/children', 'utf8').catch(() => '');
  for (const pid of children.split(/\s+/).filter(Boolean)) {
    try { process.kill(Number(pid), 'SIGTERM'); } catch { /* already gone */ }
  }
  await Promise.race([new Promise((r) => driver.once('exit', r)), sleep(5000)]);
}
process.exit(failed ? 1 : 0);
