"""A real TLS termination on 127.0.0.1: Debian's nginx with deploy/nginx/emporium.conf.template,
in front of Emporium's gateway (`emporium serve --services gateway`), whose services are a small
recording stand-in that answers with the headers it got.

Usage: tls_termination.py DEPLOY-DIR WORK-DIR [BINARY]

Checks, with curl verifying the certificate against a CA made here:
- HTTPS answers through nginx and the gateway, over HTTP/1.1 and over HTTP/2;
- plain HTTP is redirected to HTTPS (308, same host and path);
- HSTS is set on the HTTPS answers;
- X-Forwarded-For (the client), X-Forwarded-Proto (https) and X-Forwarded-Host reach the service.
Without a binary, nginx proxies to the stand-in directly (said in the output).
Everything started is stopped at the end; all ports are free ones of 127.0.0.1.
"""

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time

SERVICES = ["auth", "users", "catalog", "cart", "inventory", "orders", "payments", "notifications", "recommendations"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder(http.server.BaseHTTPRequestHandler):
    """Stands in for every service: /health/* 200, the key set empty, anything else the headers."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/.well-known/jwks.json"):
            body = {"keys": []}
        elif self.path.startswith("/health/"):
            body = {"status": "up"}
        else:
            body = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def run(command, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def wait_for(url, process=None, seconds=60, log=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process and process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited while starting" + (f"; its log:\n{open(log).read()[-3000:]}" if log else ""))
        got = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url], capture_output=True, text=True).stdout
        if got == "200":
            return
        time.sleep(0.1)
    raise SystemExit(f"no 200 from {url} within {seconds} s")


def make_certificates(work, host):
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", f"{work}/ca.key", "-out", f"{work}/ca.pem", "-days", "2", "-subj", "/CN=Emporium test CA"])
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", f"{work}/server.key", "-out", f"{work}/server.csr", "-subj", f"/CN={host}"])
    with open(f"{work}/server.ext", "w") as ext:
        ext.write(f"subjectAltName=DNS:{host}\nextendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", f"{work}/server.csr", "-CA", f"{work}/ca.pem", "-CAkey", f"{work}/ca.key",
         "-CAcreateserial", "-out", f"{work}/server.pem", "-days", "2", "-extfile", f"{work}/server.ext"])


def main():
    deploy, work = sys.argv[1], sys.argv[2]
    binary = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    os.makedirs(work, exist_ok=True)
    host = "shop.emporium.test"
    make_certificates(work, host)

    recorder = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    threading.Thread(target=recorder.serve_forever, daemon=True).start()
    recorder_address = f"127.0.0.1:{recorder.server_address[1]}"

    processes = []
    try:
        upstream = recorder_address
        if binary:
            port = free_port()
            env = dict(os.environ, EMPORIUM_DATA_DIR=f"{work}/gateway-data", EMPORIUM_LOG_FORMAT="json",
                       EMPORIUM_LOG_LEVEL="warning", EMPORIUM_HTTP_TRUSTED_PROXIES="127.0.0.1")
            for service in SERVICES:
                env[f"EMPORIUM_SERVICES_{service.upper()}_URL"] = f"http://{recorder_address}"
            log = f"{work}/gateway.log"
            gateway = subprocess.Popen([binary, "serve", "--services", "gateway", "--host", "127.0.0.1", "--port", str(port)],
                                       env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
            processes.append(gateway)
            wait_for(f"http://127.0.0.1:{port}/health/live", gateway, log=log)
            upstream = f"127.0.0.1:{port}"

        https_port, http_port = free_port(), free_port()
        template = open(os.path.join(deploy, "nginx/emporium.conf.template"), encoding="utf-8").read()
        site = (template.replace("@LISTEN@", "127.0.0.1").replace("@HTTPS_PORT@", str(https_port))
                .replace("@HTTP_PORT@", str(http_port)).replace("@HOST@", host).replace("@UPSTREAM@", upstream)
                .replace("@CERT@", f"{work}/server.pem").replace("@KEY@", f"{work}/server.key"))
        os.makedirs(f"{work}/nginx/logs", exist_ok=True)
        with open(f"{work}/nginx/nginx.conf", "w") as conf:
            conf.write(f"""daemon off;
worker_processes 1;
pid {work}/nginx/nginx.pid;
error_log {work}/nginx/logs/error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log {work}/nginx/logs/access.log;
    client_body_temp_path {work}/nginx/body;
    proxy_temp_path {work}/nginx/proxy;
    fastcgi_temp_path {work}/nginx/fastcgi;
    uwsgi_temp_path {work}/nginx/uwsgi;
    scgi_temp_path {work}/nginx/scgi;
{site}
}}
""")
        nginx_bin = "nginx" if subprocess.run(["which", "nginx"], capture_output=True).returncode == 0 else "/usr/sbin/nginx"
        test = subprocess.run([nginx_bin, "-t", "-p", f"{work}/nginx", "-c", f"{work}/nginx/nginx.conf"], capture_output=True, text=True)
        if test.returncode != 0:
            raise SystemExit(f"nginx -t refused deploy/nginx/emporium.conf.template:\n{test.stderr}")
        nginx = subprocess.Popen([nginx_bin, "-p", f"{work}/nginx", "-c", f"{work}/nginx/nginx.conf"],
                                 stdout=subprocess.DEVNULL, stderr=open(f"{work}/nginx/logs/stderr.log", "w"))
        processes.append(nginx)
        resolve = ["--resolve", f"{host}:{https_port}:127.0.0.1", "--resolve", f"{host}:{http_port}:127.0.0.1"]
        base = f"https://{host}:{https_port}"
        deadline = time.time() + 30
        while subprocess.run(["curl", "-s", "-o", "/dev/null", "--cacert", f"{work}/ca.pem", *resolve, f"{base}/v1/products"]).returncode != 0:
            if nginx.poll() is not None or time.time() > deadline:
                raise SystemExit("nginx did not answer: " + open(f"{work}/nginx/logs/error.log").read()[-2000:])
            time.sleep(0.1)

        problems = []
        for version, flag, expected in (("HTTP/1.1", "--http1.1", "1.1"), ("HTTP/2", "--http2", "2")):
            out = subprocess.run(["curl", "-sS", flag, "--cacert", f"{work}/ca.pem", *resolve, "-D", f"{work}/headers",
                                  "-w", "\n%{http_code} %{http_version}", "-H", "X-Forwarded-For: 203.0.113.9",
                                  f"{base}/v1/products?limit=1"], capture_output=True, text=True)
            if out.returncode != 0:
                problems.append(f"{version}: curl failed: {out.stderr.strip()}")
                continue
            body, _, status = out.stdout.rpartition("\n")
            code, got_version = status.split()
            headers = open(f"{work}/headers").read().lower()
            if code != "200":
                problems.append(f"{version}: status {code}: {body[:300]}")
                continue
            if got_version != expected:
                problems.append(f"{version}: answered over HTTP/{got_version}")
            if "strict-transport-security: max-age=31536000" not in headers:
                problems.append(f"{version}: no HSTS header")
            seen = json.loads(body).get("headers", {})
            forwarded_for = [a.strip() for a in seen.get("x-forwarded-for", "").split(",")]
            if "127.0.0.1" not in forwarded_for:
                problems.append(f"{version}: X-Forwarded-For at the service is {seen.get('x-forwarded-for')!r}, without the client 127.0.0.1")
            if seen.get("x-forwarded-proto") != "https":
                problems.append(f"{version}: X-Forwarded-Proto at the service is {seen.get('x-forwarded-proto')!r}")
            if seen.get("x-forwarded-host", "").split(":")[0] != host:
                problems.append(f"{version}: X-Forwarded-Host at the service is {seen.get('x-forwarded-host')!r}")
        redirect = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", *resolve,
                                   f"http://{host}:{http_port}/v1/products?limit=1"], capture_output=True, text=True).stdout
        if redirect != f"308 {base}/v1/products?limit=1":
            problems.append(f"plain HTTP answered {redirect!r}, not a 308 to {base}/v1/products?limit=1")
        insecure = subprocess.run(["curl", "-sS", "-o", "/dev/null", *resolve, f"{base}/v1/products"], capture_output=True, text=True)
        if insecure.returncode == 0:
            problems.append("curl accepted the certificate without the test CA")
        if problems:
            print("\n".join(problems))
            sys.exit(1)
        through = "nginx → the gateway → a service" if binary else "nginx → a service (no emporium binary: the gateway left out)"
        print(f"TLS on HTTP/1.1 and HTTP/2, 308 to HTTPS, HSTS, X-Forwarded-For/-Proto/-Host through {through}")
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        recorder.shutdown()


if __name__ == "__main__":
    main()
