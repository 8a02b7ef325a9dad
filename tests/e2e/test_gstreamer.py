"""GStreamer's multipartdemux reads /stream.mjpg?framing=content_length from a
demo started with --frames N, once live through souphttpsrc and once from a
curl capture through filesrc: exactly N buffers, byte-identical to the
shipped frames the demo published."""

import os
import subprocess
import sys
import tempfile

from demo_server import Demo, check, require, shipped_frames

N = 12


def collect(out):
    got = []
    for n in sorted(os.listdir(out)):
        with open(os.path.join(out, n), "rb") as f:
            got.append(f.read())
    return got


def verify(label, got):
    frames = shipped_frames()
    check(len(got) == N, "%s: %d buffers, expected %d" % (label, len(got), N))
    for i, frame in enumerate(got):
        check(frame == frames[i % len(frames)], "%s: buffer %d differs from frame %d" % (label, i, i))
    print("ok: gstreamer multipartdemux via %s: %d frames, byte-identical" % (label, len(got)))


def main():
    gst = require("gst-launch-1.0")
    curl = require("curl")
    with Demo("--frames", N) as demo, tempfile.TemporaryDirectory() as out:
        subprocess.run([gst, "-q", "souphttpsrc",
                        "location=%s/stream.mjpg?framing=content_length" % demo.url, "timeout=20",
                        "!", "multipartdemux", "single-stream=true", "!", "image/jpeg", "!",
                        "multifilesink", "location=" + os.path.join(out, "%03d.jpg")],
                       check=True, timeout=60, stdout=subprocess.DEVNULL)
        verify("souphttpsrc", collect(out))

    with Demo("--frames", N) as demo, tempfile.TemporaryDirectory() as out:
        capture = os.path.join(out, "stream.body")
        subprocess.run([curl, "-s", "-S", "--max-time", "60", "-o", capture,
                        demo.url + "/stream.mjpg?framing=content_length"], check=True)
        frames_dir = os.path.join(out, "frames")
        os.mkdir(frames_dir)
        subprocess.run([gst, "-q", "filesrc", "location=" + capture, "!", "multipartdemux",
                        "single-stream=true", "!", "image/jpeg", "!", "multifilesink",
                        "location=" + os.path.join(frames_dir, "%03d.jpg")],
                       check=True, timeout=60, stdout=subprocess.DEVNULL)
        verify("filesrc on a curl capture", collect(frames_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
