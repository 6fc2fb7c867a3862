"""Bench reference: Debian's nginx terminating TLS, as Lesto's configuration does it.

Usage: BENCH_TLS_CERT=PEM BENCH_TLS_KEY=PEM BENCH_FILES=DIR python nginx_tls.py PORT.
One worker; the same certificate and key, protocol versions and TLS 1.2
ciphers as Lesto's defaults (src/core/net/tls.hpp), kernel TLS asked for
as Lesto asks for it (used only where the kernel has it), `return 200
"Hello world!"` at /, $BENCH_FILES at /static/ with sendfile, access log
off, keep-alive without a request limit.
"""

import os
import sys
import tempfile

# Lesto's default_ciphers (src/core/net/tls.hpp).
CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
           "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
           "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")

CONF = """
worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log stderr error;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000000;
    keepalive_timeout 60;
    types {{ text/plain txt; application/octet-stream bin; }}
    client_body_temp_path {prefix};
    proxy_temp_path {prefix};
    fastcgi_temp_path {prefix};
    uwsgi_temp_path {prefix};
    scgi_temp_path {prefix};
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers {ciphers};
        ssl_prefer_server_ciphers on;
        ssl_conf_command Options KTLS;
        location = / {{ return 200 "Hello world!"; }}
        location /static/ {{ alias {files}/; }}
    }}
}}
"""


def main() -> None:
    port = int(sys.argv[1])
    prefix = tempfile.mkdtemp(prefix="lesto-bench-nginx-tls-")
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(prefix=prefix, port=port, cert=os.environ["BENCH_TLS_CERT"],
                            key=os.environ["BENCH_TLS_KEY"], ciphers=CIPHERS,
                            files=os.environ.get("BENCH_FILES", prefix)))
    os.execvp("nginx", ["nginx", "-p", prefix, "-c", conf])


if __name__ == '__main__':
    main()
