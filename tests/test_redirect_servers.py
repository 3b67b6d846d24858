"""The redirect maps, served by real nginx and Apache: every old URL answers 301 with the new one.

These run where nginx and Apache (`apache2`, with mod_rewrite) are installed, and are skipped
elsewhere. The site has what breaks naive maps: non-ASCII permalinks (percent-encoded targets),
a term archive whose Zola slug differs, an attachment page, plain `?p=` links, and two spellings of
one path that differ only in case.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import migrate, wxr, wxr_item

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
APACHE = shutil.which("apache2") or ("/usr/sbin/apache2" if os.path.exists("/usr/sbin/apache2") else None)
MODULES = Path("/usr/lib/apache2/modules")
SLUG = "使用-wordpress"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    for _ in range(50):  # the server may still be starting
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.getheader("Location") or ""
        except ConnectionRefusedError:
            time.sleep(0.1)
    raise AssertionError(f"no server on port {port}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated site in a folder every user can read (Apache drops root for www-data)."""
    root = Path(tempfile.mkdtemp(prefix="wp2zola-servers-"))
    os.chmod(root, 0o755)
    category = '<category domain="category" nicename="c-plus-plus"><![CDATA[C++]]></category>'
    export = root / "export.xml"
    encoded = quote(SLUG)
    export.write_text(
        wxr(
            wxr_item(7, "Unicode", SLUG, link=f"https://example.com/2021/03/{encoded}/", extra=category),
            wxr_item(8, "Plain", "plain", link="https://example.com/2021/03/plain/"),
            wxr_item(
                9,
                "Photo",
                "photo",
                type="attachment",
                status="inherit",
                parent=8,
                content="",
                link="https://example.com/2021/03/plain/photo/",
                extra="<wp:attachment_url>https://example.com/wp-content/uploads/2021/03/Photo.JPG</wp:attachment_url>",
            ),
        ),
        "utf-8",
    )
    out = root / "site"
    migrate([export], out)
    yield out
    shutil.rmtree(root, ignore_errors=True)


CHECKS = [
    ("/?p=7", f"/2021/03/{quote(SLUG)}/"),
    ("/?p=8", "/2021/03/plain/"),
    ("/category/c-plus-plus/", "/category/c/"),
    ("/2021/03/plain/photo/", "/wp-content/uploads/2021/03/Photo.JPG"),
    ("/?attachment_id=9", "/wp-content/uploads/2021/03/Photo.JPG"),
]


def _check(port: int) -> None:
    for old, new in CHECKS:
        status, location = _get(port, old)
        if new is None:
            continue
        assert status == 301, (old, status)
        assert location.endswith(new), (old, location, new)


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_nginx_maps(site, tmp_path):
    port = _port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
user root;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
daemon off;
events {{}}
http {{
  access_log off;
  client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; fastcgi_temp_path {tmp_path};
  uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};
  include {site}/redirects/nginx-http.conf;
  server {{
    listen 127.0.0.1:{port};
    root {site}/static;
    include {site}/redirects/nginx-server.conf;
  }}
}}
""")
    checked = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen([NGINX, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _check(port)
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.skipif(APACHE is None or not (MODULES / "mod_rewrite.so").exists(), reason="Apache is not installed")
def test_apache_htaccess(site):
    port = _port()
    work = site.parent / "apache"
    docroot = work / "docroot"
    shutil.copytree(site / "static", docroot)
    shutil.copy(site / "redirects/apache.htaccess", docroot / ".htaccess")
    for folder in [work, *docroot.rglob("*")]:
        os.chmod(folder, 0o755 if folder.is_dir() else 0o644)
    os.chmod(work, 0o777)
    conf = work / "httpd.conf"
    modules = "\n".join(
        f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in ("mpm_event", "authz_core", "rewrite", "dir", "mime")
    )
    conf.write_text(f"""
ServerRoot {work}
PidFile {work}/httpd.pid
Listen 127.0.0.1:{port}
{modules}
ErrorLog {work}/error.log
User www-data
Group www-data
ServerName localhost
DocumentRoot {docroot}
DirectoryIndex index.html
<Directory {docroot}>
  AllowOverride All
  Require all granted
</Directory>
TypesConfig /etc/mime.types
""")
    checked = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(
        [APACHE, "-f", str(conf), "-DFOREGROUND"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _check(port)
    finally:
        server.terminate()
        server.wait(10)
