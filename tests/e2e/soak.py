"""Soak of serverpush-demo: many viewers of /stream.mjpg joining and leaving
for a long time, on 127.0.0.1.

The demo streams generated JPEG-like frames (--frame-kib each, --fps) from a
temporary --dir. Each of --viewers slots holds one viewer that reads for a
random lifetime, leaves (half of them with a reset in the middle of a part,
half with a plain close), and is replaced at once by a new one; framings
alternate between content_length, eager and announce. Every completed part
is parsed (RFC 2046 delimiters, Content-Length when sent) and compared byte
for byte with the frames the demo publishes.

The demo's descriptors, threads and RSS (from /proc) are read with no viewer
before the soak, after a warm-up (every slot has joined and left once), while
it runs, and after every viewer has left. Pass: no part torn or unknown, no
viewer dropped by the server, descriptors and threads back to their starting
count, RSS at the end no higher than after the warm-up plus --rss-slack-mib.

Run from scripts/soak (full: 10 minutes, 1000 viewers) or tests/e2e/test_soak.py
(short, in the suite).
"""

import argparse
import os
import random
import re
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

FRAMINGS = ("content_length", "eager", "announce")


def frame_bytes(index, size):
    """SOI, an index, deterministic filler, EOI: distinct frames of `size` bytes."""
    rng = random.Random(index)
    head = b"\xff\xd8" + b"soak frame %06d " % index
    return head + rng.randbytes(size - len(head) - 2) + b"\xff\xd9"


