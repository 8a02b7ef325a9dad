// Headless Chromium (Debian's /usr/bin/chromium driven by playwright-core,
// never a downloaded browser) shows a serverpush-example-*'s stream in an
// <img> with zero frames of lag: the example publishes K frames and stops,
// and the <img> settles on frame K-1 pixel-exactly, which it only does when
// the example chose announce_next from the request's Sec-Fetch-Dest: image.
// Over https too (certificate made here with openssl) when the example has
// --tls. The page and the reference frames are served by Playwright from the
// example's origin, so the example only serves /stream.mjpg.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIP, check, demoFrameCount, pageHelpers, settledFrame } from '../e2e/demo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const framesDir = join(here, '..', '..', 'examples', 'demo', 'frames');
const binary = process.argv[2];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.log('SKIP: no ' + executablePath);
  process.exit(SKIP);
}
let chromium;
try {
  ({ chromium } = createRequire(join(here, '..', 'e2e', 'package.json'))('playwright-core'));
} catch {
  console.log('SKIP: playwright-core is not installed (npm ci in tests/e2e)');
  process.exit(SKIP);
}
const frameCount = demoFrameCount(join(here, '..', 'e2e'));
const K = 15;

function startExample(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let out = '';
    const timer = setTimeout(() => reject(new Error('no URL printed\n' + log)), 10000);
    proc.stderr.on('data', (d) => { log += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^(https?:\/\/127\.0\.0\.1:\d+)\/stream\.mjpg\n/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        origin: m[1],
        stop: () => new Promise((res, rej) => {
          const kill = setTimeout(() => { proc.kill('SIGKILL'); rej(new Error('SIGTERM ignored')); }, 30000);
          proc.once('exit', (code) => { clearTimeout(kill); code === 0 ? res() : rej(new Error('exit ' + code + '\n' + log)); });
          proc.kill('SIGTERM');
        }),
      });
    });
    proc.once('exit', (code) => reject(new Error('example exited early: ' + code + '\n' + log)));
  });
}

function makeCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'serverpush-cert-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]);
  check(r.status === 0, 'openssl failed: ' + r.stderr);
  return { dir, args: ['--tls', cert, key] };
}

const supportsTls = spawnSync(binary, ['--help']).stdout.toString().includes('--tls');
const browser = await chromium.launch({
  executablePath,
  headless: true,
  timeout: 30000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function zeroLag(tlsArgs) {
  const example = await startExample(['--fps', '10', '--frames', String(K), ...tlsArgs]);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.route(example.origin + '/', (route) => route.fulfill({
      contentType: 'text/html',
      body: '<!DOCTYPE html><img id="live" src="/stream.mjpg">',
    }));
    await page.route(/\/frame\/\d+\.jpg$/, (route) => {
      const n = Number(/(\d+)\.jpg$/.exec(route.request().url())[1]);
      route.fulfill({ contentType: 'image/jpeg', body: readFileSync(join(framesDir, 'frame_' + String(n).padStart(2, '0') + '.jpg')) });
    });
    await page.addInitScript(pageHelpers);
    await page.goto(example.origin + '/', { waitUntil: 'domcontentloaded', timeout: 20000 });
    await page.waitForFunction(() => document.getElementById('live').naturalWidth > 0, null, { timeout: 20000 });
    const size = await page.evaluate(() => [document.getElementById('live').naturalWidth, document.getElementById('live').naturalHeight]);
    check(size[0] === 320 && size[1] === 240, 'natural size ' + size);
    await page.evaluate((n) => window.__loadFrames(n), frameCount);
    const shown = await settledFrame(page);
    const scheme = tlsArgs.length ? 'https' : 'http';
    console.log('measured: chromium <img> over ' + scheme + ' shows frame ' + shown.index + ' of ' + (K - 1) +
      (shown.exact ? ' (pixel-exact)' : ' (closest)') + ', lag ' + (K - 1 - shown.index));
    check(shown.index === K - 1 && shown.exact, 'the <img> should show frame ' + (K - 1) + ', shows ' + shown.index);
    console.log('ok: chromium <img> over ' + scheme + ' shows the newest frame (zero lag, announce_next from Sec-Fetch-Dest)');
  } finally {
    await context.close();
    await example.stop();
  }
}

let failed = false;
try {
  await zeroLag([]);
  if (supportsTls) {
    const cert = makeCertificate();
    try {
      await zeroLag(cert.args);
    } finally {
      rmSync(cert.dir, { recursive: true, force: true });
    }
  }
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
