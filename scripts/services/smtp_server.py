"""Test SMTP servers for the Emporium SMTP client (scripts/services/smtp.sh runs this).

Runs several aiosmtpd servers in one process, on the ports given (each optional; a test that
needs a server it can stop and start runs this with --plain alone):

  plain     no STARTTLS, no AUTH
  starttls  offers STARTTLS (the given certificate), no AUTH
  auth      offers STARTTLS; AUTH PLAIN/LOGIN offered after TLS and required for mail
  login     like auth, but offers AUTH LOGIN only
  smtps     TLS from the first byte (implicit TLS), AUTH offered and required
  idle      like plain, but closes a connection after IDLE_TIMEOUT seconds without a command

Each accepted message is written to MESSAGES/<server>/<n>.eml (the data as received, after
the server undid the dot-stuffing) and then MESSAGES/<server>/<n>.json (the envelope, whether
TLS was used, who authenticated, and the client's address and port, so tests can tell
connections apart). The .json file appears last and atomically: once it is there, both are
complete.

Recipients steer the server, so tests can provoke refusals:
  a local part starting with "reject-permanent" gets 550, "reject-transient" gets 451,
  and "disconnect" makes the server close the connection without a reply.
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    """An aiosmtpd handler that stores every message it accepts."""

    counter = itertools.count(1)

    def __init__(self, name, folder):
        self.name = name
        self.folder = os.path.join(folder, name)
        os.makedirs(self.folder, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject-permanent"):
            return "550 5.1.1 <%s>: recipient rejected (test)" % address
        if local.startswith("reject-transient"):
            return "451 4.3.0 <%s>: try again later (test)" % address
        if local.startswith("disconnect"):
            server.transport.close()
            return "421 4.3.0 closing (test)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        number = next(self.counter)
        base = os.path.join(self.folder, "%06d" % number)
        with open(base + ".eml", "wb") as file:
            file.write(envelope.original_content or envelope.content)
        peer = session.peer
        record = {
            "server": self.name,
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            # session.ssl is set after STARTTLS only; implicit TLS shows on the transport.
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "peer": "%s:%s" % (peer[0], peer[1]) if peer else None,
            "eml": base + ".eml",
            "parsed": parse(envelope.original_content or envelope.content),
        }
        with open(base + ".json.tmp", "w") as file:
            json.dump(record, file)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Ok: queued as test-%06d" % number


def parse(content):
    """The message as Python's own MIME parser reads it: an independent check of the client's
    encoding (headers decoded, bodies decoded to text)."""
    try:
        message = email.message_from_bytes(content, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding"),
                "content": part.get_content(),
            })
        date = message["Date"]
        return {
            "subject": str(message["Subject"]),
            "from": str(message["From"]),
            "to": str(message["To"]) if message["To"] is not None else None,
            "cc": str(message["Cc"]) if message["Cc"] is not None else None,
            "bcc": str(message["Bcc"]) if message["Bcc"] is not None else None,
            "message_id": str(message["Message-ID"]),
            "date": date.datetime.isoformat() if date is not None and date.datetime else None,
            "mime_version": str(message["MIME-Version"]),
            "content_type": message.get_content_type(),
            "defects": [type(defect).__name__ for part in message.walk() for defect in part.defects],
            "parts": parts,
        }
    except Exception as error:  # reported to the test, which fails on it
        return {"error": repr(error)}


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login == self.user and auth_data.password == self.password:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


async def serve(arguments):
    tls = None
    if arguments.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(arguments.cert, arguments.key)
    authenticator = Authenticator(arguments.user, arguments.password)
    loop = asyncio.get_running_loop()

    def factory(name, **options):
        handler = Recorder(name, arguments.messages)
        return lambda: SMTP(handler, hostname="emporium-test-" + name, loop=loop, **options)

    servers = []
    if arguments.plain:
        servers.append(await loop.create_server(factory("plain"), "127.0.0.1", arguments.plain))
    if arguments.starttls:
        servers.append(await loop.create_server(factory("starttls", tls_context=tls), "127.0.0.1", arguments.starttls))
    if arguments.auth:
        servers.append(await loop.create_server(
            factory("auth", tls_context=tls, authenticator=authenticator, auth_required=True),
            "127.0.0.1", arguments.auth))
    if arguments.login:
        servers.append(await loop.create_server(
            factory("login", tls_context=tls, authenticator=authenticator, auth_required=True,
                    auth_exclude_mechanism=["PLAIN"]),
            "127.0.0.1", arguments.login))
    if arguments.smtps:
        servers.append(await loop.create_server(
            factory("smtps", authenticator=authenticator, auth_required=True, auth_require_tls=False),
            "127.0.0.1", arguments.smtps, ssl=tls))
    if arguments.idle:
        servers.append(await loop.create_server(factory("idle", timeout=arguments.idle_timeout), "127.0.0.1", arguments.idle))
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    with open(arguments.ready, "w") as file:
        file.write("ready\n")
    await stop.wait()
    for server in servers:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("plain", "starttls", "auth", "login", "smtps", "idle"):
        parser.add_argument("--" + name, type=int, default=0, help="port of the %s server (none when 0)" % name)
    parser.add_argument("--idle-timeout", type=float, default=1.0)
    parser.add_argument("--cert", help="needed by the TLS servers")
    parser.add_argument("--key")
    parser.add_argument("--user", default="emporium")
    parser.add_argument("--password", default="")
    parser.add_argument("--messages", required=True, help="folder for received messages")
    parser.add_argument("--ready", required=True, help="file written once all servers listen")
    arguments = parser.parse_args()
    asyncio.run(serve(arguments))


if __name__ == "__main__":
    main()
