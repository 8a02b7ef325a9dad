"""Python's email package (a strict boundary-scanning MIME parser) reads every
part of both kinds of stream without a defect: /pages and /stream.mjpg with
--frames N in each of the three framings, read by three viewers at once."""

import email
import email.policy
import sys
import threading

from demo_server import Demo, check, get, shipped_frames, split_response

N = 8
FRAMINGS = ("content_length", "eager", "announce")


def parse(content_type, body, label):
    message = email.message_from_bytes(
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + body,
        policy=email.policy.default)
    check(message.is_multipart(), "%s: not multipart" % label)
    check(not message.defects, "%s: message defects %r" % (label, message.defects))
    parts = list(message.iter_parts())
    for i, part in enumerate(parts):
        check(not part.defects, "%s: part %d defects %r" % (label, i, part.defects))
    return parts


def main():
    with Demo("--page-delay", "0.1") as demo:
        status, fields, body = split_response(get(demo.port, "/pages"))
        check(status == 200, "status %d" % status)
        parts = parse(fields["content-type"], body, "/pages")
        titles = [p.get_content() for p in parts]
        check(len(parts) == 3, "/pages: %d parts" % len(parts))
        for part, title in zip(titles, ("First Page", "Second Page", "Third Page")):
            check("<h1>%s</h1>" % title in part, "/pages: %r lacks %s" % (part, title))
        print("ok: python email: /pages has 3 parts, no defects")

    frames = shipped_frames()
    with Demo("--frames", N, "--viewers", len(FRAMINGS)) as demo:
        results = {}

        def viewer(framing):
            results[framing] = get(demo.port, "/stream.mjpg?framing=" + framing, timeout=60)

        threads = [threading.Thread(target=viewer, args=(f,)) for f in FRAMINGS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        for framing in FRAMINGS:
            check(framing in results, "%s viewer got nothing" % framing)
            status, fields, body = split_response(results[framing])
            parts = parse(fields["content-type"], body, framing)
            check(len(parts) == N, "%s: %d parts, expected %d" % (framing, len(parts), N))
            for i, part in enumerate(parts):
                check(part.get_content_type() == "image/jpeg", "%s: part %d type" % (framing, i))
                check(part.get_payload(decode=True) == frames[i % len(frames)],
                      "%s: part %d payload differs" % (framing, i))
            print("ok: python email: /stream.mjpg framing=%s has %d parts, no defects, "
                  "byte-identical" % (framing, len(parts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
