"""Edges on NATS, end to end on 127.0.0.1: a 3-node NATS cluster
(nats-server with cluster routes), serverpush-demo publishing its frames with
--nats (frame metadata as NATS headers), 3 serverpush-edge processes, nginx
balancing over them, and 600 viewers through nginx.

- every viewer gets a valid multipart stream whose parts are byte-identical
  to the frames the demo published (Serverpush-Sequence N carries frame
  N mod 60), in increasing sequence;
- a stopped edge (SIGSTOP) stalls neither the source nor the other edges,
  and its viewers get frames again when it continues;
- killing one edge and one NATS node (the one the demo and the first edge
  are connected to) mid-stream loses no viewer of the other edges, and their
  frames keep coming once the demo and the edge have reconnected;
- viewers of the killed edge reconnect through nginx and get a frame again,
  each waiting at most 2 s for it;
- each edge got the newest frame from the demo when it joined;
- the demo and every edge left exit 0 on SIGTERM.

usage: test_nats_cluster.py EDGE DEMO"""

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from demo_server import check, free_port, get, require, shipped_frames, split_response
from test_nginx import Nginx

VIEWERS = 600
FPS = 4
SUBJECT = "cameras.test"


class Proc:
    """A child process with its stderr in a file; kill() and stop() are bounded."""

    def __init__(self, name, args, read_line=False):
        self.name = name
        self.log_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE if read_line else subprocess.DEVNULL,
                                     stderr=self.log_file)
        self.line = ""
        if read_line:
            end = time.monotonic() + 10
            while time.monotonic() < end and not self.line:
                self.line = self.proc.stdout.readline().decode().strip()
                if self.proc.poll() is not None:
                    break
            check(self.line, "%s printed nothing\n%s" % (name, self.log()))

    def log(self):
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("%s ignored SIGTERM" % self.name)
        return self.proc.returncode


class Viewer:
    """One HTTP/1.0 stream through nginx, parsed as it arrives (Content-Length framing)."""

    frames = None      # the demo's frames, in order
    nginx_port = None

    def __init__(self, number):
        self.number = number
        self.sock = socket.create_connection(("127.0.0.1", Viewer.nginx_port), timeout=10)
        self.sock.setblocking(False)
        self.sock.sendall(b"GET /stream.mjpg HTTP/1.0\r\nHost: edges\r\n\r\n")
        self.connected_at = time.monotonic()
        self.buf = b""
        self.head = None
        self.edge = None
        self.boundary = None
        self.parts = 0
        self.last_sequence = -1
        self.first_part_at = None
        self.closed = False

    def feed(self, data):
        self.buf += data
        if self.head is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head = self.buf[:end].decode("latin-1")
            self.buf = self.buf[end + 4:]
            check(self.head.startswith("HTTP/1.1 200"), "viewer %d: %s" % (self.number, self.head[:80]))
            m = re.search(r"(?im)^x-edge: (\S+)", self.head)
            self.edge = m.group(1) if m else "?"
            m = re.search(r"(?im)^content-type: multipart/x-mixed-replace; boundary=(\S+)", self.head)
            check(m, "viewer %d: no multipart Content-Type in %r" % (self.number, self.head))
            self.boundary = m.group(1).encode()
            check(self.buf[:len(self.boundary) + 4] in (b"--" + self.boundary + b"\r\n")[:len(self.buf)],
                  "viewer %d: body does not start with the boundary" % self.number)
        while True:
            opening = b"--" + self.boundary + b"\r\n"
            if len(self.buf) < len(opening):
                return
            check(self.buf.startswith(opening), "viewer %d: expected a delimiter, got %r"
                  % (self.number, self.buf[:60]))
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            fields = {}
            for line in self.buf[len(opening):end].decode("latin-1").split("\r\n"):
                name, colon, value = line.partition(": ")
                check(colon, "viewer %d: bad part header %r" % (self.number, line))
                fields[name.lower()] = value
            length = int(fields["content-length"])
            if len(self.buf) < end + 4 + length + 2:
                return
            payload = self.buf[end + 4:end + 4 + length]
            check(self.buf[end + 4 + length:end + 6 + length] == b"\r\n", "viewer %d: no CRLF after a part")
            self.buf = self.buf[end + 6 + length:]
            sequence = int(fields["serverpush-sequence"])
            check(fields["content-type"] == "image/jpeg", "viewer %d: type %s" % (self.number, fields["content-type"]))
            check(payload == Viewer.frames[sequence % len(Viewer.frames)],
                  "viewer %d: part with sequence %d is not frame %d" % (self.number, sequence, sequence % 60))
            check(sequence > self.last_sequence, "viewer %d: sequence %d after %d"
                  % (self.number, sequence, self.last_sequence))
            self.last_sequence = sequence
            self.parts += 1
            if self.first_part_at is None:
                self.first_part_at = time.monotonic()


