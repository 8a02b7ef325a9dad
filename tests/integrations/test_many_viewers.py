"""1000 viewers at once on one serverpush-example-* (the Asio ones: one
io_context, no thread per viewer): every viewer gets a valid stream of exact
frames that ends with the last frame published and, after SIGTERM, the close
delimiter and EOF; the example exits 0. Half of them ask as an <img> does
(announce_next)."""

import resource
import selectors
import socket
import sys
import time

from example_server import FRAMES, Example, check, check_stream

VIEWERS = 1000
N = 5


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < VIEWERS * 2 + 64:
        if hard != resource.RLIM_INFINITY and hard < VIEWERS * 2 + 64:
            print("SKIP: the descriptor limit (%d) is below %d" % (hard, VIEWERS * 2 + 64))
            return 77
        resource.setrlimit(resource.RLIMIT_NOFILE, (VIEWERS * 2 + 64, hard))

    # Slow frames: the 1000 connections are made while the stream runs.
    with Example("--fps", 2, "--frames", N) as example:
        selector = selectors.DefaultSelector()
        received = {}
        for i in range(VIEWERS):
            s = socket.create_connection(("127.0.0.1", example.port), timeout=30)
            dest = "Sec-Fetch-Dest: image\r\n" if i % 2 else ""
            s.sendall(("GET /stream.mjpg HTTP/1.1\r\nHost: x\r\n%s\r\n" % dest).encode())
            s.setblocking(False)
            received[s] = bytearray()
            selector.register(s, selectors.EVENT_READ)

        def pump(until, timeout):
            end = time.monotonic() + timeout
            while time.monotonic() < end and not until():
                for key, _ in selector.select(0.2):
                    try:
                        b = key.fileobj.recv(262144)
                    except (BlockingIOError, InterruptedError):
                        continue
                    received[key.fileobj] += b
                    if not b:
                        selector.unregister(key.fileobj)
            return until()

        last = FRAMES[N - 1]
        check(pump(lambda: all(last in data for data in received.values()), 120),
              "%d of %d viewers never got frame %d" % (sum(last not in d for d in received.values()),
                                                       VIEWERS, N - 1))
        print("ok: %d viewers all got frame %d" % (VIEWERS, N - 1))
        example.terminate()
        check(pump(lambda: not selector.get_map(), 60), "%d streams did not end" % len(selector.get_map()))
        example.stop()
        for i, (s, data) in enumerate(received.items()):
            check_stream(bytes(data), announce=bool(i % 2), last_frame=N - 1)
            s.close()
        print("ok: after SIGTERM all %d streams end with the close delimiter and are exact" % VIEWERS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
