"""Serves one file once over HTTP on 127.0.0.1 with a given Content-Type.

Usage: serve_once.py FILE CONTENT_TYPE PORT_FILE
Binds port 0, writes the port number to PORT_FILE, answers a single GET with
the file as the body (no Content-Length, Connection: close) and exits. Gives
up after 30 seconds without a request.
"""

import http.server
import os
import sys


def main():
    path, content_type, port_file = sys.argv[1:4]
    with open(path, "rb") as f:
        body = f.read()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 30
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, port_file)
    server.handle_request()
    server.server_close()


if __name__ == "__main__":
    main()
