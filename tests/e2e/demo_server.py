"""Shared pieces of the end-to-end tests: start serverpush-demo on a free
port of 127.0.0.1, talk raw HTTP to it, split multipart bodies, and stop it
with SIGTERM checking that it exits 0."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77  # ctest SKIP_RETURN_CODE: a needed client is not installed
FRAMES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "..", "examples", "demo", "frames")


def demo_binary():
    if len(sys.argv) < 2:
        sys.exit("usage: %s path/to/serverpush-demo" % sys.argv[0])
    return sys.argv[1]


def require(tool):
    path = shutil.which(tool)
    if path is None:
        print("SKIP: %s is not installed" % tool)
        sys.exit(SKIP)
    return path


def shipped_frames():
    names = sorted(n for n in os.listdir(FRAMES_DIR) if n.endswith(".jpg"))
    frames = []
    for n in names:
        with open(os.path.join(FRAMES_DIR, n), "rb") as f:
            frames.append(f.read())
    return frames


class Demo:
    """serverpush-demo --port 0 ...; use as a context manager."""

    def __init__(self, *args, timeout=10):
        self.log_file = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([demo_binary(), "--port", "0", *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=self.log_file)
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line or self.proc.poll() is not None:
                break
        m = re.search(rb"open http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("demo did not print its URL: %r\n%s" % (line, self.log()))
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def log(self):
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")

    def stop(self, expect_clean=True):
        """SIGTERM, then the exit status must be 0 (streams closed cleanly)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("demo did not stop within 20 s of SIGTERM")
        rc = self.proc.returncode
        if expect_clean and rc != 0:
            raise AssertionError("demo exited with %d\n%s" % (rc, self.log()))
        return rc

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            sys.stderr.write("---- demo log ----\n" + self.log())
            return False
        self.stop()
        return False


def connect(port, timeout=20):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def raw_request(port, text, timeout=20):
    """Sends bytes as they are and returns everything until EOF."""
    s = connect(port, timeout)
    try:
        s.sendall(text if isinstance(text, bytes) else text.encode())
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


def get(port, target, version="1.1", headers=(), method="GET", timeout=20):
    lines = ["%s %s HTTP/%s" % (method, target, version), "Host: 127.0.0.1:%d" % port]
    lines += list(headers)
    return raw_request(port, "\r\n".join(lines) + "\r\n\r\n", timeout)


def split_response(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, "no end of head in %r" % data[:200]
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return status, fields, body


def boundary_of(content_type):
    m = re.match(r'multipart/x-mixed-replace; boundary=("?)([^";]+)\1$', content_type)
    assert m, "bad Content-Type %r" % content_type
    return m.group(2)


def parse_multipart(body, boundary):
    """Strict RFC 2046 split of a complete body; returns [(headers, payload)]
    and checks the close delimiter ends it with nothing after."""
    b = boundary.encode()
    opening = b"--" + b + b"\r\n"
    assert body.startswith(opening), "body does not start with --boundary CRLF: %r" % body[:80]
    close = b"\r\n--" + b + b"--\r\n"
    assert body.endswith(close), "body does not end with the close delimiter: %r" % body[-80:]
    inner = body[len(opening):-len(close)]
    parts = []
    for raw in inner.split(b"\r\n--" + b + b"\r\n"):
        head, sep, payload = raw.partition(b"\r\n\r\n")
        assert sep, "part without header block: %r" % raw[:80]
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(": ")
            assert colon, "bad part header line %r" % line
            headers[name.lower()] = value
        if "content-length" in headers:
            assert int(headers["content-length"]) == len(payload), \
                "Content-Length %s but payload %d" % (headers["content-length"], len(payload))
        parts.append((headers, payload))
    return parts


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
