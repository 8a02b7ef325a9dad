#!/usr/bin/env python3
"""Measures what one serverpush-edge sustains on this machine, for docs/scale.md.

    examples/edge/capacity.py BUILD_DIR [--sizes 10240,102400] [--viewers 500,1000,2000]

For each frame size: one nats-server, serverpush-nats-source at 30 fps, one
serverpush-edge, and serverpush-viewers with N viewers (everything on
127.0.0.1, so the viewers' own CPU is taken from the same cores). Then, at
10 viewers, the latency of each hop: publish -> edge (the edge's own count),
publish -> viewer straight from the edge, publish -> viewer through nginx
(tests/e2e/nginx.conf.in), and the same from an edge on a second NATS node
that gets the frames over a cluster route. Prints one line per run."""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NGINX_CONF = os.path.join(HERE, "..", "..", "tests", "e2e", "nginx.conf.in")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(args, **kw):
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err.decode(errors="replace")


def viewers(build, url, count, seconds):
    out = subprocess.run([os.path.join(build, "examples", "edge", "serverpush-viewers"), "--url", url,
                          "--viewers", str(count), "--seconds", str(seconds), "--warmup", "2"],
                         check=True, stdout=subprocess.PIPE).stdout.decode().strip()
    return out + " load %.1f" % os.getloadavg()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--sizes", default="10240,102400")
    ap.add_argument("--viewers", default="250,500,1000,2000,4000")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--fps", type=float, default=30)
    a = ap.parse_args()
    edge_dir = os.path.join(a.build, "examples", "edge")
    # Two NATS nodes with a route between them: the source and the measured
    # edge use node A; one more edge on node B measures the route's hop.
    nats_server = shutil.which("nats-server") or "/usr/sbin/nats-server"
    ports = [free_port() for _ in range(4)]
    nodes = [start([nats_server, "-a", "127.0.0.1", "-p", str(ports[i]), "--cluster_name", "capacity",
                    "--cluster", "nats://127.0.0.1:%d" % ports[2 + i],
                    "--routes", "nats://127.0.0.1:%d" % ports[3 - i]]) for i in range(2)]
    time.sleep(1.5)
    url = "nats://127.0.0.1:%d" % ports[0]
    url_b = "nats://127.0.0.1:%d" % ports[1]
    try:
        for size in [int(s) for s in a.sizes.split(",")]:
            subject = "capacity.%d" % size
            source = start([os.path.join(edge_dir, "serverpush-nats-source"), "--nats", url, "--subject", subject,
                            "--fps", str(a.fps), "--size", str(size)])
            edge = start([os.path.join(edge_dir, "serverpush-edge"), "--nats", url, "--subject", subject,
                          "--port", "0"])
            stream = edge.stdout.readline().decode().strip()
            time.sleep(1)
            for n in [int(v) for v in a.viewers.split(",")]:
                print("size %d fps %g: %s" % (size, a.fps, viewers(a.build, stream, n, a.seconds)), flush=True)
                time.sleep(1)
            stop(edge)
            # Latency per hop at low load, on a fresh edge.
            edge = start([os.path.join(edge_dir, "serverpush-edge"), "--nats", url, "--subject", subject,
                          "--port", "0"])
            stream = edge.stdout.readline().decode().strip()
            time.sleep(1)
            print("size %d hops: direct %s" % (size, viewers(a.build, stream, 10, a.seconds)), flush=True)
            prefix = tempfile.mkdtemp(prefix="serverpush-capacity-")
            proxy_port = free_port()
            with open(NGINX_CONF) as f:
                conf = (f.read().replace("@PREFIX@", prefix).replace("@LISTEN@", "127.0.0.1:%d" % proxy_port)
                        .replace("@UPSTREAM@", re.match(r"http://([^/]+)/", stream).group(1)))
            with open(os.path.join(prefix, "nginx.conf"), "w") as f:
                f.write(conf)
            nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", prefix, "-c",
                                      os.path.join(prefix, "nginx.conf"), "-e", os.path.join(prefix, "error.log")])
            time.sleep(0.5)
            try:
                print("size %d hops: via nginx %s" % (size, viewers(
                    a.build, "http://127.0.0.1:%d/stream.mjpg" % proxy_port, 10, a.seconds)), flush=True)
            finally:
                nginx.terminate()
                nginx.wait()
                shutil.rmtree(prefix, ignore_errors=True)
            edge_log = stop(edge)
            m = re.search(r"publish to edge (.*)", edge_log)
            print("size %d hops: %s" % (size, m.group(0) if m else edge_log.strip()), flush=True)
            edge = start([os.path.join(edge_dir, "serverpush-edge"), "--nats", url_b, "--subject", subject,
                          "--port", "0"])
            stream = edge.stdout.readline().decode().strip()
            time.sleep(1)
            print("size %d hops: direct, edge on the routed node %s"
                  % (size, viewers(a.build, stream, 10, a.seconds)), flush=True)
            edge_log = stop(edge)
            m = re.search(r"publish to edge (.*)", edge_log)
            print("size %d hops: routed node, %s" % (size, m.group(0) if m else edge_log.strip()), flush=True)
            stop(source)
    finally:
        for n in nodes:
            stop(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
