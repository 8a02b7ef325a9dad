"""curl against a serverpush-example-*: each viewer's response is exactly the
stream head and parts that are the test pattern's frames byte for byte, in
order, ending with the last frame published and the close delimiter once
SIGTERM arrives; the framing follows Sec-Fetch-Dest; an HTTP/1.0 viewer gets
no chunked coding; other paths get 404.
Over https too (curl -k, certificate made here) when the example has --tls."""

import subprocess
import sys

from example_server import (FRAMES, Certificate, Example, check, check_stream, curl_stream,
                            example_binary, require, supports_tls)

N = 12


def run(cert):
    scheme = "https" if cert else "http"
    with Example("--fps", 20, "--frames", N, cert=cert) as example:
        parser = curl_stream(example)
        image = curl_stream(example, "-H", "Sec-Fetch-Dest: image")
        old = curl_stream(example, "--http1.0")
        for reader in (parser, image, old):
            check(reader.wait_for(FRAMES[N - 1]), "%s: frame %d never arrived" % (scheme, N - 1))
        missing = subprocess.run([require("curl"), "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}",
                                  example.url.replace("/stream.mjpg", "/nothing")],
                                 stdout=subprocess.PIPE, check=True).stdout
        check(missing == b"404", "%s: /nothing answered %r" % (scheme, missing))
        example.stop()
        seen = check_stream(parser.finish(), announce=False, last_frame=N - 1, dechunked=True)
        print("ok: %s curl gets exact parts with Content-Length, frames %s, then the close delimiter"
              % (scheme, seen))
        seen = check_stream(image.finish(), announce=True, last_frame=N - 1, dechunked=True)
        print("ok: %s curl with Sec-Fetch-Dest: image gets announce_next, frames %s" % (scheme, seen))
        response = old.finish()
        check(b"\r\ntransfer-encoding:" not in response.partition(b"\r\n\r\n")[0].lower(),
              "chunked coding for an HTTP/1.0 request")
        seen = check_stream(response, announce=False, last_frame=N - 1)
        print("ok: %s curl over HTTP/1.0 gets a body that ends with the connection, frames %s"
              % (scheme, seen))


def main():
    require("curl")
    run(None)
    if supports_tls(example_binary()):
        run(Certificate())
    else:
        print("(no --tls in this example)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
