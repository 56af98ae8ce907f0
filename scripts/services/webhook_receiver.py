"""A webhook receiver for the notifications' tests: an independent check of Emporium's
signatures (Standard Webhooks: HMAC-SHA256 over "id.timestamp.body" with the base64 key after
"whsec_", sent as "v1,<base64>"), written with Python's hmac and nothing of Emporium.

  webhook_receiver.py serve --port PORT --dir DIR --ready FILE
      Answers POST /<name>: 200, or 500 while DIR/status/<name> holds "500". Each request is
      written to DIR/requests/<n>.json (path, headers, body, and "verified": the signature checked
      against the secret in DIR/secrets/<name>, when that file exists). The .json file appears
      atomically.

  webhook_receiver.py verify --secret SECRET --request FILE [--tamper] [--now SECONDS]
      Checks a recorded request again: exit 0 when the signature is valid and the timestamp is
      within 5 minutes of now; --tamper changes one byte of the body first.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import itertools
import json
import os
import sys
import threading
import time

TOLERANCE = 300


def verify(secret, headers, body, now=None):
    """Whether the request is signed by `secret` and fresh."""
    if not secret.startswith("whsec_"):
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE:
        return False
    signed = message_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers.get("webhook-signature", "").split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def serve(arguments):
    requests = os.path.join(arguments.dir, "requests")
    os.makedirs(requests, exist_ok=True)
    counter = itertools.count(1)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            name = self.path.strip("/").split("?")[0]
            headers = {key.lower(): value for key, value in self.headers.items()}
            secret_file = os.path.join(arguments.dir, "secrets", name)
            verified = None
            if os.path.exists(secret_file):
                with open(secret_file) as file:
                    verified = verify(file.read().strip(), headers, body)
            status_file = os.path.join(arguments.dir, "status", name)
            status = 200
            if os.path.exists(status_file):
                with open(status_file) as file:
                    status = int(file.read().strip() or "200")
            with lock:
                number = next(counter)
            record = {"path": self.path, "name": name, "headers": headers, "body": body.decode("utf-8", "replace"),
                      "verified": verified, "status": status, "received": time.time()}
            base = os.path.join(requests, "%06d" % number)
            with open(base + ".json.tmp", "w") as file:
                json.dump(record, file)
            os.rename(base + ".json.tmp", base + ".json")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    with open(arguments.ready, "w") as file:
        file.write("%d\n" % server.server_address[1])
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve")
    serving.add_argument("--port", type=int, default=0)
    serving.add_argument("--dir", required=True)
    serving.add_argument("--ready", required=True, help="file the port is written to once listening")
    checking = commands.add_parser("verify")
    checking.add_argument("--secret", required=True)
    checking.add_argument("--request", required=True)
    checking.add_argument("--tamper", action="store_true")
    checking.add_argument("--now", type=float)
    arguments = parser.parse_args()
    if arguments.command == "serve":
        serve(arguments)
        return
    with open(arguments.request) as file:
        record = json.load(file)
    body = record["body"].encode("utf-8")
    if arguments.tamper:
        body = body[:-1] + (b"}" if body[-1:] != b"}" else b" ")
    sys.exit(0 if verify(arguments.secret, record["headers"], body, arguments.now) else 1)


if __name__ == "__main__":
    main()
