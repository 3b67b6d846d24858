"""The fidelity harness over exports: each content item rendered as WordPress showed it, converted,
and compared with what Zola will show (the I/O side of `fidelity.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from migrate.fidelity.compare import ItemFidelity, compare
from migrate.mappings import Mappings
from migrate.markdown.document import html_markdown
from migrate.site.outcomes import SKIP, classify
from migrate.wordpress.render import Renderer
from migrate.wxr.index import build_context
from migrate.wxr.model import Item, Notice
from migrate.wxr.reader import read_export


@dataclass
class Measured:
    name: str  # "id 12 /2021/03/slug/" — what the worst-items list shows
    item: Item
    wordpress_html: str
    markdown: str
    result: ItemFidelity


def measure_export(path: str | Path, mappings: Mappings) -> Iterator[Measured]:
    """Every post, page and custom item that the migration writes, measured."""
    quiet: list[Notice] = []
    ctx = build_context([path], quiet.append)
    renderer = Renderer(ctx, mappings)
    names = renderer.registered  # code shortcodes that WordPress ran are gone already; others stayed text
    decisions = {i.source: classify(i, mappings, quiet.append)[0] for i in ctx.items}
    for item in read_export(path, quiet.append, str(path)):
        if not isinstance(item, Item) or decisions.get(item.source, SKIP) == SKIP:
            continue
        shown, _ = renderer.render(item)
        markdown = html_markdown(shown)
        yield Measured(f"id {item.id} {item.link}", item, shown, markdown, compare(shown, markdown, names))
