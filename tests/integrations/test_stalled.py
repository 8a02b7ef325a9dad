"""A viewer that stops reading does not slow the others, nor the shutdown:
with one viewer that sent its request and never reads (a 4 KiB receive
buffer, so the server's writes to it block or fill up):
- finite pattern: a second viewer still gets every frame up to the last one
  published, exact;
- live pattern: a second viewer gets frames while the stalled one is stuck,
  and SIGTERM still ends the example with exit 0 (the stalled viewer's
  write never completes; the host must give up on it) and the reader's
  stream with the close delimiter."""

import sys

from example_server import FRAMES, Example, Reader, check, check_stream, open_stream

N = 60  # about 480 KB: more than the stalled viewer's socket buffers hold


def finite():
    with Example("--fps", 50, "--frames", N) as example:
        stalled = open_stream(example, rcvbuf=4096)
        reader = Reader(open_stream(example))
        check(reader.wait_for(FRAMES[N - 1]), "the reading viewer never got frame %d" % (N - 1))
        example.stop()
        seen = check_stream(reader.finish(), announce=False, last_frame=N - 1)
        print("ok: finite: the reading viewer got all %d frames up to %d while the other reads nothing"
              % (len(seen), N - 1))
        stalled.close()


def live():
    with Example("--fps", 20) as example:
        stalled = open_stream(example, rcvbuf=4096)
        reader = Reader(open_stream(example))
        check(reader.wait_for(FRAMES[30]), "the reading viewer never got frame 30")
        example.stop()
        seen = check_stream(reader.finish(), announce=False, last_frame=None)
        print("ok: live: %d frames reached the reader; SIGTERM exit 0 with a stalled viewer" % len(seen))
        stalled.close()


def main():
    finite()
    live()
    return 0


if __name__ == "__main__":
    sys.exit(main())
