"""Media end to end: a local HTTP server stands in for the WordPress host.

The export's site is the server itself (http://127.0.0.1:PORT/blog), which serves the uploads folder.
A migration fetches every file the pages use (and every attachment), rewrites every URL to the new
site, and builds with both Zolas; a re-run fetches nothing; files that cannot be had are listed with
the pages that use them, and the run still completes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.media.options import MediaOptions
from migrate.pipeline import migrate
from migrate.site.apply import FetchSettings
from migrate.site.journal import JOURNAL

from .conftest import SAMPLES, refuse_renames, wxr, wxr_item
from .httpserver import Response, TestServer

JPEG = (SAMPLES / "uploads/2023/04/moon-300x200.jpg").read_bytes()
PHOTO_META = (
    'a:4:{s:5:"width";i:1800;s:6:"height";i:1200;s:4:"file";s:16:"2023/04/moon.jpg";s:5:"sizes";a:2:{'
    's:6:"medium";a:3:{s:4:"file";s:16:"moon-300x200.jpg";s:5:"width";i:300;s:6:"height";i:200;}'
    's:5:"large";a:3:{s:4:"file";s:17:"moon-1024x683.jpg";s:5:"width";i:1024;s:6:"height";i:683;}}}'
)


def head(site: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Local Site</title>
	<link>{site}</link>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>{site}</wp:base_site_url>
	<wp:base_blog_url>{site}</wp:base_blog_url>
	<wp:author><wp:author_login><![CDATA[alice]]></wp:author_login><wp:author_display_name><![CDATA[Alice]]></wp:author_display_name></wp:author>
"""


def meta(key: str, value: str) -> str:
    return f"<wp:postmeta><wp:meta_key><![CDATA[{key}]]></wp:meta_key><wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:postmeta>"


def attachment(site: str, id: int, file: str, parent: int, metadata: str = "") -> str:
    extra = meta("_wp_attached_file", file) + (meta("_wp_attachment_metadata", metadata) if metadata else "")
    slug = Path(file).stem
    item = wxr_item(
        id,
        slug,
        slug,
        type="attachment",
        status="inherit",
        parent=parent,
        content="",
        link=f"{site}/2023/04/first/{slug}/",
        extra=extra,
    )
    url = f"{site}/wp-content/uploads/{file}"
    return item.replace("</wp:post_type>", f"</wp:post_type><wp:attachment_url>{url}</wp:attachment_url>", 1)


def export(tmp_path: Path, site: str, *, broken: bool = False, external: str = "") -> Path:
    u = f"{site}/wp-content/uploads"
    first = (
        f'<p><a href="{u}/2023/04/moon.jpg"><img class="wp-image-11" src="{u}/2023/04/moon-300x200.jpg" alt="Moon"></a></p>'
        f'<p>Next: <a href="{site}/2023/05/second/">the second post</a>, its <a href="{site}/2023/05/second/#notes">notes</a>'
        f' and the <a href="{u}/2023/04/guide.pdf">guide</a>.</p>'
        f'[gallery ids="11,12" size="medium"]'
    )
    if broken:
        first += f'<p><img src="{u}/2023/04/gone.jpg" alt="Gone"><img src="{u}/2023/04/page.jpg" alt="Error page"></p>'
    if external:
        first += f'<p><img src="{external}" alt="Elsewhere"></p>'
    second = f'<h2 id="notes">Notes</h2><p>Back to <a href="{site}/?p=10">the first</a>.</p>'
    items = [
        wxr_item(
            10,
            "First",
            "first",
            link=f"{site}/2023/04/first/",
            date="2023-04-01 10:00:00",
            date_gmt="2023-04-01 08:00:00",
            content=first,
            extra=meta("_thumbnail_id", "12"),
        ),
        wxr_item(
            20,
            "Second",
            "second",
            link=f"{site}/2023/05/second/",
            date="2023-05-01 10:00:00",
            date_gmt="2023-05-01 08:00:00",
            content=second,
        ),
        attachment(site, 11, "2023/04/moon.jpg", 10, PHOTO_META),
        attachment(site, 12, "2023/04/crater.jpg", 10),
        attachment(site, 13, "2023/04/guide.pdf", 10),
    ]
    path = tmp_path / "local.xml"
    path.write_text(wxr(*items, head=head(site)), "utf-8")
    return path


