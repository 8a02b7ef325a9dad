"""nginx (the Debian package, started here without daemonizing, with a
temporary prefix, config and port) in front of serverpush-demo:
- curl through nginx gets a finite stream intact: exactly N frames, the
  close delimiter, byte-identical to the shipped frames;
- unbuffered: with the demo's producer paused after frame K and the stream
  still open, curl and FFmpeg through nginx both already have frame K."""

import os
import subprocess
import sys
import tempfile
import time

from demo_server import (Demo, check, free_port, parse_multipart, require, shipped_frames,
                         split_response)

HERE = os.path.dirname(os.path.abspath(__file__))
N = 10
K = 12


class Nginx:
    """nginx from a template here; @PREFIX@, @LISTEN@ and `values` filled in."""

    def __init__(self, upstream_port=None, template="nginx.conf.in", values=None):
        self.prefix = tempfile.mkdtemp(prefix="serverpush-nginx-")
        self.port = free_port()
        with open(os.path.join(HERE, template)) as f:
            conf = f.read()
        values = dict(values or {})
        if upstream_port is not None:
            values["UPSTREAM"] = "127.0.0.1:%d" % upstream_port
        values.update(PREFIX=self.prefix, LISTEN="127.0.0.1:%d" % self.port)
        for name, value in values.items():
            conf = conf.replace("@%s@" % name, value)
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([require("nginx"), "-p", self.prefix, "-c", self.conf,
                                      "-e", os.path.join(self.prefix, "error.log")])
        self.url = "http://127.0.0.1:%d" % self.port
        end = time.monotonic() + 10
        while True:
            try:
                import socket
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                check(self.proc.poll() is None, "nginx exited: %s" % self.error_log())
                check(time.monotonic() < end, "nginx did not start listening")
                time.sleep(0.05)

    def error_log(self):
        try:
            with open(os.path.join(self.prefix, "error.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.prefix])


def read_until(stream, predicate, timeout=30):
    """Reads a pipe until predicate(data) holds; bounded in time."""
    os.set_blocking(stream.fileno(), False)
    data = b""
    end = time.monotonic() + timeout
    while not predicate(data):
        check(time.monotonic() < end, "timed out; got %d bytes" % len(data))
        try:
            chunk = stream.read(65536)
        except BlockingIOError:
            chunk = None
        if chunk:
            data += chunk
        elif chunk == b"":
            break
        else:
            time.sleep(0.02)
    return data


def main():
    curl = require("curl")
    ffmpeg = require("ffmpeg")
    require("nginx")
    frames = shipped_frames()

    with Demo("--frames", N) as demo:
        proxy = Nginx(demo.port)
        try:
            out = subprocess.run([curl, "-s", "-S", "-i", "--max-time", "60", "-N",
                                  proxy.url + "/stream.mjpg?framing=content_length"],
                                 check=True, stdout=subprocess.PIPE).stdout
            status, fields, body = split_response(out)
            check(status == 200, "status %d" % status)
            # nginx acts on X-Accel-Buffering and does not forward it.
            check(fields.get("cache-control") == "no-cache, no-store, must-revalidate", "Cache-Control lost")
            parts = parse_multipart(body, fields["content-type"].split("boundary=")[1])
            check([p for _, p in parts] == frames[:N], "frames through nginx differ")
            print("ok: curl through nginx: %d frames byte-identical, close delimiter, %s"
                  % (len(parts), "chunked by nginx" if "transfer-encoding" in fields else "as sent"))
        finally:
            proxy.stop()

    with Demo("--viewers", 2, "--pause-after", K, "--fps", 10) as demo:
        proxy = Nginx(demo.port)
        with tempfile.TemporaryDirectory() as out:
            try:
                curl_proc = subprocess.Popen([curl, "-s", "-N", "--max-time", "60",
                                              proxy.url + "/stream.mjpg?framing=content_length"],
                                             stdout=subprocess.PIPE)
                ff = subprocess.Popen([ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
                                       "-f", "mpjpeg", "-i",
                                       proxy.url + "/stream.mjpg?framing=content_length",
                                       "-c", "copy", "-f", "image2", os.path.join(out, "%03d.jpg")])
                # Frame K's payload and the CRLF after it end what the paused
                # producer has written; nothing later can push it through.
                want = frames[K % len(frames)] + b"\r\n"
                data = read_until(curl_proc.stdout, lambda d: d.endswith(want))
                check(data.endswith(want), "curl through nginx does not have frame %d" % K)
                print("ok: curl through nginx has frame %d while the producer is paused (%d bytes)"
                      % (K, len(data)))
                end = time.monotonic() + 30
                while len(os.listdir(out)) < K + 1 and time.monotonic() < end:
                    time.sleep(0.05)
                names = sorted(os.listdir(out))
                check(len(names) == K + 1, "ffmpeg through nginx wrote %d frames, want %d" % (len(names), K + 1))
                # The newest file may still be open: compare once its size matches.
                for i, n in enumerate(names):
                    want_frame = frames[i % len(frames)]
                    path = os.path.join(out, n)
                    end = time.monotonic() + 10
                    while os.path.getsize(path) != len(want_frame) and time.monotonic() < end:
                        time.sleep(0.05)
                    with open(path, "rb") as f:
                        check(f.read() == want_frame, "ffmpeg frame %d differs" % i)
                print("ok: ffmpeg through nginx has frames 0..%d while the producer is paused" % K)
            finally:
                for p in (locals().get("curl_proc"), locals().get("ff")):
                    if p is not None and p.poll() is None:
                        p.kill()
                        p.wait()
                proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
