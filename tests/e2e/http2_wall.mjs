// HTTP/2 lifts the six-streams-per-page limit. nginx (Debian package, own
// prefix, config nginx_http2.conf.in, a self-signed certificate made here
// with openssl) in front of serverpush-demo; headless Chromium
// (/usr/bin/chromium via playwright-core) loads the demo's /wall?n=24:
// - over https (HTTP/2): all 24 <img> decode and their pixels change;
// - over plain HTTP/1.1 through the same nginx: only 6 decode, the browser's
//   connection limit per host, which is what HTTP/2 removes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemo, check, SKIP } from './demo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const STREAMS = 24;
const HTTP1_LIMIT = 6;

function which(tool) {
  for (const dir of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(join(dir, tool))) return join(dir, tool);
  }
  return null;
}
const nginxPath = which('nginx');
const opensslPath = which('openssl');
for (const [name, path] of [['chromium', existsSync(executablePath) ? executablePath : null],
  ['nginx', nginxPath], ['openssl', opensslPath]]) {
  if (!path) {
    console.log('SKIP: ' + name + ' is not installed');
    process.exit(SKIP);
  }
}
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.log('SKIP: playwright-core is not installed (npm ci in tests/e2e)');
  process.exit(SKIP);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

function canConnect(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function startNginx(upstreamUrl) {
  const prefix = mkdtempSync(join(tmpdir(), 'serverpush-nginx-h2-'));
  const made = spawnSync(opensslPath, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(prefix, 'key.pem'), '-out', join(prefix, 'cert.pem')], { stdio: 'pipe' });
  check(made.status === 0, 'openssl: ' + made.stderr);
  const h2Port = await freePort();
  const plainPort = await freePort();
  const conf = readFileSync(join(here, 'nginx_http2.conf.in'), 'utf8')
    .replaceAll('@PREFIX@', prefix)
    .replaceAll('@LISTEN_H2@', '127.0.0.1:' + h2Port)
    .replaceAll('@LISTEN@', '127.0.0.1:' + plainPort)
    .replaceAll('@UPSTREAM@', upstreamUrl.replace('http://', ''));
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const proc = spawn(nginxPath, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')],
    { stdio: 'ignore' });
  const errorLog = () => { try { return readFileSync(join(prefix, 'error.log'), 'utf8'); } catch { return ''; } };
  const end = Date.now() + 10000;
  while (!(await canConnect(h2Port)) || !(await canConnect(plainPort))) {
    check(proc.exitCode === null, 'nginx exited: ' + errorLog());
    check(Date.now() < end, 'nginx did not start listening: ' + errorLog());
    await sleep(50);
  }
  return {
    https: 'https://127.0.0.1:' + h2Port,
    http: 'http://127.0.0.1:' + plainPort,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(10000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

// In the page: how many <img> have decoded, and a pixel signature of each.
function wallState() {
  const imgs = [...document.querySelectorAll('img')];
  const c = document.createElement('canvas');
  c.width = 320; c.height = 240;
  const g = c.getContext('2d');
  return {
    count: imgs.length,
    decoded: imgs.filter((im) => im.naturalWidth > 0).length,
    signatures: imgs.map((im) => {
      if (im.naturalWidth === 0) return null;
      g.drawImage(im, 0, 0);
      const d = g.getImageData(0, 0, 320, 240).data;
      let h = 0;
      for (let k = 0; k < d.length; k += 97) h = (h * 31 + d[k]) >>> 0;
      return h;
    }),
  };
}

// Polls until `want` images decoded (or the time is up); returns the last state.
async function waitDecoded(page, want, ms) {
  const end = Date.now() + ms;
  let state = await page.evaluate(wallState);
  while (state.decoded < want && Date.now() < end) {
    await sleep(200);
    state = await page.evaluate(wallState);
  }
  return state;
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  timeout: 30000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
const demo = await startDemo(binary, ['--fps', 5]);
let proxy = null;
try {
  proxy = await startNginx(demo.url);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });

  const page = await context.newPage();
  await page.goto(proxy.https + '/wall?n=' + STREAMS, { waitUntil: 'domcontentloaded', timeout: 20000 });
  const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
  check(protocol === 'h2', 'the page did not come over HTTP/2: ' + protocol);
  const first = await waitDecoded(page, STREAMS, 30000);
  check(first.count === STREAMS, 'the wall has ' + first.count + ' images');
  check(first.decoded === STREAMS, 'over HTTP/2 only ' + first.decoded + ' of ' + STREAMS + ' decoded');
  // Every stream keeps playing: each image's pixels change.
  const changed = new Set();
  const end = Date.now() + 20000;
  while (changed.size < STREAMS && Date.now() < end) {
    await sleep(300);
    const now = await page.evaluate(wallState);
    now.signatures.forEach((s, i) => { if (s !== null && s !== first.signatures[i]) changed.add(i); });
  }
  check(changed.size === STREAMS, 'over HTTP/2 only ' + changed.size + ' of ' + STREAMS + ' streams changed');
  console.log('ok: https (h2) through nginx: ' + STREAMS + ' of ' + STREAMS + ' <img> decode and play');
  await page.close();

  // The same wall over plain HTTP/1.1: the browser opens 6 connections to the
  // host and every live <img> keeps its own, so the 7th never starts.
  const plain = await context.newPage();
  await plain.goto(proxy.http + '/wall?n=' + STREAMS, { waitUntil: 'domcontentloaded', timeout: 20000 });
  const limited = await waitDecoded(plain, HTTP1_LIMIT, 30000);
  check(limited.decoded === HTTP1_LIMIT, 'over HTTP/1.1 ' + limited.decoded + ' decoded, want ' + HTTP1_LIMIT);
  await sleep(3000);  // give a 7th image every chance to start
  const later = await plain.evaluate(wallState);
  check(later.decoded === HTTP1_LIMIT, 'over HTTP/1.1 ' + later.decoded + ' decoded, want ' + HTTP1_LIMIT);
  console.log('ok: plain HTTP/1.1 through nginx: ' + later.decoded + ' of ' + STREAMS + ' <img> decode (the per-host connection limit)');
  await plain.close();
  await context.close();
} catch (e) {
  console.error('FAIL: ' + (e.stack || e));
  failed = true;
} finally {
  await browser.close();
  if (proxy) await proxy.stop();
  await demo.stop().catch((e) => { console.error('FAIL: ' + e); failed = true; });
}
process.exit(failed ? 1 : 0);
