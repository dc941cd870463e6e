#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for the Kubernetes API server, for meshinit-cni's tests.

No API server can run on the test machines, so this serves what the plugin
asks for: GET /api/v1/namespaces/NS/pods/NAME over TLS, answered from
PODDIR/NS/NAME.json (sent byte for byte, so a test can serve something
that is not a Pod), 404 with a Kubernetes Status object when the file is
missing, 401 when --token is given and the request's bearer token differs.
With --client-ca the TLS handshake requires a client certificate signed
by that CA. Every request is appended to --log as "METHOD PATH CODE".

  apiserver.py --bind ADDR --port N --cert C --key K --poddir DIR
               [--token T] [--client-ca CA] [--log FILE] [--ready FILE]
"""
import argparse
import http.server
import json
import os
import re
import ssl
import sys

POD_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/?]+)$")


def status(code, reason, message):
    return json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {},
                       "status": "Failure", "message": message,
                       "reason": reason, "code": code}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.server.args.log:
            with open(self.server.args.log, "a") as f:
                f.write("%s %s %d\n" % (self.command, self.path, code))

    def do_GET(self):
        a = self.server.args
        if a.token and self.headers.get("Authorization") != "Bearer " + a.token:
            return self.send(401, status(401, "Unauthorized", "Unauthorized"))
        m = POD_PATH.match(self.path)
        if not m:
            return self.send(404, status(404, "NotFound", "the server could not find the requested resource"))
        ns, name = m.group(1), m.group(2)
        path = os.path.join(a.poddir, ns, name + ".json")
        try:
            with open(path, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            return self.send(404, status(404, "NotFound", 'pods "%s" not found' % name))
        return self.send(200, body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--poddir", required=True)
    p.add_argument("--token")
    p.add_argument("--client-ca")
    p.add_argument("--log")
    p.add_argument("--ready")
    args = p.parse_args()
    srv = http.server.ThreadingHTTPServer((args.bind, args.port), Handler)
    srv.args = args
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.client_ca)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("ready\n")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