class Audience:
    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.viewers = []
        self.reconnected = []

    def add(self, viewer):
        self.sel.register(viewer.sock, selectors.EVENT_READ, viewer)
        self.viewers.append(viewer)

    def pump(self, seconds, until=None):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for key, _ in self.sel.select(timeout=0.1):
                v = key.data
                try:
                    data = v.sock.recv(262144)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    v.feed(data)
                else:
                    self.sel.unregister(v.sock)
                    v.sock.close()
                    v.closed = True
            if until is not None and until():
                return True
        return until() if until is not None else True

    def close(self):
        for v in self.viewers:
            if not v.closed:
                self.sel.unregister(v.sock)
                v.sock.close()
                v.closed = True


def wait_for(predicate, seconds, what):
    end = time.monotonic() + seconds
    while not predicate():
        check(time.monotonic() < end, "timed out waiting for " + what)
        time.sleep(0.1)


def routes(monitor_port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/routez" % monitor_port, timeout=2) as r:
            return json.load(r).get("num_routes", 0)
    except OSError:
        return 0


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: %s EDGE DEMO" % sys.argv[0])
    edge_binary, demo_binary = sys.argv[1], sys.argv[2]
    nats_server = require("nats-server")
    require("nginx")
    frames = shipped_frames()
    Viewer.frames = frames

    procs = []
    proxy = None
    audience = Audience()
    try:
        # Three NATS nodes, each routed to the other two.
        client_ports = [free_port() for _ in range(3)]
        cluster_ports = [free_port() for _ in range(3)]
        monitor_ports = [free_port() for _ in range(3)]
        nodes = []
        for i in range(3):
            others = ",".join("nats://127.0.0.1:%d" % cluster_ports[j] for j in range(3) if j != i)
            nodes.append(Proc("nats-%d" % i, [nats_server, "-a", "127.0.0.1", "-p", str(client_ports[i]),
                                              "-m", str(monitor_ports[i]), "-n", "node%d" % i,
                                              "--cluster_name", "serverpush",
                                              "--cluster", "nats://127.0.0.1:%d" % cluster_ports[i],
                                              "--routes", others]))
        procs += nodes
        wait_for(lambda: all(routes(m) >= 2 for m in monitor_ports), 30, "the NATS cluster to form")
        print("ok: 3-node NATS cluster formed (ports %s)" % client_ports)

        urls = ["nats://127.0.0.1:%d" % p for p in client_ports]
        # The demo and edge 0 start on node 0, the node that will be killed.
        demo = Proc("demo", [demo_binary, "--port", "0", "--nats", ",".join(urls), "--subject", SUBJECT,
                               "--fps", str(FPS)], read_line=True)
        procs.append(demo)
        edges = []
        for i in range(3):
            ordered = urls[i:] + urls[:i]
            edges.append(Proc("edge-%d" % i, [edge_binary, "--nats", ",".join(ordered), "--subject", SUBJECT,
                                              "--port", "0"], read_line=True))
        procs += edges
        edge_addr = [re.match(r"http://([^/]+)/stream\.mjpg$", e.line).group(1) for e in edges]
        # A late joiner gets the newest frame at once, before the next one is published.
        for addr in edge_addr:
            wait_for(lambda: snapshot_ready(addr), 20, "a frame on edge " + addr)
        print("ok: 3 edges up, each serves /snapshot.jpg: %s" % edge_addr)

        proxy = Nginx(template="nginx_edges.conf.in",
                      values={"EDGE1": edge_addr[0], "EDGE2": edge_addr[1], "EDGE3": edge_addr[2]})
        Viewer.nginx_port = proxy.port

        for n in range(VIEWERS):
            audience.add(Viewer(n))
            if n % 50 == 49:
                audience.pump(0.05)
        check(audience.pump(60, lambda: all(v.parts >= 2 for v in audience.viewers)),
              "not every viewer got 2 frames: %d of %d did"
              % (sum(v.parts >= 2 for v in audience.viewers), VIEWERS))
        check(not any(v.closed for v in audience.viewers), "a viewer was closed")
        per_edge = {}
        for v in audience.viewers:
            per_edge[v.edge] = per_edge.get(v.edge, 0) + 1
        check(len(per_edge) == 3, "viewers are not spread over 3 edges: %s" % per_edge)
        print("ok: %d viewers through nginx get valid, byte-identical streams; per edge %s" % (VIEWERS, per_edge))

        # An <img> request gets announce_next framing from the edge (the part's
        # header block without Content-Length), and /snapshot.jpg a whole frame.
        status, fields, body = split_response(get(proxy.port, "/snapshot.jpg", version="1.0"))
        check(status == 200 and fields.get("content-type") == "image/jpeg" and body in frames,
              "/snapshot.jpg through nginx is not one of the frames (status %d)" % status)
        img = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
        img.sendall(b"GET /stream.mjpg HTTP/1.0\r\nHost: edges\r\nSec-Fetch-Dest: image\r\n\r\n")
        data = b""
        while data.count(b"\r\n\r\n") < 2:
            chunk = img.recv(65536)
            check(chunk, "the <img> stream ended early")
            data += chunk
        img.close()
        status, fields, body = split_response(data)
        opening = b"--" + fields["content-type"].split("boundary=")[1].encode() + b"\r\nContent-Type: image/jpeg\r\n\r\n"
        check(body.startswith(opening), "an <img> viewer did not get announce_next framing: %r" % body[:100])
        print("ok: an <img> request gets announce_next framing; /snapshot.jpg is a whole frame")

        # A stalled edge (SIGSTOP) holds up neither the source nor the other
        # edges; once it runs again its viewers get frames again.
        stalled = [v for v in audience.viewers if v.edge == edge_addr[1]]
        others = [v for v in audience.viewers if v.edge != edge_addr[1]]
        mark = {v.number: v.parts for v in audience.viewers}
        edges[1].proc.send_signal(signal.SIGSTOP)
        try:
            check(audience.pump(20, lambda: all(v.parts >= mark[v.number] + 2 * FPS for v in others)),
                  "with edge 1 stopped, the other edges' viewers stopped getting frames")
        finally:
            edges[1].proc.send_signal(signal.SIGCONT)
        check(audience.pump(20, lambda: all(v.parts >= mark[v.number] + 2 for v in stalled)),
              "edge 1's viewers got no frames after it continued")
        check(not any(v.closed for v in audience.viewers), "a viewer was closed while edge 1 was stopped")
        print("ok: while edge 1 was stopped the other edges' viewers kept getting frames; "
              "after it continued its own viewers did too")

        # Kill edge 2 and NATS node 0 (the demo's and edge 0's node).
        killed_edge = edge_addr[2]
        survivors = [v for v in audience.viewers if v.edge != killed_edge]
        orphans = [v for v in audience.viewers if v.edge == killed_edge]
        before = {v.number: v.parts for v in survivors}
        edges[2].kill()
        nodes[0].kill()
        print("killed edge %s and NATS node 0 (%d viewers on that edge)" % (killed_edge, len(orphans)))

        # Orphans: reconnect through nginx as soon as their stream ends.
        pending = set(v.number for v in orphans)
        end = time.monotonic() + 30
        fresh = []
        while pending or any(f.first_part_at is None for f in fresh):
            check(time.monotonic() < end, "viewers of the killed edge did not all come back")
            audience.pump(0.1)
            for v in orphans:
                if v.number in pending and v.closed:
                    pending.discard(v.number)
                    f = Viewer(v.number)
                    audience.add(f)
                    fresh.append(f)
            for f in fresh:
                if f.first_part_at is None:
                    check(time.monotonic() - f.connected_at < 2.0,
                          "viewer %d reconnected and got no frame within 2 s" % f.number)
        reconnect_waits = sorted(f.first_part_at - f.connected_at for f in fresh)
        check(all(f.edge != killed_edge for f in fresh), "nginx sent a viewer to the dead edge")
        print("ok: %d viewers of the killed edge reconnected and got a frame (slowest %.3f s, median %.3f s)"
              % (len(fresh), reconnect_waits[-1], reconnect_waits[len(reconnect_waits) // 2]))

        # Survivors: never closed, and frames flow again after the failover.
        check(audience.pump(30, lambda: all(v.parts >= before[v.number] + 2 * FPS for v in survivors)),
              "viewers of the other edges stopped getting frames: %d of %d did not"
              % (sum(v.parts < before[v.number] + 2 * FPS for v in survivors), len(survivors)))
        check("reconnected" in edges[0].log(), "edge 0 did not move to another NATS node")
        check(not any(v.closed for v in survivors), "a viewer of a surviving edge was disconnected")
        check(not any(f.closed for f in fresh), "a reconnected viewer was disconnected")
        print("ok: all %d viewers of the other edges stayed connected and kept getting frames" % len(survivors))
        total = sum(v.parts for v in audience.viewers)
        print("ok: %d parts checked byte for byte against the published frames" % total)

        audience.close()
        for e in (edges[0], edges[1]):
            rc = e.stop()
            check(rc == 0, "%s exited %s\n%s" % (e.name, rc, e.log()))
        print("ok: the remaining edges exit 0 on SIGTERM")
        check(demo.stop() == 0, "the demo did not exit 0\n" + demo.log())
        for e in edges:
            joined = re.search(r"newest frame from \S+: sequence (\d+)", e.log())
            check(joined, "%s did not get the newest frame on joining\n%s" % (e.name, e.log()))
        print("ok: each edge got the newest frame from the demo on joining; the demo exits 0 on SIGTERM")
        return 0
    except BaseException:
        for p in procs:
            sys.stderr.write("---- %s ----\n%s\n" % (p.name, p.log()[-3000:]))
        if proxy is not None:
            sys.stderr.write("---- nginx ----\n%s\n" % proxy.error_log()[-3000:])
        raise
    finally:
        audience.close()
        if proxy is not None:
            proxy.stop()
        for p in reversed(procs):
            p.kill()


def snapshot_ready(addr):
    try:
        with urllib.request.urlopen("http://%s/snapshot.jpg" % addr, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
