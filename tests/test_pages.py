"""A page's URLs rewritten: golden cases (tests/cases/pages/*.txt) on the site of tests/cases/links/site.xml.

A case file is: a description, optional `# flags:` (--originals, --bundles, --fetch-external, --allow-host=HOST) and
`# item: ID` (the item the content is written in; default 10, a post with attachments), `<<<`, the
stored content, `>>>`, the Markdown we write, then the files the page makes the site fetch and the
warnings. To accept deliberate changes: WP2ZOLA_UPDATE_GOLDEN=1 pytest tests/test_pages.py
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import pytest

from migrate.mappings import Mappings
from migrate.media.options import MediaOptions
from migrate.pipeline import Site, index_site
from migrate.site.content import item_body
from migrate.wordpress.render import Renderer
from migrate.wxr.model import Item
from migrate.wxr.reader import read_export

from .test_links import SITE

CASES = sorted((Path(__file__).parent / "cases" / "pages").glob("*.txt"))


@functools.cache
def site(flags: tuple[str, ...]) -> tuple[Site, Renderer, dict[str, frozenset[str]]]:
    options = MediaOptions(
        download=False,
        originals="--originals" in flags,
        bundles="--bundles" in flags,
        fetch_external="--fetch-external" in flags,
        allow_hosts=tuple(f.split("=", 1)[1] for f in flags if f.startswith("--allow-host=")),
    )
    s = index_site([SITE], Mappings.load(), options, lambda notice: None)
    renderer = Renderer(s.ctx, Mappings.load())
    anchors = {}
    for record in read_export(SITE, lambda n: None):  # the anchors of every page, as the pipeline knows them
        if isinstance(record, Item) and record.source in s.placements:
            anchors[s.placements[record.source].file] = item_body(record, renderer).anchors
    return s, renderer, anchors


def split_case(path: Path) -> tuple[str, tuple[str, ...], int, str, str]:
    head, _, rest = path.read_text().partition("\n<<<\n")
    content, _, expected = rest.partition("\n>>>\n")
    flags: tuple[str, ...] = ()
    item, lines = 10, []
    for line in head.split("\n"):
        if line.startswith("# flags:"):
            flags = tuple(line.removeprefix("# flags:").split())
        elif line.startswith("# item:"):
            item = int(line.removeprefix("# item:"))
        else:
            lines.append(line)
    return "\n".join(lines), flags, item, content, expected


def render(flags: tuple[str, ...], item_id: int, content: str) -> str:
    s, renderer, anchors = site(flags)
    item = dataclasses.replace(s.ctx.by_id[item_id], content=content)
    body = item_body(item, renderer, lambda root, it: s.rewriter(root, it, anchors.get))
    out = [body.markdown]
    files = body.links.used_in(body.markdown)
    if files:
        out.append("--- files the site fetches for it\n" + "".join(f"{p.file} ← {p.source}\n" for p in files))
    if body.links.external:
        out.append("--- images left on other sites\n" + "".join(f"{u}\n" for u in body.links.external))
    if body.links.notices:
        out.append("--- warnings\n" + "".join(f"{n}\n" for n in body.links.notices))
    return "\n".join(out)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_golden_pages(case):
    description, flags, item, content, expected = split_case(case)
    got = render(flags, item, content)
    if os.environ.get("WP2ZOLA_UPDATE_GOLDEN"):
        head = (
            description
            + (f"\n# flags: {' '.join(flags)}" if flags else "")
            + (f"\n# item: {item}" if item != 10 else "")
        )
        case.write_text(f"{head}\n<<<\n{content}\n>>>\n{got}")
        expected = got
    assert got == expected
    assert render(flags, item, content) == got  # stable
