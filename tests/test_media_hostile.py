"""Hostile or odd media URLs and names: nothing is read from outside the uploads copy, nothing is
published over a page, and every site still builds."""

from __future__ import annotations

import shutil

from migrate.media.options import MediaOptions

from .conftest import migrate, wxr_item
from .test_links import _attachment


def test_uploads_dir_never_gives_a_file_outside_it(tmp_path, write_export):
    secret = tmp_path / "secret" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY")
    uploads = tmp_path / "uploads"
    (uploads / "2021/03").mkdir(parents=True)
    (uploads / "2021/03/ok.jpg").write_bytes(b"\xff\xd8\xff")
    u = "https://example.com/wp-content/uploads/"
    content = (
        f'<p><img src="{u}/{secret}"><img src="{u}../../secret/id_rsa"><img src="{u}%2e%2e/secret/id_rsa">'
        f'<img src="{u}2021/03/ok.jpg"></p>'
    )
    export = write_export(wxr_item(1, "Post", content=content), _attachment(2, f"{u}/{secret}", str(secret)))
    site = tmp_path / "site"
    result = migrate([export], site, media=MediaOptions(download=False, uploads_dir=uploads))
    locals_ = [f.ref.local for f in result.plan.media() if f.ref and f.ref.local]
    assert locals_ == [str(uploads / "2021/03/ok.jpg")]
    assert not [p for p in site.rglob("*") if p.is_file() and p.read_bytes() == b"PRIVATE KEY"]


def test_odd_names_never_break_the_build(tmp_path, write_export, zola017):
    """A slug with `#` (Zola would read an anchor in `@/c#-tips.md`), attachments named like a page's own
    files (`index.md`, `notes.md`, `index.html`) in page bundles, an attachment at a page's own URL."""
    u = "https://example.com/wp-content/uploads/2021/03/"
    target = wxr_item(1, "C# tips", "c%23-tips", content="<h2>Setup</h2>")
    post = wxr_item(
        2,
        "Post",
        content='<p><a href="https://example.com/2021/03/c%23-tips/#setup">tips</a>'
        f'<a href="{u}index.md">a</a><a href="{u}notes.md">b</a></p>',
    )
    files = [
        _attachment(10 + i, u + name, "2021/03/" + name).replace("<wp:post_parent>0", "<wp:post_parent>2")
        for i, name in enumerate(["index.md", "notes.md", "index.html"])
    ]
    over = _attachment(20, "https://example.com/2021/03/post/index.html", "2021/03/x.html")
    export = write_export(target, post, *files, over)
    for bundles in (False, True):
        site = tmp_path / f"site-{bundles}"
        migrate([export], site, media=MediaOptions(download=False, bundles=bundles))
        page = next(site.glob("content/2021/03/post*")).resolve()
        text = (page / "index.md" if page.is_dir() else page).read_text()
        assert "(@/2021/03/c--tips.md#setup)" in text
        if bundles:
            assert sorted(p.name for p in page.iterdir()) == ["index.md"]  # the .md and .html files stay in static/
        assert not (site / "static/2021/03/post/index.html").exists()
        copy = tmp_path / f"build-{bundles}"
        shutil.copytree(site, copy)
        built = zola017.build(copy)
        assert built.returncode == 0, built.stderr
