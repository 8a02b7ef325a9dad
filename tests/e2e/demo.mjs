// Starts serverpush-demo on a free port of 127.0.0.1 for the browser tests,
// and the page-side helpers that tell which frame an <img> shows.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const SKIP = 77;

export function startDemo(binary, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ['--port', '0', ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let out = '';
    const timer = setTimeout(() => reject(new Error('demo printed no URL\n' + log)), 10000);
    proc.stderr.on('data', (d) => { log += d; });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          log: () => log,
          // SIGTERM; the demo must close its streams and exit 0.
          stop: () => new Promise((res, rej) => {
            if (proc.exitCode !== null) return res(proc.exitCode);
            const kill = setTimeout(() => { proc.kill('SIGKILL'); rej(new Error('demo ignored SIGTERM')); }, 20000);
            proc.once('exit', (code) => { clearTimeout(kill); code === 0 ? res(0) : rej(new Error('demo exited ' + code + '\n' + log)); });
            proc.kill('SIGTERM');
          }),
          kill: () => proc.kill('SIGKILL'),
        });
      }
    });
    proc.once('exit', (code) => reject(new Error('demo exited early: ' + code + '\n' + log)));
  });
}

export function waitForLog(demo, text, timeoutMs) {
  return new Promise((resolve, reject) => {
    const end = Date.now() + timeoutMs;
    const tick = () => {
      if (demo.log().includes(text)) return resolve();
      if (Date.now() > end) return reject(new Error('no "' + text + '" in the demo log\n' + demo.log()));
      setTimeout(tick, 50);
    };
    tick();
  });
}

// Runs in the page: pixel signature of an image element (or of frame URL n).
export const pageHelpers = `
window.__pixels = (img) => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  return g.getImageData(0, 0, c.width, c.height).data;
};
window.__frames = null;
window.__loadFrames = async (count) => {
  const list = [];
  for (let i = 0; i < count; ++i) {
    const im = new Image();
    im.src = '/frame/' + i + '.jpg';
    await im.decode();
    list.push(window.__pixels(im));
  }
  window.__frames = list;
};
// Index of the frame the <img> shows now: the closest by pixel difference.
window.__shownFrame = () => {
  const live = window.__pixels(document.getElementById('live'));
  let best = -1, bestDiff = Infinity;
  window.__frames.forEach((f, i) => {
    let d = 0;
    for (let k = 0; k < f.length; k += 4) d += Math.abs(f[k] - live[k]) + Math.abs(f[k + 1] - live[k + 1]);
    if (d < bestDiff) { bestDiff = d; best = i; }
  });
  return { index: best, exact: bestDiff === 0 };
};
`;

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

// Number of frames the demo ships (examples/demo/frames/*.jpg).
export function demoFrameCount(here) {
  return readdirSync(join(here, '..', '..', 'examples', 'demo', 'frames')).filter((n) => n.endsWith('.jpg')).length;
}

// Polls until the frame an <img> shows stays the same for 1.5 s (bounded).
export async function settledFrame(page) {
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

// The <img> on / gets the frames' natural size (320x240), its pixels change,
// and its request was given announce_next. `openIndex(demo, query)` opens /
// in the browser under test with pageHelpers loaded.
export async function checkImgPlays(name, binary, openIndex) {
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
    console.log('ok: ' + name + ' <img> is 320x240 and plays (frames seen: ' + [...seen].join(' ') + ')');
    await page.close();
  } finally {
    await demo.stop();
  }
}

// Zero lag: with the producer paused after frame K, the <img> shows frame K
// with the default framing for <img> and with announce_next (pixel-exact when
// `requireExact`); the other framings' lag is measured and printed.
export async function checkZeroLag(name, binary, openIndex, K, frameCount, requireExact) {
  for (const framing of ['', 'announce', 'eager', 'content_length']) {
    const demo = await startDemo(binary, ['--fps', 10, '--viewers', 1, '--pause-after', K]);
    try {
      const page = await openIndex(demo, framing ? '?framing=' + framing : '');
      await waitForLog(demo, 'paused after frame', 20000);
      const shown = await settledFrame(page);
      const lag = K % frameCount - shown.index;
      console.log('measured: ' + name + ' <img> framing=' + (framing || 'default (Sec-Fetch-Dest: image)') +
        ': shows frame ' + shown.index + ' of ' + K + (shown.exact ? ' (pixel-exact)' : ' (closest)') + ', lag ' + lag);
      if (framing === '' || framing === 'announce') {
        check(shown.index === K && (shown.exact || !requireExact),
          'announce_next should show frame ' + K + ', shows ' + shown.index);
      }
      await page.close();
    } finally {
      await demo.stop();
    }
  }
  console.log('ok: ' + name + ' <img> shows the newest frame with announce_next (zero lag)');
}
