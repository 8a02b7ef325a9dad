"""FFmpeg's mpjpeg demuxer reads N frames from a serverpush-example-*: each
byte-identical to a frame of the test pattern, in order. Over https too when
the example has --tls (FFmpeg does not verify certificates by default)."""

import os
import subprocess
import sys
import tempfile

from example_server import (Certificate, Example, check, example_binary, frame_index, require,
                            supports_tls)

N = 10


def run(cert, strict):
    ffmpeg = require("ffmpeg")
    with Example("--fps", 20, cert=cert) as example, tempfile.TemporaryDirectory() as out:
        args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-rw_timeout", "20000000",
                "-f", "mpjpeg"]
        if strict:
            args += ["-strict_mime_boundary", "1"]
        args += ["-i", example.url, "-frames:v", str(N), "-c", "copy", "-f", "image2",
                 os.path.join(out, "%03d.jpg")]
        subprocess.run(args, check=True, timeout=60)
        got = []
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), "rb") as f:
                got.append(frame_index(f.read()))
        check(len(got) == N, "%d frames, expected %d" % (len(got), N))
        check(all(i >= 0 for i in got), "frames that are not the test pattern's: %r" % got)
        check(all((b - a) % 60 > 0 for a, b in zip(got, got[1:])), "frames repeat: %r" % got)
        print("ok: ffmpeg%s over %s: %d frames, byte-identical (%s)"
              % (" strict" if strict else "", "https" if cert else "http", N, got))


def main():
    run(None, strict=False)
    run(None, strict=True)
    if supports_tls(example_binary()):
        run(Certificate(), strict=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
