"""The URL resolver: golden cases (tests/cases/links/*.txt) over one small site (tests/cases/links/site.xml).

A case file is: a description, optional `# flags:` (media options: --originals, --bundles), `<<<`, one
URL a line (`URL in ID` resolves it as written in item ID, for relative URLs), `>>>`, what each URL
points at on the new site. They read as the documentation of every URL form the resolver knows.
To accept deliberate changes: WP2ZOLA_UPDATE_GOLDEN=1 pytest tests/test_links.py
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from migrate.mappings import Mappings
from migrate.media.options import MediaOptions
from migrate.pipeline import Site, index_site

HERE = Path(__file__).parent / "cases" / "links"
SITE = HERE / "site.xml"
CASES = sorted(HERE.glob("*.txt"))


@functools.cache
def site(flags: tuple[str, ...] = ()) -> Site:
    options = MediaOptions(download=False, originals="--originals" in flags, bundles="--bundles" in flags)
    return index_site([SITE], Mappings.load(), options, lambda notice: None)


def split_case(path: Path) -> tuple[str, tuple[str, ...], list[str], str]:
    text = path.read_text()
    head, _, rest = text.partition("\n<<<\n")
    urls, _, expected = rest.partition("\n>>>\n")
    flags: tuple[str, ...] = ()
    lines = []
    for line in head.split("\n"):
        if line.startswith("# flags:"):
            flags = tuple(line.removeprefix("# flags:").split())
        else:
            lines.append(line)
    return "\n".join(lines), flags, [u for u in urls.split("\n") if u.strip()], expected


def describe(s: Site, line: str) -> str:
    url, _, page_id = line.partition(" in ")
    page = s.ctx.by_id.get(int(page_id)) if page_id else None
    target = s.resolver.resolve(url, page)
    if target is None:
        return "not a link to resolve"
    if target.kind == "file" and target.upload is not None:
        upload = s.layout.upload(target.upload)
        placed = s.layout.place(upload)
        att = f"attachment {upload.attachment.id}, {upload.size}" if upload.attachment else "no attachment"
        return f"file {placed.url} ({att}) from {placed.source}"
    parts = [target.kind, target.path]
    if target.file:
        parts.append("@/" + target.file + (f"#{target.fragment}" if target.fragment else ""))
    if target.why:
        parts.append(f"({target.why})")
    return " ".join(p for p in parts if p)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_links(case):
    description, flags, urls, expected = split_case(case)
    s = site(flags)
    got = "".join(f"{url}\n  → {describe(s, url)}\n" for url in urls)
    if os.environ.get("WP2ZOLA_UPDATE_GOLDEN"):
        head = description + (f"\n# flags: {' '.join(flags)}" if flags else "")
        case.write_text(f"{head}\n<<<\n" + "\n".join(urls) + f"\n>>>\n{got}")
        expected = got
    assert got == expected


def _attachment(id: int, url: str, file: str) -> str:
    from .conftest import wxr_item

    extra = (
        f"<wp:postmeta><wp:meta_key>_wp_attached_file</wp:meta_key><wp:meta_value>{file}</wp:meta_value></wp:postmeta>"
    )
    item = wxr_item(id, f"a{id}", f"a{id}", type="attachment", status="inherit", content="", extra=extra)
    return item.replace("</wp:post_type>", f"</wp:post_type><wp:attachment_url>{url}</wp:attachment_url>", 1)


def test_multisite_uploads_and_network_files(write_export):
    """A sub-site of a network keeps its uploads in uploads/sites/N/; old networks served them from
    /files/ (blogs.dir on disk). Each URL form finds the attachment, and the file keeps the path it had."""
    export = write_export(
        _attachment(31, "https://example.com/wp-content/uploads/sites/3/2019/05/x.jpg", "2019/05/x.jpg"),
        _attachment(32, "https://example.com/jan/files/2010/05/y.png", "2010/05/y.png"),
    )
    s = index_site([export], Mappings.load(), MediaOptions(download=False), lambda n: None)

    def local(url: str) -> tuple[int | None, str]:
        target = s.resolver.resolve(url)
        assert target is not None and target.upload is not None, url
        upload = target.upload
        return (upload.attachment.id if upload.attachment else None), s.layout.place(upload).url

    assert local("https://example.com/wp-content/uploads/sites/3/2019/05/x-300x200.jpg") == (
        31,
        "/wp-content/uploads/sites/3/2019/05/x-300x200.jpg",
    )
    assert local("https://example.com/wp-content/blogs.dir/3/files/2019/05/x.jpg") == (
        31,
        "/wp-content/uploads/sites/3/2019/05/x.jpg",
    )
    assert local("http://www.example.com/jan/files/2010/05/y.png") == (32, "/jan/files/2010/05/y.png")
    assert local("/jan/files/2010/05/y-150x150.png") == (32, "/jan/files/2010/05/y-150x150.png")
