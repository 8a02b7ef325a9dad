"""Shared pieces of the integration tests: start a serverpush-example-* with
--port 0 (and --tls with a certificate made here by openssl), read the URL it
prints first, read /stream.mjpg with plain sockets, and stop it with SIGTERM
checking that it exits 0. The multipart parsing comes from the end-to-end
tests' helpers (tests/e2e/demo_server.py)."""

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from demo_server import (SKIP, boundary_of, check, parse_multipart, require,  # noqa: E402,F401
                         shipped_frames, split_response)
from test_curl import dechunk  # noqa: E402

FRAMES = shipped_frames()


def example_binary():
    if len(sys.argv) < 2:
        sys.exit("usage: %s path/to/serverpush-example-HOST" % sys.argv[0])
    return sys.argv[1]


def supports_tls(binary):
    usage = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, check=True).stdout
    return b"--tls" in usage


class Certificate:
    """A self-signed certificate for 127.0.0.1, made with openssl."""

    def __init__(self):
        openssl = require("openssl")
        self.dir = tempfile.TemporaryDirectory()
        self.cert = os.path.join(self.dir.name, "cert.pem")
        self.key = os.path.join(self.dir.name, "key.pem")
        subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", self.key, "-out", self.cert],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Example:
    """serverpush-example-HOST --port 0 [--tls ...] args; a context manager."""

    def __init__(self, *args, cert=None, timeout=10):
        self.log_file = tempfile.TemporaryFile()
        self.terminated = False
        command = [example_binary(), "--port", "0", *map(str, args)]
        if cert is not None:
            command += ["--tls", cert.cert, cert.key]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log_file)
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line or self.proc.poll() is not None:
                break
        m = re.match(rb"(https?)://127\.0\.0\.1:(\d+)/stream\.mjpg\n$", line)
        if not m:
            self.proc.kill()
            raise RuntimeError("example did not print its URL first: %r\n%s" % (line, self.log()))
        self.tls = m.group(1) == b"https"
        check(self.tls == (cert is not None), "printed %r" % line)
        self.port = int(m.group(2))
        self.url = line.decode().strip()

    def log(self):
        self.log_file.seek(0)
        return self.log_file.read().decode(errors="replace")

    def terminate(self):
        """Sends SIGTERM once."""
        if not self.terminated and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.terminated = True

    def stop(self):
        """SIGTERM; the example must end its streams and exit 0."""
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("example did not stop within 30 s of SIGTERM")
        check(self.proc.returncode == 0, "example exited with %d\n%s" % (self.proc.returncode, self.log()))

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            sys.stderr.write("---- example log ----\n" + self.log())
            return False
        self.stop()
        return False


def open_stream(example, headers=(), rcvbuf=None, target="/stream.mjpg"):
    """A socket (TLS when the example serves https) with the request sent."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect(("127.0.0.1", example.port))
    if example.tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        s = context.wrap_socket(s)
    lines = ["GET %s HTTP/1.1" % target, "Host: 127.0.0.1:%d" % example.port, *headers]
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return s


class Reader:
    """Reads a response on its own thread until EOF, from a socket or from a
    curl process (curl -i: head and body as received)."""

    def __init__(self, sock=None, curl=None):
        self.sock = sock
        self.curl = curl
        self.data = bytearray()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        try:
            while True:
                b = self.sock.recv(65536) if self.sock else os.read(self.curl.stdout.fileno(), 65536)
                if not b:
                    break
                with self.lock:
                    self.data += b
        except (OSError, ssl.SSLError):
            pass
        self.done.set()

    def bytes(self):
        with self.lock:
            return bytes(self.data)

    def wait_for(self, needle, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end and not self.done.is_set():
            if needle in self.bytes():
                return True
            time.sleep(0.02)
        return needle in self.bytes()

    def finish(self, timeout=30):
        check(self.done.wait(timeout), "the stream did not end")
        if self.sock:
            self.sock.close()
        else:
            check(self.curl.wait(timeout) == 0, "curl failed: %d" % self.curl.returncode)
        return self.bytes()


def curl_stream(example, *args):
    """curl -i on the stream (-k for the self-signed certificate)."""
    command = [require("curl"), "-s", "-S", "-N", "-i", "--max-time", "120", *args, example.url]
    if example.tls:
        command.insert(1, "-k")
    return Reader(curl=subprocess.Popen(command, stdout=subprocess.PIPE))


def frame_index(payload):
    for i, f in enumerate(FRAMES):
        if f == payload:
            return i
    return -1


def check_stream(response, announce, last_frame, dechunked=False):
    """A complete response: 200 with the stream headers, then parts that are
    each exactly one of the test pattern's frames, in order, ending with
    `last_frame` (None: any, the pattern may have wrapped) and the close
    delimiter. A chunked body (cpp-httplib on
    HTTP/1.1) is decoded here unless curl did (`dechunked`). Returns the
    frame indices seen."""
    status, fields, body = split_response(response)
    if fields.get("transfer-encoding") == "chunked" and not dechunked:
        body = dechunk(body)
    check(status == 200, "status %d" % status)
    boundary = boundary_of(fields["content-type"])
    check(len(boundary) >= 32, "boundary %r" % boundary)
    check(fields.get("cache-control") == "no-cache, no-store, must-revalidate", "Cache-Control %r" % fields)
    check(fields.get("x-accel-buffering") == "no", "X-Accel-Buffering %r" % fields)
    check("content-length" not in fields and fields.get("transfer-encoding", "chunked") == "chunked",
          "the stream must end with the connection or the last chunk: %r" % fields)
    parts = parse_multipart(body, boundary)
    if announce:
        # The announced part after the last frame is ended empty at close.
        check(parts[-1] == ({"content-type": "image/jpeg"}, b""), "no empty last part: %r" % (parts[-1],))
        parts = parts[:-1]
    seen = []
    for headers, payload in parts:
        # announce_next sends a header block before its part exists: no
        # Content-Length there (parse_multipart checks any that is sent).
        want = {"content-type", "content-length"} if not announce else {"content-type"}
        check(headers.get("content-type") == "image/jpeg" and want <= set(headers) <= {"content-type", "content-length"},
              "part headers %r" % headers)
        index = frame_index(payload)
        check(index >= 0, "part %d is not one of the frames" % len(seen))
        if last_frame is None:
            check(not seen or index != seen[-1], "frame %d twice in a row" % index)
        else:
            check(not seen or index > seen[-1], "frames out of order: %r then %d" % (seen, index))
        seen.append(index)
    check(seen and (last_frame is None or seen[-1] == last_frame),
          "last frame %r, expected %r" % (seen[-1:], last_frame))
    return seen
