"""Every export in ../shared/corpus/wxr migrates without an exception, accounts for every item, and builds.

The item count is checked against an independent count of `<item>` elements (CDATA sections and
comments removed, then a regex), not against the reader's own idea of an item. With `--no-download`,
no page or front matter may still point at the old site for an upload or for a migrated page — judged
from the export's own data (item links, ids, attachment URLs) and the pages as pulldown-cmark renders
them, not by our resolver — and every local file a page references is planned and listed as missing.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, unquote, urlsplit

import lxml.html
import pyromark
import pytest

from migrate.media.options import MediaOptions

from .conftest import CACHE, corpus_files, migrate

FILES = corpus_files()
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/corpus/wxr is not here")
OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_HEADING_ATTRIBUTES
)
COUNTS = CACHE / "corpus-media.jsonl"  # per-export counts, for the closing notes of a run


def independent_item_count(data: bytes) -> int:
    data = re.sub(rb"<!\[CDATA\[.*?\]\]>", b"", data, flags=re.S)
    data = re.sub(rb"<!--.*?-->", b"", data, flags=re.S)
    return len(re.findall(rb"<item[\s>/]", data))


def well_formed(data: bytes) -> bool:
    try:
        ET.fromstring(data)
        return True
    except ET.ParseError:
        return False


def _key(url: str) -> str:
    """A URL as one site would have served it: host without www., decoded path with a slash at the end."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path).rstrip("/") + "/"
    return f"{(parts.hostname or '').removeprefix('www.')}{path}"


class OldSite:
    """What the export says the old site's URLs were, read with plain regexes over the raw file."""

    def __init__(self, data: str):
        self.hosts: set[str] = set()
        for tag in ("link", "wp:base_site_url", "wp:base_blog_url", "guid", "wp:attachment_url"):
            for m in re.finditer(rf"<{tag}[^>]*>(?:<!\[CDATA\[)?\s*(https?://[^<\]\s]+)", data):
                host = (urlsplit(m.group(1)).hostname or "").removeprefix("www.")
                if host and host not in ("wordpress.com", "wordpress.org"):
                    self.hosts.add(host)
        self.pages: set[str] = set()
        self.ids: set[str] = set()
        for item in re.findall(r"<item[\s>].*?</item>", data, re.S):
            kind = re.search(r"<wp:post_type>(?:<!\[CDATA\[)?(\w+)", item)
            status = re.search(r"<wp:status>(?:<!\[CDATA\[)?(\w+)", item)
            if not kind or kind.group(1) not in ("post", "page") or not status or status.group(1) != "publish":
                continue
            link = re.search(r"<link>\s*(https?://[^<\s]+)", item)
            if link and "?" not in link.group(1):
                self.pages.add(_key(link.group(1)))
            post_id = re.search(r"<wp:post_id>(\d+)", item)
            if post_id:
                self.ids.add(post_id.group(1))
        self.uploads = {_key(m) for m in re.findall(r"<wp:attachment_url>(?:<!\[CDATA\[)?\s*([^<\]\s]+)", data)}

    def old_reference(self, url: str) -> str:
        """Why a URL in the new site still points at the old one ("" when it does not)."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https", ""):  # "ttps://…" typed by an author links nowhere, then as now
            return ""
        host = (parts.hostname or "").removeprefix("www.")
        if host.startswith(("i0.wp.com", "i1.wp.com", "i2.wp.com", "i3.wp.com")):
            inner = parts.path.lstrip("/").split("/", 1)[0].removeprefix("www.")
            return "an upload through Jetpack's CDN" if inner in self.hosts else ""
        if host not in self.hosts:
            return ""
        if "/wp-content/uploads/" in parts.path or host.endswith(".files.wordpress.com") or _key(url) in self.uploads:
            return "an upload"
        if _key(url) in self.pages:
            return "a migrated page"
        query = parse_qs(parts.query)
        if any(v in self.ids for k in ("p", "page_id") for v in query.get(k, [])):
            return "a migrated page (?p=)"
        return ""


def urls_of(markdown: str) -> list[str]:
    """Every URL a page shows, as pulldown-cmark (Zola's engine) renders its Markdown."""
    html = pyromark.html(markdown, options=OPTIONS)
    if not html.strip():
        return []
    out = []
    for el in lxml.html.fragment_fromstring(html, create_parent="div").iter():
        if not isinstance(el.tag, str):
            continue
        for name in ("href", "src", "poster", "data"):
            if el.get(name):
                out.append(el.get(name))
        for name in ("srcset",):
            out += [c.split()[0] for c in (el.get(name) or "").split(",") if c.split()]
        out += re.findall(r"""url\(\s*['"]?([^'")]+)""", el.get("style") or "")
    return out


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.mark.parametrize("export", FILES, ids=[f.stem for f in FILES])
def test_corpus_export_migrates_and_builds(export, tmp_path, zolas):
    data = export.read_bytes()
    site = tmp_path / "site"
    result = migrate([export], site, media=MediaOptions(download=False))
    plan, changes = result.plan, result.changes
    counts = plan.counts()

    assert counts["read"] == independent_item_count(data)
    assert counts["written"] + counts["draft"] + counts["skipped"] == counts["read"]
    assert all(o.reason for o in plan.outcomes if o.outcome == "skipped")
    assert all(o.file for o in plan.outcomes if o.outcome != "skipped")
    if not well_formed(data):
        assert plan.notices, "a malformed export must produce warnings"
        assert all(n.source is None or n.source.file == str(export) for n in plan.notices)

    old = OldSite(data.decode("utf-8", "replace"))
    planned_media = {"/" + p.removeprefix("static/") for p in (f.path for f in plan.media()) if p.startswith("static/")}
    references = 0
    still_old: list[str] = []
    not_planned: list[str] = []
    for path, planned in plan.files.items():
        if not path.startswith("content/") or planned.data is None:
            continue
        text = planned.data.decode()
        assert "{{" not in text and "{%" not in text, path
        front, _, body = text.removeprefix("+++\n").partition("\n+++\n")
        for url in urls_of(body) + strings(tomllib.loads(front)):
            why = old.old_reference(url)
            if why:
                still_old.append(f"{path}: {url} ({why})")
            local = unquote(urlsplit(url).path)
            if url.startswith("/") and ("/wp-content/" in local or local in planned_media):
                references += 1
                if local not in planned_media:
                    not_planned.append(f"{path}: {url}")
    assert not still_old, "\n".join(still_old[:20])
    assert not not_planned, "\n".join(not_planned[:20])
    # --no-download: every planned file is on the missing list, with the pages that use it
    assert len(changes.missing) == len(list(plan.media()))
    assert all(m.used_by for m in changes.missing)

    CACHE.mkdir(exist_ok=True)
    with open(COUNTS, "a") as fh:
        fh.write(
            json.dumps(
                {
                    "export": export.name,
                    "media_files": len(list(plan.media())),
                    "page_references": references,
                    "missing": len(changes.missing),
                    "external_images": len(plan.external_media),
                    "links": dict(plan.links),
                    "redirects": len(plan.redirects),
                }
            )
            + "\n"
        )

    for zola in zolas:
        copy = tmp_path / zola.name.replace(" ", "-")
        shutil.copytree(site, copy)
        built = zola.build(copy)
        assert built.returncode == 0, f"{zola.name}: {built.stderr[-2000:]}"
