"""Robustness of serverpush-demo with plain sockets as clients:
- 200 concurrent viewers of a finite stream all get valid streams that end
  with the last frame and the close delimiter;
- a viewer killed (RST) in the middle of a frame does not disturb the others;
- a viewer that never reads does not stop the others (parts are counted; no
  timing assertions), and is dropped once its socket stays full;
- a burst of malformed requests gets 400/404/405/431/505 and the server keeps
  serving both new requests and the stream that was already running."""

import socket
import struct
import sys
import threading
import time

from demo_server import (Demo, check, connect, get, parse_multipart, raw_request,
                         shipped_frames, split_response)

FRAMINGS = ("content_length", "eager", "announce")


class Viewer:
    """Reads /stream.mjpg on its own thread and counts complete parts."""

    def __init__(self, port, framing="content_length"):
        self.sock = connect(port, timeout=60)
        self.sock.sendall(b"GET /stream.mjpg?framing=%s HTTP/1.1\r\nHost: x\r\n\r\n" % framing.encode())
        self.data = bytearray()
        self.lock = threading.Lock()
        self.done = False
        self.error = None
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
        except OSError as e:
            self.error = e
        self.done = True

    def parts(self):
        """Complete parts so far: delimiters after the head, minus the opening one."""
        with self.lock:
            data = bytes(self.data)
        head, _, body = data.partition(b"\r\n\r\n")
        if not head:
            return 0
        boundary = head.split(b"boundary=", 1)[1].split(b"\r\n", 1)[0]
        return max(0, body.count(b"\r\n--" + boundary))

    def wait_parts(self, n, timeout=60):
        end = time.monotonic() + timeout
        while self.parts() < n and time.monotonic() < end and not self.done:
            time.sleep(0.05)
        return self.parts()


def many_viewers():
    n_viewers, n_frames = 200, 15
    frames = shipped_frames()
    with Demo("--frames", n_frames, "--viewers", n_viewers, "--fps", 10) as demo:
        viewers = [Viewer(demo.port, FRAMINGS[i % 3]) for i in range(n_viewers)]
        for v in viewers:
            v.thread.join(120)
        counts = []
        for i, v in enumerate(viewers):
            check(v.done and v.error is None, "viewer %d: %r" % (i, v.error))
            status, fields, body = split_response(bytes(v.data))
            check(status == 200, "viewer %d status %d" % (i, status))
            boundary = fields["content-type"].split("boundary=")[1]
            parts = parse_multipart(body, boundary)
            payloads = [p for _, p in parts]
            # Latest wins: a slow viewer may skip frames, never reorder or tear them.
            indexes = [frames.index(p) for p in payloads]
            check(indexes == sorted(indexes), "viewer %d: parts out of order %r" % (i, indexes))
            check(payloads[-1] == frames[(n_frames - 1) % len(frames)], "viewer %d: last part" % i)
            counts.append(len(parts))
        print("ok: %d concurrent viewers got valid streams ending with the close delimiter "
              "(parts per viewer: min %d, max %d of %d)" % (n_viewers, min(counts), max(counts), n_frames))


def killed_viewer():
    with Demo("--fps", 20) as demo:
        others = [Viewer(demo.port, f) for f in FRAMINGS]
        victim = connect(demo.port)
        victim.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        # Into the middle of a JPEG payload: past a part's header block and a few bytes more.
        while data.count(b"\xff\xd8") < 2 or len(data) - data.rfind(b"\xff\xd8") < 100:
            b = victim.recv(300)
            check(b, "victim stream ended")
            data += b
        victim.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        victim.close()  # RST with most of the frame unread
        before = [v.parts() for v in others]
        after = [v.wait_parts(b + 20) for v, b in zip(others, before)]
        for v, b, a in zip(others, before, after):
            check(a >= b + 20, "a viewer stopped after another was killed: %d -> %d parts" % (b, a))
        print("ok: killing a viewer mid-frame: the others went on (%s -> %s parts)" % (before, after))


def stalled_viewer():
    with Demo("--fps", 40, "--stall-timeout", 2) as demo:
        sleeper = socket.socket()
        sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sleeper.connect(("127.0.0.1", demo.port))
        sleeper.sendall(b"GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
        others = [Viewer(demo.port, f) for f in FRAMINGS]
        got = [v.wait_parts(200) for v in others]
        for g in got:
            check(g >= 200, "a viewer stopped while another never read: %d parts" % g)
        end = time.monotonic() + 30
        while "timed out" not in demo.log() and time.monotonic() < end:
            time.sleep(0.1)
        dropped = "timed out" in demo.log()
        sleeper.close()
        check(dropped, "the viewer that never reads was not dropped after --stall-timeout")
        print("ok: a viewer that never reads: the others got %s parts; it was dropped as stalled" % got)


BAD = [
    (b"GARBAGE\r\n\r\n", 400),
    (b"SSH-2.0-OpenSSH_9.2\r\n", 400),  # refused at the end of the line, no timeout
    (b"GET /\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),  # no Host
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\n Folded: y\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\nHost: x\n\n", 400),
    (b"GET http://elsewhere/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /stream.mjpg?framing=bogus HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /frame/999.jpg HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"POST /stream.mjpg HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 405),
    (b"DELETE / HTTP/1.0\r\n\r\n", 405),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
]


def malformed_burst():
    with Demo("--fps", 20) as demo:
        watcher = Viewer(demo.port)
        watcher.wait_parts(3)
        results = [None] * (len(BAD) * 8)

        def send(i):
            request, _ = BAD[i % len(BAD)]
            try:
                results[i] = raw_request(demo.port, request)
            except OSError as e:
                results[i] = e

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for i, r in enumerate(results):
            request, want = BAD[i % len(BAD)]
            check(isinstance(r, bytes) and r, "no answer to %r: %r" % (request[:40], r))
            status, fields, _ = split_response(r)
            check(status == want, "%r got %d, want %d" % (request[:40], status, want))
            if want == 405:
                check(fields.get("allow") == "GET, HEAD", "405 without Allow")
        before = watcher.parts()
        status, _, body = split_response(get(demo.port, "/"))
        check(status == 200 and b"<img" in body, "index after the burst")
        after = watcher.wait_parts(before + 10)
        check(after >= before + 10, "the running stream stopped during the burst")
        print("ok: %d malformed requests got their 4xx/5xx; / still 200; the running stream went on "
              "(%d -> %d parts)" % (len(results), before, after))


def main():
    many_viewers()
    killed_viewer()
    stalled_viewer()
    malformed_burst()
    return 0


if __name__ == "__main__":
    sys.exit(main())
