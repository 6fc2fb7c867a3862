"""Bench reference: Debian's nginx serving $BENCH_FILES at /static/, as a file server is set up.

Usage: BENCH_FILES=DIR python nginx_files.py PORT. One worker, sendfile on,
access log off, keep-alive without a request limit: the settings that make
nginx the ceiling for static files on this machine.
"""

import os
import sys
import tempfile

CONF = """
worker_processes 1;
daemon off;
master_process on;
pid {prefix}/nginx.pid;
error_log stderr error;
events {{ worker_connections 4096; }}
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
        listen 127.0.0.1:{port};
        location /static/ {{ alias {files}/; }}
    }}
}}
"""


def main() -> None:
    port = int(sys.argv[1])
    prefix = tempfile.mkdtemp(prefix="lesto-bench-nginx-")
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(prefix=prefix, port=port, files=os.environ["BENCH_FILES"]))
    os.execvp("nginx", ["nginx", "-p", prefix, "-c", conf])


if __name__ == '__main__':
    main()
