"""serverpush-demo --nats against a NATS server played by this script, to see
the publisher's protocol bytes and its behaviour when NATS misbehaves:
- the handshake: INFO from the server, then CONNECT with "headers":true,
  SUB <subject>.last, PING; nothing is published before the PONG;
- each frame is one HPUB whose header block is exactly Content-Type,
  Serverpush-Sequence, Serverpush-Timestamp, and whose payload is the frame
  (sequence N carries frame N mod 60, byte for byte);
- a server PING gets a PONG; a request on <subject>.last gets the newest
  frame on its reply subject;
- a server that stops reading never stalls the demo (its /snapshot.jpg keeps
  changing); once it reads again, messages are whole and frames were skipped
  (latest frame wins);
- a closed connection is reconnected, with a new handshake, and the newest
  frame comes again;
- SIGTERM while the server reads nothing: the demo still exits 0."""

import json
import re
import socket
import sys
import time

from demo_server import Demo, check, get, shipped_frames, split_response

SUBJECT = "cameras.test"


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.sock.settimeout(20)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        check(data, "the publisher closed the connection")
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line.decode("latin-1")

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, data):
        self.sock.sendall(data)

    def hpub(self):
        """The next HPUB (answering PINGs on the way): (subject, headers, payload)."""
        while True:
            line = self.line()
            if line == "PING":
                self.send(b"PONG\r\n")
                continue
            if line == "PONG":
                continue
            m = re.fullmatch(r"HPUB (\S+) (\d+) (\d+)", line)
            check(m, "expected HPUB, got %r" % line)
            header_len, total = int(m.group(2)), int(m.group(3))
            block = self.exact(header_len).decode("latin-1")
            payload = self.exact(total - header_len)
            check(self.exact(2) == b"\r\n", "no CRLF after the HPUB payload")
            return m.group(1), block, payload


def handshake(server):
    sock, _ = server.accept()
    c = Conn(sock)
    c.send(b'INFO {"server_id":"fake","version":"2.9.10","proto":1,"headers":true,"max_payload":1048576}\r\n')
    connect = c.line()
    check(connect.startswith("CONNECT "), "first line %r" % connect)
    options = json.loads(connect[len("CONNECT "):])
    check(options.get("headers") is True and options.get("verbose") is False, "CONNECT options %r" % options)
    check(c.line() == "SUB %s.last 1" % SUBJECT, "no SUB for the late joiners' requests")
    check(c.line() == "PING", "no PING after CONNECT")
    # Nothing may be published before the server has accepted the CONNECT.
    sock.settimeout(0.3)
    try:
        early = sock.recv(65536)
    except socket.timeout:
        early = b""
    check(early == b"", "published before the PONG: %r" % early[:80])
    sock.settimeout(20)
    c.send(b"PONG\r\n")
    return c


def check_frame(block, payload, frames):
    m = re.fullmatch(r"NATS/1\.0\r\nContent-Type: image/jpeg\r\nServerpush-Sequence: (\d+)\r\n"
                     r"Serverpush-Timestamp: (\d+)\.(\d{6})\r\n\r\n", block)
    check(m, "header block %r" % block)
    sequence = int(m.group(1))
    check(abs(int(m.group(2)) - time.time()) < 3600, "timestamp %s.%s is not now" % (m.group(2), m.group(3)))
    check(payload == frames[sequence % len(frames)], "payload of sequence %d is not frame %d"
          % (sequence, sequence % len(frames)))
    return sequence


def snapshot(port):
    status, _, body = split_response(get(port, "/snapshot.jpg"))
    check(status == 200, "snapshot status %d" % status)
    return body


def main():
    frames = shipped_frames()
    server = socket.socket()
    # A small receive buffer so the publisher's socket backs up quickly.
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(20)
    url = "nats://127.0.0.1:%d" % server.getsockname()[1]

    with Demo("--fps", 500, "--nats", url, "--subject", SUBJECT) as demo:
        c = handshake(server)
        sequences = []
        for _ in range(5):
            subject, block, payload = c.hpub()
            check(subject == SUBJECT, "published on %s" % subject)
            sequences.append(check_frame(block, payload, frames))
        check(sequences == sorted(sequences), "sequences out of order: %s" % sequences)
        print("ok: handshake (INFO, CONNECT headers:true, SUB, PING/PONG); HPUB header blocks exact, "
              "payloads byte-identical (sequences %s)" % sequences)

        c.send(b"PING\r\nMSG %s.last 1 _INBOX.edge1 0\r\n\r\n" % SUBJECT.encode())
        pong = answered = False
        while not (pong and answered):
            line = c.line()
            if line == "PONG":
                pong = True
            elif line.startswith("HPUB _INBOX.edge1 "):
                c.buf = (line + "\r\n").encode("latin-1") + c.buf
                _, block, payload = c.hpub()
                check_frame(block, payload, frames)
                answered = True
            else:
                c.buf = (line + "\r\n").encode("latin-1") + c.buf
                c.hpub()
        print("ok: a server PING gets PONG; a request on %s.last gets the newest frame on its reply subject"
              % SUBJECT)

        # Stop reading: the demo must go on publishing (its snapshot changes).
        seen = set()
        end = time.monotonic() + 20
        while len(seen) < 4 and time.monotonic() < end:
            seen.add(snapshot(demo.port))
            time.sleep(0.3)
        check(len(seen) >= 4, "the demo stalled while NATS read nothing")
        print("ok: with the NATS connection not reading, the demo kept publishing (%d snapshots differ)" % len(seen))

        # Reading again: what the sockets held comes first, whole and in
        # order, then the newest frame: the ones in between were dropped.
        last = None
        gap = 0
        for _ in range(5000):
            _, block, payload = c.hpub()
            sequence = check_frame(block, payload, frames)
            if last is not None:
                check(sequence > last, "sequence %d after %d" % (sequence, last))
                gap = max(gap, sequence - last - 1)
            last = sequence
            if gap > 0:
                break
        check(gap > 0, "no frame was dropped while NATS read nothing")
        print("ok: reading again, every message is whole; %d frames were dropped at once (latest frame wins)" % gap)

        # Reconnect: close, expect a fresh handshake and the newest frame again.
        c.sock.close()
        c = handshake(server)
        _, block, payload = c.hpub()
        after = check_frame(block, payload, frames)
        check(after > last, "sequence %d after reconnecting, %d before" % (after, last))
        print("ok: after the connection closed the publisher reconnected (new handshake) and sent the newest frame")

        # Shutdown with a server that reads nothing: bounded, exit 0.
        time.sleep(1.0)
        start = time.monotonic()
        demo.stop()
        print("ok: SIGTERM with NATS not reading: the demo exited 0 after %.2f s" % (time.monotonic() - start))
        c.sock.close()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
