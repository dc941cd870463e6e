#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for the log socket of Istio's CNI node agent: HTTP over the
unix socket SOCK; every POST /log body (a JSON array of log lines, each a
JSON object) is appended to OUT, one body per line.

  agentlog.py SOCK OUT READY
"""
import http.server
import os
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def address_string(self):
        return "unix"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(self.server.out, "ab") as f:
            f.write(self.path.encode() + b" " + body + b"\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    sock, out, ready = sys.argv[1:4]
    if os.path.exists(sock):
        os.unlink(sock)
    srv = Server(sock, Handler)
    srv.out = out
    with open(ready, "w") as f:
        f.write("ready\n")
    srv.serve_forever()


if __name__ == "__main__":
    main()
