#!/usr/bin/env python3
"""Runs deploy/nginx for real in front of a stand-in upstream and checks what the proxy promises.

    python3 deploy/checks/nginx_functional.py CERT_DIR

CERT_DIR holds fullchain.pem, privkey.pem and ca.pem from scripts/gen-certs.sh. The config is
copied to a temporary folder and changed only where a test machine differs from the compose
network: listen addresses (127.0.0.1 and free ports instead of 80/443), the upstream (a local
stand-in instead of `api:8080`), and the pid and log paths. The stand-in answers every request
with what it received (method, path, headers, body length), so the checks see what nginx
forwards. Checked:

  HTTP is redirected to HTTPS; TLS 1.2 and 1.3 are accepted and TLS 1.1 refused; HSTS, CSP and
  the other security headers are on every answer (the /docs page's CSP allows its inline
  script, others do not); /metrics is not proxied; the Authorization header (API keys) and
  X-Forwarded-Proto reach the API; uploads up to 50 MiB go through and larger ones get 413 from
  nginx, other bodies over 1 MiB too; JSON is gzipped; the upload zone limits POST /v1/models
  (429) but not listing models; the API zone limits a burst of requests.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
failures: list[str] = []
passed = 0


def check(cond: bool, what: str) -> None:
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print(f"nginx: FAIL {what}", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body are written separately: without this, Nagle's algorithm and delayed
        # ACKs add 40 ms to every answer and the rate-limit burst never happens.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def answer(self) -> None:
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                n += len(self.rfile.read(size))
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                n += len(chunk)
                left -= len(chunk)
        if self.path == "/metrics":
            body = b"upstream_metrics_leaked 1\n"
            ctype = "text/plain"
        else:
            body = json.dumps({
                "method": self.command, "path": self.path, "body_bytes": n,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "padding": "x" * 4000,  # large enough to be gzipped
            }).encode()
            ctype = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = answer


def main() -> int:
    certs = Path(sys.argv[1])
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    tmp = Path(tempfile.mkdtemp(prefix="montecell-nginx-"))
    conf = tmp / "nginx"
    shutil.copytree(ROOT / "deploy/nginx", conf, ignore=shutil.ignore_patterns("certs"))
    shutil.copytree(certs, conf / "certs")
    shutil.copy("/etc/nginx/mime.types", conf / "mime.types")
    http_port, https_port = free_port(), free_port()

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    up_port = upstream.server_address[1]

    main_conf = (conf / "nginx.conf").read_text()
    main_conf = main_conf.replace("pid /var/run/nginx.pid;", f"pid {tmp}/nginx.pid;")
    main_conf = main_conf.replace("error_log /var/log/nginx/error.log warn;", f"error_log {tmp}/error.log warn;")
    main_conf = main_conf.replace("access_log /var/log/nginx/access.log montecell;", f"access_log {tmp}/access.log montecell;")
    # Temporary files of request bodies and responses: the test's folder (the packaged paths
    # belong to the distribution's nginx user).
    main_conf = main_conf.replace("    sendfile on;", f"    client_body_temp_path {tmp}/body;\n    proxy_temp_path {tmp}/proxy;\n    sendfile on;")
    (conf / "nginx.conf").write_text(main_conf)
    site = (conf / "conf.d/montecell.conf").read_text()
    n_site = site
    site = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", site, flags=re.M)
    site = site.replace("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;")
    site = site.replace("listen 443 ssl http2 default_server;", f"listen 127.0.0.1:{https_port} ssl http2 default_server;")
    site = site.replace("server api:8080", f"server 127.0.0.1:{up_port}")
    if site.count("127.0.0.1:") != 3 or site == n_site:
        print("nginx: the listen/upstream lines of deploy/nginx/conf.d/montecell.conf changed: update this test", file=sys.stderr)
        return 1
    (conf / "conf.d/montecell.conf").write_text(site)

    args = [nginx, "-c", str(conf / "nginx.conf"), "-e", f"{tmp}/error.log", "-g", "daemon off;" + (" user root;" if os.geteuid() == 0 else "")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.05)
        if proc.poll() is not None:
            print("nginx: did not start:", proc.stdout.read().decode(), (tmp / "error.log").read_text(errors="replace"), file=sys.stderr)
            return 1
        run_checks(http_port, https_port, certs / "ca.pem")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        upstream.shutdown()
        if failures:
            log = tmp / "error.log"
            if log.exists():
                print("nginx error log:\n" + log.read_text(errors="replace")[-3000:], file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"nginx: {len(failures)} of {len(failures) + passed} checks failed", file=sys.stderr)
        return 1
    print(f"nginx: ok — {passed} behaviour checks against the running proxy")
    return 0


def run_checks(http_port: int, https_port: int, ca: Path) -> None:
    ctx = ssl.create_default_context(cafile=str(ca))

    def request(method: str, path: str, body: bytes | None = None, headers: dict | None = None, conn=None):
        c = conn or http.client.HTTPSConnection("127.0.0.1", https_port, context=ctx, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r, data

    # HTTP → HTTPS
    c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    c.request("GET", "/v1/models?limit=5")
    r = c.getresponse()
    r.read()
    check(r.status == 301, f"HTTP answers 301 (got {r.status})")
    check((r.getheader("Location") or "").startswith("https://127.0.0.1/v1/models?limit=5"), f"redirect to https (got {r.getheader('Location')})")
    c.request("GET", "/.well-known/acme-challenge/token")
    r = c.getresponse()
    r.read()
    check(r.status != 301, "ACME challenges are served over HTTP, not redirected")
    c.request("GET", "/nginx-health")
    r = c.getresponse()
    check(r.status == 200 and r.read() == b"ok\n", f"/nginx-health answers the container's health check (got {r.status})")
    c.close()

    # TLS versions
    for version, ok in ((ssl.TLSVersion.TLSv1_2, True), (ssl.TLSVersion.TLSv1_3, True), (ssl.TLSVersion.TLSv1_1, False)):
        v = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        v.load_verify_locations(cafile=str(ca))
        if not ok:
            v.set_ciphers("DEFAULT:@SECLEVEL=0")
        try:
            v.minimum_version = version
            v.maximum_version = version
        except ValueError:
            check(False, f"this Python cannot offer {version.name}")
            continue
        try:
            with socket.create_connection(("127.0.0.1", https_port), timeout=5) as s, v.wrap_socket(s, server_hostname="localhost") as t:
                got = t.version()
            check(ok and got == version.name.replace("v1_", "v1.").replace("TLSv1.", "TLSv1."), f"{version.name} accepted (got {got})")
        except ssl.SSLError as e:
            # nginx must be the one refusing (its protocol_version alert), not this client.
            check(not ok and "ALERT_PROTOCOL_VERSION" in str(e).upper(), f"{version.name} refused by nginx ({e})")

    # Security headers, CSP per page, Authorization and forwarding headers.
    r, data = request("GET", "/v1/simulations", headers={"Authorization": "Bearer mc_test_key", "Accept-Encoding": "identity"})
    check(r.status == 200, f"GET /v1/simulations is proxied (got {r.status})")
    seen = json.loads(data)
    check(seen["headers"].get("authorization") == "Bearer mc_test_key", "Authorization reaches the API unchanged")
    check(seen["headers"].get("x-forwarded-proto") == "https", "X-Forwarded-Proto: https")
    check(seen["headers"].get("x-forwarded-for") == "127.0.0.1", "X-Forwarded-For carries the client")
    check("max-age=" in (r.getheader("Strict-Transport-Security") or ""), "HSTS header")
    csp = r.getheader("Content-Security-Policy") or ""
    check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, f"CSP header (got {csp!r})")
    check("'unsafe-inline'" not in csp.split("script-src", 1)[-1].split(";")[0], "CSP: no inline script outside /docs")
    check(r.getheader("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options")
    check(r.getheader("X-Frame-Options") == "DENY", "X-Frame-Options")
    check(r.getheader("Referrer-Policy") == "no-referrer", "Referrer-Policy")
    check(r.getheader("Permissions-Policy") is not None, "Permissions-Policy")
    check("nginx/" not in (r.getheader("Server") or ""), "no nginx version in Server")
    r, _ = request("GET", "/docs")
    check("script-src 'self' 'unsafe-inline'" in (r.getheader("Content-Security-Policy") or ""), "the /docs page may run its inline script")
    r, data = request("GET", "/nope-404-from-nginx/metrics")
    check(r.status == 200, "other paths are proxied")

    # /metrics is not public
    r, data = request("GET", "/metrics")
    check(r.status == 404 and b"upstream_metrics_leaked" not in data, f"/metrics is not proxied (got {r.status})")

    # gzip
    r, data = request("GET", "/v1/models", headers={"Accept-Encoding": "gzip"})
    check(r.getheader("Content-Encoding") == "gzip", "JSON answers are gzipped")

    # Body limits: uploads up to 50 MiB, other bodies up to 1 MiB.
    r, data = request("POST", "/v1/models?filename=a.xlsx", body=b"\0" * (10 * MiB))
    check(r.status == 200 and json.loads(data)["body_bytes"] == 10 * MiB, f"a 10 MiB upload reaches the API whole (got {r.status})")
    r, data = request("POST", "/v1/models?filename=a.xlsx", body=b"\0" * (50 * MiB))
    check(r.status == 200 and json.loads(data)["body_bytes"] == 50 * MiB, f"a 50 MiB upload (MONTECELL_MAX_UPLOAD_BYTES) goes through (got {r.status})")
    r, data = request("POST", "/v1/models?filename=a.xlsx", body=b"\0" * (50 * MiB + 1))
    check(r.status == 413, f"an upload over 50 MiB gets 413 from nginx (got {r.status})")
    r, data = request("POST", "/v1/simulations", body=b"{" + b" " * (MiB - 2) + b"}", headers={"Content-Type": "application/json"})
    check(r.status == 200, f"a 1 MiB JSON body goes through (got {r.status})")
    r, data = request("POST", "/v1/simulations", body=b" " * (2 * MiB), headers={"Content-Type": "application/json"})
    check(r.status == 413, f"a 2 MiB JSON body gets 413 (got {r.status})")

    # Rate limits. Uploads: 30/min with a burst of 10 per client (4 used above).
    conn = http.client.HTTPSConnection("127.0.0.1", https_port, context=ctx, timeout=10)
    codes = [request("GET", "/v1/models", conn=conn)[0].status for _ in range(20)]
    check(429 not in codes, f"listing models is not limited by the upload zone ({codes.count(429)} × 429)")
    codes = [request("POST", "/v1/models?filename=a.xlsx", body=b"x", conn=conn)[0].status for _ in range(20)]
    check(codes.count(429) >= 5 and codes[0] == 200, f"a burst of uploads gets 429 after the burst allowance (codes {codes})")
    start = time.monotonic()
    codes = [request("GET", "/v1/simulations", conn=conn)[0].status for _ in range(120)]
    took = time.monotonic() - start
    check(429 in codes and codes[0] == 200, f"a burst of API requests gets 429 ({codes.count(429)} of 120 in {took:.2f} s)")
    conn.close()


if __name__ == "__main__":
    sys.exit(main())
