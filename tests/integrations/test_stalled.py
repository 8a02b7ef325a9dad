"""A viewer that stops reading does not slow the others: with one viewer
that sent its request and never reads (a 4 KiB receive buffer, so the
server's writes to it block or fill up), a second viewer still gets every
frame up to the last one published, exact; and SIGTERM still ends the
example with exit 0 while the stalled viewer is connected."""

import socket
import sys

from example_server import (FRAMES, Example, Reader, check, check_stream, open_stream)

N = 60  # about 480 KB: far more than the stalled viewer's socket buffers hold


def main():
    with Example("--fps", 50, "--frames", N) as example:
        stalled = open_stream(example, rcvbuf=4096)
        reader = Reader(open_stream(example))
        check(reader.wait_for(FRAMES[N - 1]), "the reading viewer never got frame %d" % (N - 1))
        print("ok: the reading viewer got frame %d while the other one reads nothing" % (N - 1))
        example.stop()
        seen = check_stream(reader.finish(), announce=False, last_frame=N - 1)
        print("ok: its stream is exact (%d parts) and ends cleanly; SIGTERM exit 0 with a stalled viewer"
              % len(seen))
        stalled.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