@pytest.fixture
def server(tmp_path):
    uploads = tmp_path / "uploads"
    shutil.copytree(SAMPLES / "uploads", uploads)
    (uploads / "2023/04/crater.jpg").write_bytes(JPEG)
    (uploads / "2023/04/guide.pdf").write_bytes(b"%PDF-1.4\n% a guide\n%%EOF\n")
    with TestServer() as srv:
        srv.serve_dir("/blog/wp-content/uploads/", uploads)
        srv.route(
            "/blog/wp-content/uploads/2023/04/page.jpg",
            Response(200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Not found</body></html>"),
        )
        yield srv


def files_of(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and ".wp2zola" not in p.parts and "public" not in p.parts
    }


def test_a_migrated_site_is_self_contained_builds_and_a_rerun_fetches_nothing(tmp_path, server, zolas):
    site_url = server.url("/blog").rstrip("/")
    host = site_url.split("/")[2]
    out = tmp_path / "site"
    result = migrate([export(tmp_path, site_url)], out)
    assert result.changes.missing == []
    # what the pages show (the medium moon, the full one it links to, the crater, the guide), and every
    # attachment's file; not the large moon, which nothing shows
    assert result.changes.fetched == 4
    uploads = out / "static/blog/wp-content/uploads/2023/04"
    assert sorted(p.name for p in uploads.iterdir()) == ["crater.jpg", "guide.pdf", "moon-300x200.jpg", "moon.jpg"]
    assert (uploads / "moon-300x200.jpg").read_bytes() == JPEG
    for path, data in files_of(out).items():  # no page or front matter points at the old host any more
        if path.startswith("content/"):
            text = data.decode()
            assert host not in text, (path, text)
    first = (out / "content/blog/2023/04/first.md").read_text()
    assert "[the second post](@/blog/2023/05/second.md)" in first
    assert "(@/blog/2023/05/second.md#notes)" in first  # converted before its target: a second look kept it
    assert 'featured_image = "/blog/wp-content/uploads/2023/04/crater.jpg"' in first
    assert '<div class="gallery gallery-columns-3">' in first  # [gallery]'s default columns
    for zola in zolas:
        copy = tmp_path / zola.name.replace(" ", "-")
        shutil.copytree(out, copy)
        built = zola.build(copy)
        assert built.returncode == 0, built.stderr
        assert (copy / "public/blog/wp-content/uploads/2023/04/moon-300x200.jpg").read_bytes() == JPEG
        page = (copy / "public/blog/2023/04/first/index.html").read_text()
        assert 'src="/blog/wp-content/uploads/2023/04/moon-300x200.jpg"' in page  # the new site's own copy
        assert f'href="{site_url}/2023/05/second/"' in page  # Zola made the @/ link (base_url is the old domain)

    before, requests = files_of(out), len(server.requests)
    # a re-run that plans (an unchanged one would stop before planning: tests/test_rerun.py)
    again = CliRunner().invoke(app, ["migrate", str(export(tmp_path, site_url)), "--out", str(out), "--rerun"])
    assert again.exit_code == 0, again.output
    assert len(server.requests) == requests  # a re-run fetches nothing it has
    assert "fetched 0 (0 B), copied 0, 4 already there, 0 missing" in again.output
    assert files_of(out) == before


def test_files_that_cannot_be_had_are_listed_with_their_pages(tmp_path, server):
    site_url = server.url("/blog").rstrip("/")
    path = export(tmp_path, site_url, broken=True)
    runner = CliRunner()
    result = runner.invoke(app, ["migrate", str(path), "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "missing: static/blog/wp-content/uploads/2023/04/gone.jpg" in result.output
    assert "HTTP 404" in result.output and "used by id 10" in result.output
    assert "HTML page" in result.output  # an error page served as page.jpg is no image
    assert not (tmp_path / "site/static/blog/wp-content/uploads/2023/04/page.jpg").exists()
    strict = runner.invoke(app, ["migrate", str(path), "--out", str(tmp_path / "site"), "--strict", "--quiet"])
    assert strict.exit_code == 3
    assert (tmp_path / "site/content/blog/2023/04/first.md").is_file()  # the run completed all the same


def test_uploads_dir_is_used_first_and_only_what_is_missing_is_fetched(tmp_path, server):
    site_url = server.url("/blog").rstrip("/")
    local = tmp_path / "backup"
    (local / "2023/04").mkdir(parents=True)
    shutil.copy(SAMPLES / "uploads/2023/04/moon.jpg", local / "2023/04/moon.jpg")
    result = migrate([export(tmp_path, site_url)], tmp_path / "site", media=MediaOptions(uploads_dir=local))
    fetched = {p.rsplit("/", 1)[-1] for p in server.paths()}
    assert "moon.jpg" not in fetched and "moon-300x200.jpg" in fetched
    assert result.changes.copied == 1 and result.changes.missing == []


def test_no_download_rewrites_everything_and_fetches_nothing(tmp_path, server):
    site_url = server.url("/blog").rstrip("/")
    result = migrate([export(tmp_path, site_url)], tmp_path / "site", media=MediaOptions(download=False))
    assert server.requests == []
    assert {m.path.rsplit("/", 1)[-1] for m in result.changes.missing} >= {"moon.jpg", "moon-300x200.jpg", "guide.pdf"}
    assert (
        "/blog/wp-content/uploads/2023/04/moon-300x200.jpg"
        in (tmp_path / "site/content/blog/2023/04/first.md").read_text()
    )


def test_dry_run_lists_what_would_be_fetched_and_fetches_nothing(tmp_path, server):
    site_url = server.url("/blog").rstrip("/")
    result = CliRunner().invoke(app, ["migrate", str(export(tmp_path, site_url)), "--out", str(tmp_path / "s"), "-n"])
    assert result.exit_code == 0
    assert (
        f"fetch {site_url}/wp-content/uploads/2023/04/moon.jpg -> static/blog/wp-content/uploads/2023/04/moon.jpg"
        in result.output
    )
    assert server.requests == [] and not (tmp_path / "s").exists()


def test_an_interrupted_run_resumed_ends_with_the_same_files(tmp_path, server):
    site_url = server.url("/blog").rstrip("/")
    path = export(tmp_path, site_url)
    whole = tmp_path / "whole"
    migrate([path], whole)

    seen = []

    def stop_after_two(result):
        seen.append(result)
        if len(seen) == 2:
            raise KeyboardInterrupt

    broken = tmp_path / "broken"
    with pytest.raises(KeyboardInterrupt):
        migrate([path], broken, fetch=FetchSettings(on_result=stop_after_two))
    assert not any((broken / ".wp2zola/tmp").glob("*")) if (broken / ".wp2zola/tmp").exists() else True
    placed = [line for line in (broken / JOURNAL).read_text().splitlines() if line.startswith('["d"')]
    assert len(placed) >= 2  # a worker may have placed a third file as the run stopped: the journal says so
    server.reset()
    resumed = migrate([path], broken)
    assert resumed.changes.fetched == 4 - len(placed)  # only what the first run did not finish
    assert files_of(broken) == files_of(whole)
    assert not [p for p in broken.rglob("*") if p.name.endswith((".part", ".wp2zola-tmp"))]


def test_redirects_to_other_hosts_are_not_followed_unless_allowed(tmp_path, server):
    site_url = server.url("/blog").rstrip("/")
    other = server.url("/elsewhere/moon.jpg", "localhost")
    server.route("/blog/wp-content/uploads/2023/04/crater.jpg", Response(302, {"Location": other}))
    server.route("/elsewhere/moon.jpg", Response(200, {"Content-Type": "image/jpeg"}, JPEG))
    result = migrate([export(tmp_path, site_url)], tmp_path / "a")
    assert [m.path.rsplit("/", 1)[-1] for m in result.changes.missing] == ["crater.jpg"]
    assert "localhost" in result.changes.missing[0].reason
    allowed = migrate([export(tmp_path, site_url)], tmp_path / "b", media=MediaOptions(allow_hosts=("localhost",)))
    assert allowed.changes.missing == []
    assert (tmp_path / "b/static/blog/wp-content/uploads/2023/04/crater.jpg").read_bytes() == JPEG


def test_external_images_are_listed_and_fetched_only_when_asked(tmp_path, server):
    site_url = server.url("/blog").rstrip("/")
    external = server.url("/elsewhere/star.jpg", "localhost")
    server.route("/elsewhere/star.jpg", Response(200, {"Content-Type": "image/jpeg"}, JPEG))
    plain = migrate([export(tmp_path, site_url, external=external)], tmp_path / "a")
    assert list(plain.plan.external_media) == [external]
    assert external in (tmp_path / "a/content/blog/2023/04/first.md").read_text()
    fetched = migrate(
        [export(tmp_path, site_url, external=external)], tmp_path / "b", media=MediaOptions(fetch_external=True)
    )
    assert fetched.changes.missing == []
    text = (tmp_path / "b/content/blog/2023/04/first.md").read_text()
    assert "](/external/localhost/elsewhere/star.jpg)" in text
    assert (tmp_path / "b/static/external/localhost/elsewhere/star.jpg").read_bytes() == JPEG


def test_a_rerun_does_not_read_the_media_it_wrote(tmp_path, monkeypatch):
    """The manifest records each file's size and time: an unchanged medium is not read again (an edited one is)."""
    import migrate.site.journal as journal_module
    import migrate.site.manifest as manifest_module

    out = tmp_path / "site"
    media = MediaOptions(download=False, uploads_dir=SAMPLES / "uploads")
    migrate([SAMPLES / "example-blog.wordpress.xml"], out, media=media)
    read = []
    real = manifest_module.file_digest
    for module in (journal_module, manifest_module):  # every place that reads a file to digest it
        monkeypatch.setattr(module, "file_digest", lambda path: read.append(path) or real(path))
    again = migrate([SAMPLES / "example-blog.wordpress.xml"], out, media=media)
    assert read == [] and again.changes.copied == 0
    moon = out / "static/blog/wp-content/uploads/2023/04/moon.jpg"
    moon.write_bytes(moon.read_bytes() + b"edited")
    edited = migrate([SAMPLES / "example-blog.wordpress.xml"], out, media=media)
    assert [c.path for c in edited.changes.by_action("conflict")] == ["static/blog/wp-content/uploads/2023/04/moon.jpg"]
    assert moon.read_bytes().endswith(b"edited")  # a hand-edited file is the user's: kept


def test_a_new_layout_reuses_the_files_it_has(tmp_path, server):
    """Switching to --bundles (or back) moves files within the site: nothing is fetched again, and
    nothing is lost even with the old host gone."""
    site_url = server.url("/blog").rstrip("/")
    out = tmp_path / "site"
    migrate([export(tmp_path, site_url)], out)
    server.stop()  # the old site is switched off
    moved = migrate([export(tmp_path, site_url)], out, media=MediaOptions(bundles=True))
    assert moved.changes.missing == [] and moved.changes.fetched == 0 and moved.changes.copied >= 1
    bundle = out / "content/blog/2023/04/first"
    assert (bundle / "moon-300x200.jpg").read_bytes() == JPEG
    assert not (out / "static/blog/wp-content/uploads/2023/04/moon-300x200.jpg").exists()
    back = migrate([export(tmp_path, site_url)], out)
    assert back.changes.missing == [] and back.changes.fetched == 0
    assert (out / "static/blog/wp-content/uploads/2023/04/moon-300x200.jpg").read_bytes() == JPEG


def test_a_full_disk_while_fetching_stops_the_run_with_one_line(tmp_path, server, monkeypatch):
    """A fetched file that cannot be saved because the disk is full is not "missing" (exit 0): the run
    stops with one line, and the next run, with space again, fetches the rest."""
    import errno
    import os

    from typer.testing import CliRunner

    from migrate.cli import app

    site_url = server.url("/blog").rstrip("/")
    path = export(tmp_path, site_url)
    whole = tmp_path / "whole"
    migrate([path], whole)
    real = os.replace
    saved = []

    def replace(src, dst):
        fetched = str(src).endswith(".part") and not os.path.basename(src).startswith("write-")
        if fetched and len(saved) >= 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if fetched:
            saved.append(dst)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    site = tmp_path / "site"
    result = CliRunner().invoke(app, ["migrate", str(path), "--out", str(site), "--downloads", "1"])
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no space left on the device" in lines[0] and "wp-content" in lines[0], lines
    server.reset()
    again = migrate([path], site)
    assert again.changes.fetched >= 1 and again.changes.missing == [
        m for m in again.changes.missing if "page.jpg" in m.url
    ]
    assert files_of(site) == files_of(whole)


def test_fetched_files_reach_a_folder_on_another_file_system(tmp_path, server, monkeypatch):
    """static/ mounted from elsewhere: a rename from .wp2zola/tmp fails with EXDEV; fetched files still
    arrive whole, through a temporary file beside them that does not stay."""
    import errno

    path = export(tmp_path, server.url("/blog").rstrip("/"))
    whole = tmp_path / "whole"
    migrate([path], whole)
    refuse_renames(monkeypatch, errno.EXDEV, lambda src, dst, n: "/.wp2zola/tmp/" in src and "/static/" in dst)
    site = tmp_path / "site"
    result = migrate([path], site)
    monkeypatch.undo()
    assert result.changes.fetched == 4
    assert files_of(site) == files_of(whole)
    assert not [p for p in site.rglob("*") if p.name.endswith((".part", ".wp2zola-tmp"))]


def test_a_local_copy_gone_since_the_plan_is_missing_not_fatal(tmp_path, monkeypatch):
    """--uploads-dir named a file that is gone by the time it is copied: that file is listed as missing
    (naming the local copy), and every other file is written."""
    import builtins

    real_open = builtins.open
    gone = str(SAMPLES / "uploads/2023/04/moon.jpg")

    def open_(file, *args, **kwargs):
        if str(file) == gone:
            raise FileNotFoundError(2, "No such file or directory", gone)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", open_)
    site = tmp_path / "site"
    result = migrate(
        [SAMPLES / "example-blog.wordpress.xml"],
        site,
        media=MediaOptions(uploads_dir=SAMPLES / "uploads", download=False),
    )
    monkeypatch.undo()
    assert [m.path for m in result.changes.missing] == ["static/blog/wp-content/uploads/2023/04/moon.jpg"]
    assert gone in result.changes.missing[0].reason
    assert (site / "static/blog/wp-content/uploads/2023/04/moon-1024x683.jpg").exists()