def proc_figures(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    threads = rss_kib = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Threads:"):
                threads = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return {"fds": fds, "threads": threads, "rss_mib": rss_kib / 1024.0, "cpu_s": cpu}


class Failure(Exception):
    pass


class Viewer:
    """One /stream.mjpg client with an incremental multipart parser."""

    def __init__(self, port, framing, lifetime, abrupt, known):
        self.framing = framing
        self.abrupt = abrupt
        self.known = known
        self.leave_at = time.monotonic() + lifetime
        self.buf = bytearray()
        self.head_done = False
        self.delimiter = None
        self.pos = 0
        self.parts = 0
        self.bytes = 0
        self.last_data = time.monotonic()
        self.sock = socket.socket()
        # A fixed receive buffer, as a network-limited viewer has: autotuned on
        # loopback it grows to tens of MiB, and a receiver that has to free a
        # sixteenth of that before it opens its window again looks stalled.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(b"GET /stream.mjpg?framing=%s HTTP/1.1\r\nHost: soak\r\n\r\n" % framing.encode())
        self.sock.setblocking(False)

    def feed(self, data):
        self.last_data = time.monotonic()
        self.bytes += len(data)
        self.buf += data
        if not self.head_done:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 8192:
                    raise Failure("response head over 8 KiB")
                return
            head = bytes(self.buf[:end]).decode("latin-1")
            if not head.startswith("HTTP/1.1 200 "):
                raise Failure("status line %r" % head.split("\r\n")[0])
            m = re.search(r"\r\nContent-Type: multipart/x-mixed-replace; boundary=\"?([^\"\r\n;]+)", head)
            if not m:
                raise Failure("no multipart Content-Type in %r" % head)
            self.delimiter = b"\r\n--" + m.group(1).encode()
            del self.buf[:end + 4]
            # The body opens with --boundary: with the CRLF it lacks, it is a delimiter like the others.
            self.buf[0:0] = b"\r\n"
            self.head_done = True
            self.pos = 0
        self.parse()

    def parse(self):
        d = self.delimiter
        buf = self.buf
        while True:
            # buf[self.pos:] starts with CRLF--boundary
            after = self.pos + len(d)
            if len(buf) < after + 2:
                break
            if buf[self.pos:after] != d:
                raise Failure("no delimiter where a part should start: %r" % bytes(buf[self.pos:after]))
            tail = bytes(buf[after:after + 2])
            if tail == b"--":
                raise Failure("close delimiter during the soak")
            if tail != b"\r\n":
                raise Failure("delimiter followed by %r" % tail)
            header_end = buf.find(b"\r\n\r\n", after + 2)
            if header_end < 0:
                if len(buf) - after > 4096:
                    raise Failure("part header block over 4 KiB")
                break
            payload_start = header_end + 4
            next_delim = buf.find(d, payload_start)
            if next_delim < 0:
                break
            self.check_part(bytes(buf[after + 2:header_end]), bytes(buf[payload_start:next_delim]))
            self.pos = next_delim
        if self.pos > 1 << 20:
            del buf[:self.pos]
            self.pos = 0

    def check_part(self, headers, payload):
        fields = {}
        for line in headers.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon:
                raise Failure("bad part header line %r" % line)
            fields[name.strip().lower()] = value.strip()
        if fields.get("content-type") != "image/jpeg":
            raise Failure("part Content-Type %r" % fields.get("content-type"))
        if "content-length" in fields and int(fields["content-length"]) != len(payload):
            raise Failure("Content-Length %s, payload %d" % (fields["content-length"], len(payload)))
        expected = self.known.get(payload[:24])
        if expected is None or payload != expected:
            raise Failure("a part of %d bytes is not a published frame (SOI %r, EOI %r)" %
                          (len(payload), payload[:2], payload[-2:]))
        self.parts += 1

    def leave(self):
        if self.abrupt:
            # A reset, usually in the middle of a part.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def run(demo_binary, duration=600, viewers=1000, fps=30, frame_kib=100, frame_count=30,
        lifetime=(2.0, 20.0), rss_slack_mib=32, seed=1, report=print):
    """Returns a dict of figures; raises Failure when a check fails."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < viewers + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, viewers + 256), hard))
    rng = random.Random(seed)
    frames = [frame_bytes(i, frame_kib * 1024) for i in range(frame_count)]
    known = {f[:24]: f for f in frames}
    with tempfile.TemporaryDirectory(prefix="serverpush-soak-") as tmp, tempfile.TemporaryFile() as log:
        for i, f in enumerate(frames):
            with open(os.path.join(tmp, "frame_%04d.jpg" % i), "wb") as out:
                out.write(f)
        proc = subprocess.Popen([demo_binary, "--port", "0", "--dir", tmp, "--fps", str(fps),
                                 "--max-viewers", str(max(4096, viewers * 2))],
                                stdout=subprocess.PIPE, stderr=log)
        try:
            line = proc.stdout.readline()
            m = re.search(rb"open http://127\.0\.0\.1:(\d+)/", line)
            if not m:
                raise Failure("the demo did not start: %r" % line)
            port = int(m.group(1))
            with open(demo_binary, "rb") as f:
                sanitized = any(s in f.read() for s in (b"__asan_init", b"__tsan_init", b"__msan_init"))
            if sanitized:
                # Their allocators hold freed memory back (ASan's quarantine): RSS says nothing.
                report("a sanitizer build: RSS is reported, not compared")
                rss_slack_mib = None
            return soak(proc, port, duration, viewers, lifetime, rss_slack_mib, rng, known, report)
        except BaseException:
            log.seek(0)
            tail = log.read()[-3000:].decode(errors="replace")
            report("---- end of the demo log ----\n" + tail)
            raise
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    raise Failure("the demo did not stop within 30 s of SIGTERM")
            if proc.returncode != 0:
                raise Failure("the demo exited with %d" % proc.returncode)


def wait_level(pid, start, timeout=30):
    """Polls until fds and threads are back to `start`; returns the figures."""
    end = time.monotonic() + timeout
    while True:
        now = proc_figures(pid)
        if (now["fds"] <= start["fds"] and now["threads"] <= start["threads"]) or time.monotonic() > end:
            return now
        time.sleep(0.2)


def soak(proc, port, duration, n_viewers, lifetime, rss_slack_mib, rng, known, report):
    pid = proc.pid
    time.sleep(1.0)  # some frames published, no viewer yet
    start = proc_figures(pid)
    report("start (no viewer): %d fds, %d threads, RSS %.1f MiB" %
           (start["fds"], start["threads"], start["rss_mib"]))

    sel = selectors.DefaultSelector()
    slots = [None] * n_viewers
    totals = {"joins": 0, "leaves": 0, "parts": 0, "bytes": 0, "abrupt": 0}
    peak = dict(start)
    serial = [0]

    def join(slot, life):
        framing = FRAMINGS[serial[0] % len(FRAMINGS)]
        serial[0] += 1
        v = Viewer(port, framing, life, rng.random() < 0.5, known)
        slots[slot] = v
        sel.register(v.sock, selectors.EVENT_READ, slot)
        totals["joins"] += 1

    def leave(slot):
        v = slots[slot]
        sel.unregister(v.sock)
        v.leave()
        totals["leaves"] += 1
        totals["parts"] += v.parts
        totals["bytes"] += v.bytes
        totals["abrupt"] += 1 if v.abrupt else 0
        slots[slot] = None

    def pump(until, churn):
        """Reads until `until`; with churn, replaces viewers whose time is up."""
        next_report = time.monotonic() + 10
        next_churn = 0.0
        last = (time.monotonic(), totals["parts"] + live_parts(), totals["bytes"] + live_bytes())
        while True:
            now = time.monotonic()
            if now >= until:
                return
            for key, _ in sel.select(timeout=0.05):
                v = slots[key.data]
                try:
                    data = v.sock.recv(262144)
                except BlockingIOError:
                    continue
                except OSError as e:
                    raise Failure("viewer %d (%s) dropped: %s after %d parts" % (key.data, v.framing, e, v.parts))
                if not data:
                    raise Failure("viewer %d (%s) closed by the server after %d parts, %.1f s after the "
                                  "bytes before" % (key.data, v.framing, v.parts, time.monotonic() - v.last_data))
                v.feed(data)
            if churn and time.monotonic() >= next_churn:
                now = time.monotonic()
                next_churn = now + 0.1
                for slot, v in enumerate(slots):
                    if v is not None and now >= v.leave_at:
                        leave(slot)
                        join(slot, rng.uniform(*lifetime))
            if time.monotonic() >= next_report:
                fig = proc_figures(pid)
                for k in ("fds", "threads", "rss_mib"):
                    peak[k] = max(peak[k], fig[k])
                t = time.monotonic()
                parts, nbytes = totals["parts"] + live_parts(), totals["bytes"] + live_bytes()
                report("%5.0f s: %d viewers, %d joins, %.0f parts/s, %.0f MB/s; demo %d fds, %d threads, "
                       "RSS %.1f MiB, CPU %.0f s" %
                       (t - t0, sum(1 for v in slots if v), totals["joins"], (parts - last[1]) / (t - last[0]),
                        (nbytes - last[2]) / (t - last[0]) / 1e6, fig["fds"], fig["threads"], fig["rss_mib"],
                        fig["cpu_s"] - start["cpu_s"]))
                last = (t, parts, nbytes)
                next_report = t + 10

    def live_parts():
        return sum(v.parts for v in slots if v)

    def live_bytes():
        return sum(v.bytes for v in slots if v)

    t0 = time.monotonic()
    # Warm-up: every slot joins (at most 200 a second) and leaves once.
    for slot in range(n_viewers):
        join(slot, rng.uniform(*lifetime))
        if slot % 50 == 49:
            pump(time.monotonic() + 0.25, churn=False)
    pump(max(v.leave_at for v in slots), churn=False)
    for slot in range(n_viewers):
        leave(slot)
    warm = wait_level(pid, start)
    report("after the warm-up (%d viewers joined and left): %d fds, %d threads, RSS %.1f MiB" %
           (n_viewers, warm["fds"], warm["threads"], warm["rss_mib"]))

    # The soak: every slot full, each viewer replaced when it leaves.
    t0 = time.monotonic()
    for slot in range(n_viewers):
        join(slot, rng.uniform(*lifetime))
        if slot % 50 == 49:
            pump(time.monotonic() + 0.25, churn=True)
    pump(t0 + duration, churn=True)
    for slot in range(n_viewers):
        if slots[slot] is not None:
            leave(slot)
    elapsed = time.monotonic() - t0
    end = wait_level(pid, start)
    report("end (every viewer gone): %d fds, %d threads, RSS %.1f MiB" %
           (end["fds"], end["threads"], end["rss_mib"]))

    figures = {
        "duration_s": elapsed, "viewers": n_viewers, "joins": totals["joins"],
        "abrupt_leaves": totals["abrupt"], "parts_verified": totals["parts"],
        "gb_received": totals["bytes"] / 1e9, "start": start, "warm": warm, "peak": peak, "end": end,
        "demo_cpu_s": end["cpu_s"] - start["cpu_s"],
    }
    report("soak: %.0f s, %d viewer slots, %d joins (%d left with a reset), %d whole parts verified, "
           "%.1f GB received, demo CPU %.0f s; peak %d fds, %d threads, RSS %.1f MiB" %
           (elapsed, n_viewers, totals["joins"], totals["abrupt"], totals["parts"], totals["bytes"] / 1e9,
            figures["demo_cpu_s"], peak["fds"], peak["threads"], peak["rss_mib"]))
    if end["fds"] != start["fds"]:
        raise Failure("descriptors: %d at the start, %d at the end" % (start["fds"], end["fds"]))
    if end["threads"] != start["threads"]:
        raise Failure("threads: %d at the start, %d at the end" % (start["threads"], end["threads"]))
    if rss_slack_mib is not None and end["rss_mib"] > warm["rss_mib"] + rss_slack_mib:
        raise Failure("RSS grew: %.1f MiB after the warm-up, %.1f MiB at the end" %
                      (warm["rss_mib"], end["rss_mib"]))
    if totals["parts"] == 0:
        raise Failure("no part verified")
    return figures


def main(argv=None, default_binary=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--demo", default=default_binary, help="path to serverpush-demo")
    p.add_argument("--duration", type=float, default=600, help="seconds of churn (default 600)")
    p.add_argument("--viewers", type=int, default=1000, help="viewers connected at once (default 1000)")
    p.add_argument("--fps", type=float, default=30)
    p.add_argument("--frame-kib", type=int, default=100)
    p.add_argument("--min-life", type=float, default=2.0, help="shortest viewer lifetime, seconds")
    p.add_argument("--max-life", type=float, default=20.0, help="longest viewer lifetime, seconds")
    p.add_argument("--rss-slack-mib", type=float, default=32)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    if not a.demo or not os.access(a.demo, os.X_OK):
        p.error("no serverpush-demo binary: pass --demo PATH")
    try:
        run(a.demo, a.duration, a.viewers, a.fps, a.frame_kib, lifetime=(a.min_life, a.max_life),
            rss_slack_mib=a.rss_slack_mib, seed=a.seed, report=lambda s: print(s, flush=True))
    except Failure as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
