"""Splits a multipart/x-mixed-replace body with Python's email package.

Usage: email_parts.py BODY_FILE CONTENT_TYPE OUT_DIR
Prepends "Content-Type: CONTENT_TYPE" to the body, parses it with
email.message_from_bytes, and writes each part's payload to OUT_DIR/N.bin and
its content type to OUT_DIR/N.type (N from 1), plus OUT_DIR/count. Exits with
status 1 and a message on stderr when the parser reports any defect.
"""

import email
import os
import sys


def main():
    body_file, content_type, out_dir = sys.argv[1:4]
    with open(body_file, "rb") as f:
        body = f.read()
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode("ascii") + b"\r\n\r\n" + body)
    problems = []
    if message.defects:
        problems.append("message: %r" % message.defects)
    if not message.is_multipart():
        problems.append("not parsed as multipart")
    parts = message.get_payload() if message.is_multipart() else []
    for index, part in enumerate(parts, start=1):
        if part.defects:
            problems.append("part %d: %r" % (index, part.defects))
        payload = part.get_payload(decode=True)
        with open(os.path.join(out_dir, "%d.bin" % index), "wb") as f:
            f.write(payload if payload is not None else b"")
        with open(os.path.join(out_dir, "%d.type" % index), "w") as f:
            f.write(part.get_content_type())
    with open(os.path.join(out_dir, "count"), "w") as f:
        f.write(str(len(parts)))
    if message.epilogue:
        problems.append("epilogue: %r" % message.epilogue)
    if message.preamble:
        problems.append("preamble: %r" % message.preamble)
    if problems:
        sys.stderr.write("\n".join(problems) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
