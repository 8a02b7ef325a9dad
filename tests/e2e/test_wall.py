"""The wall page of serverpush-demo (/wall?n=N): N distinct <img> stream URLs
in one page, linked from the index; every one of them is a working stream when
all are open at once; a bad N is refused with 400."""

import re
import sys

from demo_server import Demo, check, connect, get, split_response


def img_sources(body):
    return re.findall(rb'<img [^>]*src="([^"]+)"', body)


def open_stream(port, target):
    s = connect(port, timeout=30)
    s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    return s


def read_until_frame(sock):
    data = b""
    while True:
        b = sock.recv(65536)
        check(b, "stream ended before a whole frame: %r" % data[:200])
        data += b
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep and b"\xff\xd9" in body and body.find(b"\xff\xd8") >= 0:
            return head, body


def main():
    with Demo("--fps", 10) as demo:
        status, fields, body = split_response(get(demo.port, "/"))
        check(status == 200 and b'href="/wall?n=24"' in body, "the index does not link /wall?n=24")

        status, fields, body = split_response(get(demo.port, "/wall"))
        check(status == 200 and fields["content-type"] == "text/html; charset=utf-8", "/wall: %d" % status)
        check(len(img_sources(body)) == 24, "/wall default: %d images" % len(img_sources(body)))

        for n in (1, 7, 64):
            status, _, body = split_response(get(demo.port, "/wall?n=%d" % n))
            srcs = img_sources(body)
            check(status == 200 and len(srcs) == n, "/wall?n=%d: status %d, %d images" % (n, status, len(srcs)))
            check(len(set(srcs)) == n, "/wall?n=%d: image URLs are not distinct" % n)
            check(all(s.startswith(b"/stream.mjpg?") for s in srcs), "/wall?n=%d: %r" % (n, srcs[:3]))

        _, _, body = split_response(get(demo.port, "/wall?n=3&framing=eager"))
        check(img_sources(body) == [b"/stream.mjpg?v=%d&framing=eager" % k for k in range(3)],
              "framing not passed on: %r" % img_sources(body))

        status, fields, body = split_response(get(demo.port, "/wall?n=5", method="HEAD"))
        check(status == 200 and body == b"" and int(fields["content-length"]) > 0, "HEAD /wall")

        for bad in ("0", "65", "-1", "abc", "24x", "99999999999999999999"):
            status, _, _ = split_response(get(demo.port, "/wall?n=" + bad))
            check(status == 400, "/wall?n=%s got %d, want 400" % (bad, status))
        status, _, _ = split_response(get(demo.port, "/wall?framing=bogus"))
        check(status == 400, "/wall?framing=bogus got %d" % status)

        # Every stream of a 24-stream wall at once, as a browser over HTTP/2 would.
        _, _, body = split_response(get(demo.port, "/wall?n=24"))
        sockets = [open_stream(demo.port, src) for src in img_sources(body)]
        try:
            for s in sockets:
                head, _ = read_until_frame(s)
                check(head.startswith(b"HTTP/1.1 200 ") and b"multipart/x-mixed-replace" in head,
                      "a wall stream: %r" % head[:120])
        finally:
            for s in sockets:
                s.close()
        print("ok: /wall serves 1..64 distinct stream URLs (default 24), linked from /; "
              "bad n is 400; all 24 streams of a wall played at once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
