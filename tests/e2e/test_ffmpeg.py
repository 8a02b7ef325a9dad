"""FFmpeg's mpjpeg demuxer reads /stream.mjpg?framing=content_length from a
demo started with --frames N: exactly N JPEG packets, byte-identical to the
shipped frames the demo published, with and without -strict_mime_boundary."""

import os
import subprocess
import sys
import tempfile

from demo_server import Demo, check, require, shipped_frames

N = 12


def run(strict):
    ffmpeg = require("ffmpeg")
    frames = shipped_frames()
    with Demo("--frames", N, "--fps", 10) as demo, tempfile.TemporaryDirectory() as out:
        args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-rw_timeout", "20000000",
                "-f", "mpjpeg"]
        if strict:
            args += ["-strict_mime_boundary", "1"]
        args += ["-i", demo.url + "/stream.mjpg?framing=content_length",
                 "-c", "copy", "-f", "image2", os.path.join(out, "%03d.jpg")]
        subprocess.run(args, check=True, timeout=60)
        names = sorted(os.listdir(out))
        got = []
        for n in names:
            with open(os.path.join(out, n), "rb") as f:
                got.append(f.read())
        check(len(got) == N, "strict=%s: %d frames decoded, expected %d" % (strict, len(got), N))
        for i, frame in enumerate(got):
            check(frame == frames[i % len(frames)], "strict=%s: frame %d differs" % (strict, i))
        print("ok: ffmpeg mpjpeg%s: %d frames, byte-identical" % (" strict" if strict else "", len(got)))


def main():
    run(strict=False)
    run(strict=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
