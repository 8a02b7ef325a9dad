"""A short soak (tests/e2e/soak.py; scripts/soak runs the long one): 200
viewers joining and leaving for 20 s at 30 fps with 100 KiB frames. Every
completed part is whole and equal to a published frame; no viewer is dropped
by the server; the demo's descriptors and threads come back to their starting
count and its RSS does not grow past the warm-up level."""

import sys

import soak
from demo_server import demo_binary


def main():
    try:
        soak.run(demo_binary(), duration=20, viewers=200, fps=30, frame_kib=100, lifetime=(1.0, 8.0),
                 report=lambda s: print(s, flush=True))
    except soak.Failure as e:
        print("FAIL: %s" % e)
        return 1
    print("ok: short soak passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
