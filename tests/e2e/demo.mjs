// Starts serverpush-demo on a free port of 127.0.0.1 for the browser tests,
// and the page-side helpers that tell which frame an <img> shows.
import { spawn } from 'node:child_process';

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
