"""serverpush-relay end to end: FFmpeg serves an MJPEG stream upstream
(`-f mpjpeg -listen 1`: chunked, application/octet-stream, boundary found in
the body), the relay reads it and serves 200 viewers at once: Python sockets
(half as browsers' <img>, Sec-Fetch-Dest: image, which get announce_next),
curl, FFmpeg, serverpush-fetch and, when playwright-core is installed,
headless Chromium.
- every viewer gets frames; /snapshot.jpg is the newest frame;
- the upstream is killed mid-stream: viewers stay connected and get the
  newest frame again (offline policy repeat, --offline-after 0.5); it is started
  again on the same port: the relay reconnects and every viewer gets new
  frames on the same connection;
- SIGTERM: the relay exits 0 and every viewer's stream ends with the close
  delimiter; each stream parses strictly and every part is a whole JPEG;
- an upstream that closes its connection in the middle of a part (no
  Content-Length) never gets that torn part relayed.
Usage: test_relay.py DEMO RELAY FETCH"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from demo_server import SKIP, boundary_of, check, connect, free_port, parse_multipart, require, split_response

VIEWERS = 196  # + curl, FFmpeg, serverpush-fetch, Chromium: 200 downstream clients
HERE = os.path.dirname(os.path.abspath(__file__))


class Viewer:
    def __init__(self, port, image):
        self.sock = connect(port, timeout=120)
        extra = b"Sec-Fetch-Dest: image\r\n" if image else b""
        self.sock.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
        self.image = image
        self.data = bytearray()
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            while True:
                b = self.sock.recv(65536)
                if not b:
                    break
                with self.lock:
                    self.data += b
        except OSError:
            pass
        self.done = True

    def parts(self):
        with self.lock:
            data = bytes(self.data)
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return 0
        status, fields, _ = split_response(data)
        boundary = boundary_of(fields["content-type"]).encode()
        return body.count(b"\r\n--" + boundary)


def wait_for(what, predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def start_upstream(ffmpeg, port):
    return subprocess.Popen([ffmpeg, "-nostdin", "-v", "error", "-re", "-f", "lavfi", "-i",
                             "testsrc=size=320x240:rate=10", "-q:v", "5", "-f", "mpjpeg",
                             "-listen", "1", "http://127.0.0.1:%d/feed.mjpg" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ffmpeg_frames(ffmpeg, url, out_dir, n=5):
    os.makedirs(out_dir, exist_ok=True)
    rc = subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", url, "-frames:v", str(n),
                         "-f", "image2", os.path.join(out_dir, "%03d.jpg")], timeout=60).returncode
    check(rc == 0, "ffmpeg downstream exited %d" % rc)
    files = sorted(os.listdir(out_dir))
    check(len(files) == n, "ffmpeg downstream wrote %d files" % len(files))


def is_jpeg(payload):
    return payload.startswith(b"\xff\xd8") and payload.endswith(b"\xff\xd9")


CHROMIUM_SCRIPT = r"""
import { chromium } from 'playwright-core';
const url = process.argv[1];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
const page = await browser.newPage();
await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 20000 });
await page.waitForFunction(() => document.images[0].naturalWidth === 320, null, { timeout: 20000 });
const hash = () => page.evaluate(() => {
  const img = document.images[0], c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data; let h = 0;
  for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0;
  return h;
});
process.stdout.write('ready\n');
// Told through stdin that the upstream came back: the same <img> must change again.
for await (const line of process.stdin) { if (String(line).includes('go')) break; }
const first = await hash();
const end = Date.now() + 30000;
let changed = false;
while (Date.now() < end && !changed) { await new Promise(r => setTimeout(r, 200)); changed = (await hash()) !== first; }
process.stdout.write(changed ? 'changed\n' : 'still\n');
await browser.close();
"""


def start_chromium(page_url):
    node = shutil.which("node")
    if node is None or not os.path.exists("/usr/bin/chromium") or \
            not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        print("note: Chromium part skipped (node, /usr/bin/chromium or playwright-core missing)")
        return None
    proc = subprocess.Popen([node, "--input-type=module", "-e", CHROMIUM_SCRIPT, page_url], cwd=HERE,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline()
    if line.strip() != b"ready":
        proc.kill()
        raise AssertionError("Chromium did not show the relayed stream: %r %r" % (line, proc.stderr.read()))
    return proc


def check_torn_part_not_relayed(relay_bin):
    """A Python upstream sends one whole frame, then half of the next, then
    closes, three times over; the viewer must get only whole frames."""
    import socket as sk
    frame = bytes(range(256)) * 8
    frame = b"\xff\xd8" + frame + b"\xff\xd9"
    listener = sk.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    up_port = listener.getsockname()[1]
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=B\r\n\r\n"
                             b"--B\r\nContent-Type: image/jpeg\r\n\r\n" + frame +
                             b"\r\n--B\r\nContent-Type: image/jpeg\r\n\r\n" + frame[:len(frame) // 2])
    server = threading.Thread(target=serve, daemon=True)
    server.start()
    relay = subprocess.Popen([relay_bin, "--upstream", "http://127.0.0.1:%d/" % up_port, "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        url = relay.stdout.readline().decode().strip()
        viewer = Viewer(int(url.split(":")[2].split("/")[0]), image=False)
        wait_for("the viewer to get 3 parts from a torn upstream", lambda: viewer.parts() >= 3, 60)
        relay.send_signal(signal.SIGTERM)
        check(relay.wait(timeout=30) == 0, "relay did not exit 0")
        wait_for("the viewer's stream to end", lambda: viewer.done, 30)
        status, fields, body = split_response(bytes(viewer.data))
        parts = parse_multipart(body, boundary_of(fields["content-type"]))
        check(parts and all(p == frame for h, p in parts if p),
              "a torn upstream part was relayed: sizes %r" % [len(p) for h, p in parts])
        viewer.sock.close()
    finally:
        stop.set()
        if relay.poll() is None:
            relay.kill()
            relay.wait()
        listener.close()


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: test_relay.py DEMO RELAY FETCH")
    relay_bin, fetch_bin = sys.argv[2], sys.argv[3]
    check_torn_part_not_relayed(relay_bin)
    ffmpeg = require("ffmpeg")
    curl = require("curl")
    work = tempfile.mkdtemp(prefix="serverpush-relay-")
    log = open(os.path.join(work, "relay.log"), "w+b")
    up_port = free_port()
    upstream = start_upstream(ffmpeg, up_port)
    relay = subprocess.Popen([relay_bin, "--upstream", "http://127.0.0.1:%d/feed.mjpg" % up_port,
                              "--port", "0", "--offline-after", "0.5"], stdout=subprocess.PIPE, stderr=log)
    viewers = []
    curl_proc = None
    chromium = None
    try:
        stream_url = relay.stdout.readline().decode().strip()
        check(stream_url.startswith("http://127.0.0.1:") and stream_url.endswith("/stream.mjpg"),
              "relay's first line is not its stream URL: %r" % stream_url)
        port = int(stream_url.split(":")[2].split("/")[0])
        base = stream_url[:-len("stream.mjpg")]

        viewers = [Viewer(port, image=(i % 2 == 1)) for i in range(VIEWERS)]
        curl_out = os.path.join(work, "curl.bin")
        curl_proc = subprocess.Popen([curl, "-sNi", "--max-time", "300", "-o", curl_out, stream_url])
        wait_for("every viewer to get 3 frames", lambda: all(v.parts() >= 3 for v in viewers), 90)
        chromium = start_chromium(base)
        ffmpeg_frames(ffmpeg, stream_url, os.path.join(work, "ffmpeg1"))

        snap = subprocess.run([curl, "-s", "-D", "-", base + "snapshot.jpg"], capture_output=True,
                              timeout=30).stdout
        status, fields, body = split_response(snap)
        check(status == 200 and fields["content-type"] == "image/jpeg" and is_jpeg(body),
              "snapshot: %d %r" % (status, fields))

        # The upstream dies mid-stream.
        upstream.kill()
        upstream.wait()
        at_kill = [v.parts() for v in viewers]
        time.sleep(2)
        check(not any(v.done for v in viewers), "a viewer was disconnected when the upstream died")
        check(relay.poll() is None, "the relay exited when the upstream died")
        # Meanwhile the offline policy (repeat, after 0.5 s) re-sends the newest frame.
        while_down = [v.parts() for v in viewers]
        wait_for("every viewer to get the newest frame again while the upstream is down",
                 lambda: all(v.parts() >= n + 1 for v, n in zip(viewers, while_down)), 30)
        check(relay.poll() is None and upstream.poll() is not None, "the upstream came back by itself")

        # It comes back on the same port: the same connections get new frames.
        upstream = start_upstream(ffmpeg, up_port)
        wait_for("every viewer to get 3 more frames after the upstream restarted",
                 lambda: all(v.parts() >= n + 3 for v, n in zip(viewers, at_kill)), 90)
        check(not any(v.done for v in viewers), "a viewer was disconnected across the restart")
        if chromium is not None:
            chromium.stdin.write(b"go\n")
            chromium.stdin.flush()
            line = chromium.stdout.readline().strip()
            chromium.wait(timeout=60)
            check(line == b"changed", "Chromium's <img> did not change after the restart: %r" % line)
        ffmpeg_frames(ffmpeg, stream_url, os.path.join(work, "ffmpeg2"))
        fetched = os.path.join(work, "fetched")
        rc = subprocess.run([fetch_bin, stream_url, "--frames", "3", "--out", fetched, "--strict"],
                            stdout=subprocess.DEVNULL, timeout=60).returncode
        check(rc == 0, "serverpush-fetch exited %d" % rc)
        for name in sorted(os.listdir(fetched)):
            with open(os.path.join(fetched, name), "rb") as f:
                check(is_jpeg(f.read()), "fetched %s is not a whole JPEG" % name)

        # SIGTERM: exit 0, every stream closed with its close delimiter.
        relay.send_signal(signal.SIGTERM)
        rc = relay.wait(timeout=30)
        check(rc == 0, "relay exited %d on SIGTERM" % rc)
        wait_for("viewers to see the end of their streams", lambda: all(v.done for v in viewers), 30)
        curl_proc.wait(timeout=30)
        streams = [bytes(v.data) for v in viewers]
        with open(curl_out, "rb") as f:
            streams.append(f.read())
        total = 0
        for i, data in enumerate(streams):
            status, fields, body = split_response(data)
            check(status == 200, "viewer %d: status %d" % (i, status))
            parts = parse_multipart(body, boundary_of(fields["content-type"]))
            frames = [p for h, p in parts if p]
            check(len(frames) >= 6, "viewer %d got %d frames" % (i, len(frames)))
            check(all(is_jpeg(p) for p in frames), "viewer %d got a part that is not a whole JPEG" % i)
            total += len(frames)
        print("relay: %d downstream clients, %d frames checked; upstream killed and restarted"
              % (len(streams) + 2 + (chromium is not None), total))
    except BaseException:
        log.seek(0)
        sys.stderr.write("---- relay log ----\n" + log.read().decode(errors="replace")[-4000:])
        raise
    finally:
        for p in (relay, upstream, curl_proc, chromium):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        for v in viewers:
            v.sock.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
