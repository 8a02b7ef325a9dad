"""curl against serverpush-demo: the bytes of /pages are exactly the expected
stream (head and body) over HTTP/1.1, HTTP/1.0 and chunked; the pages leave
the server one by one; the simple endpoints answer as documented."""

import subprocess
import sys

from demo_server import (Demo, check, connect, get, parse_multipart, require,
                         split_response)

TITLES = ["First Page", "Second Page", "Third Page"]


def page(i):
    t = TITLES[i]
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
            "<body><h1>%s</h1>\n<p>Page %d of 3, pushed by the server in one "
            "multipart/x-mixed-replace response.</p>\n</body></html>\n" % (t, t, i + 1)).encode()


def expected_body(announce=False):
    """With announce framing the header blocks of pages 2 and 3 go out before
    their size is known, so they carry no Content-Length."""
    out = b""
    for i in range(3):
        p = page(i)
        length = b"" if announce and i > 0 else b"Content-Length: %d\r\n" % len(p)
        out += b"--MSBOB\r\nContent-Type: text/html; charset=utf-8\r\n" + length + b"\r\n" + p + b"\r\n"
    return out + b"--MSBOB--\r\n"


def expected_head(version, chunked=False):
    return (b"HTTP/" + version + b" 200 OK\r\n"
            b"Content-Type: multipart/x-mixed-replace; boundary=MSBOB\r\n"
            b"Cache-Control: no-cache, no-store, must-revalidate\r\n"
            b"Pragma: no-cache\r\n"
            b"X-Accel-Buffering: no\r\n" +
            (b"Transfer-Encoding: chunked\r\n" if chunked else b"Connection: close\r\n") +
            b"\r\n")


def curl(*args):
    return subprocess.run([require("curl"), "-s", "-S", "--max-time", "30", *args],
                          check=True, stdout=subprocess.PIPE).stdout


def dechunk(data):
    out, pos = b"", 0
    while True:
        eol = data.index(b"\r\n", pos)
        size = int(data[pos:eol], 16)
        pos = eol + 2
        if size == 0:
            check(data[pos:] == b"\r\n", "bytes after the last chunk: %r" % data[pos:])
            return out
        out += data[pos:pos + size]
        check(data[pos + size:pos + size + 2] == b"\r\n", "chunk not followed by CRLF")
        pos += size + 2


def main():
    require("curl")
    with Demo("--page-delay", "0.2") as demo:
        url = demo.url
        for flag, version in (("--http1.1", b"1.1"), ("--http1.0", b"1.0")):
            got = curl(flag, "-i", "--raw", url + "/pages")
            want = expected_head(version) + expected_body()
            check(got == want, "%s /pages differs:\n%r\n!=\n%r" % (flag, got, want))
            print("ok: /pages over HTTP/%s is byte-exact (%d bytes)" % (version.decode(), len(got)))
        for framing in ("content_length", "eager", "announce"):
            got = curl("-i", "--raw", url + "/pages?framing=" + framing)
            want = expected_head(b"1.1") + expected_body(announce=framing == "announce")
            check(got == want, "framing=%s:\n%r\n!=\n%r" % (framing, got, want))
        print("ok: every framing gives exactly three parts and the close delimiter")

        wire = curl("-i", "--raw", url + "/pages?transfer=chunked")
        head, _, chunked = wire.partition(b"\r\n\r\n")
        check(head + b"\r\n\r\n" == expected_head(b"1.1", chunked=True), "chunked head: %r" % head)
        check(dechunk(chunked) == expected_body(), "chunked body decodes to something else")
        check(curl(url + "/pages?transfer=chunked") == expected_body(), "curl's own dechunking differs")
        print("ok: /pages?transfer=chunked is valid chunked coding of the same body")

        parts = parse_multipart(expected_body(), "MSBOB")
        check([p for _, p in parts] == [page(i) for i in range(3)], "expected body self-check")

        head_only = curl("-I", url + "/pages")
        check(head_only == expected_head(b"1.1"), "HEAD /pages: %r" % head_only)

        status, fields, body = split_response(get(demo.port, "/pull"))
        check(status == 200 and fields.get("refresh") == "1; url=/pull?page=2", "pull 1: %r" % fields)
        check(b'http-equiv="refresh" content="1; url=/pull?page=2"' in body and b"First Page" in body,
              "pull 1 body")
        status, fields, body = split_response(get(demo.port, "/pull?page=3"))
        check(status == 200 and "refresh" not in fields and b"Third Page" in body, "pull 3")
        status, fields, body = split_response(get(demo.port, "/snapshot.jpg"))
        check(status == 200 and fields["content-type"] == "image/jpeg" and body[:2] == b"\xff\xd8"
              and int(fields["content-length"]) == len(body), "snapshot")
        status, fields, body = split_response(get(demo.port, "/"))
        check(status == 200 and b'<img id="live" src="/stream.mjpg"' in body, "index")
        status, fields, _ = split_response(get(demo.port, "/", method="DELETE"))
        check(status == 405 and fields.get("allow") == "GET, HEAD", "405 with Allow")
        status, _, _ = split_response(get(demo.port, "/nothing-here"))
        check(status == 404, "404")
        print("ok: HEAD, /pull, /snapshot.jpg, /, 404 and 405")

    # Each page leaves the server when it is written: with a long delay the
    # first page and its delimiter arrive while the second is still minutes
    # away; SIGTERM then ends the stream with a valid close.
    with Demo("--page-delay", "300") as demo:
        s = connect(demo.port)
        s.sendall(b"GET /pages HTTP/1.1\r\nHost: x\r\n\r\n")
        first = page(0) + b"\r\n--MSBOB\r\n"
        data = b""
        while first not in data:
            b = s.recv(65536)
            check(b, "stream ended before the first page arrived")
            data += b
        check(b"Second Page" not in data, "second page sent early")
        print("ok: the first page and its delimiter arrive before the second is written")
        demo.stop()
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        _, _, body = split_response(data)
        parts = parse_multipart(body, "MSBOB")
        check(parts[0][1] == page(0), "first part")
        check(len(parts) == 2 and parts[1][1] == b"", "shutdown should end with one empty part: %r" % parts)
        print("ok: SIGTERM ends a page stream with the close delimiter; demo exited 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
