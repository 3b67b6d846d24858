"""One item's body: rendered as WordPress showed it, its URLs rewritten, then written as Markdown.

A pure function of the item and read-only site knowledge (the renderer's site index, the URL
rewriter's resolver): the same item always gives the same body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from migrate.links.rewrite import PageLinks
from migrate.markdown.document import markdown_document, raw_body
from migrate.markdown.html2md import parse_html
from migrate.wordpress.render import Renderer, RenderNotes
from migrate.wxr.model import Item

Rewrite = Callable[[object, Item], PageLinks]


@dataclass
class Body:
    markdown: str
    notes: RenderNotes
    anchors: frozenset[str] = frozenset()  # heading ids Zola gives the page
    links: PageLinks = field(default_factory=PageLinks)  # what its URLs became
    failed: str = ""  # why it could not be converted (then `markdown` is its stored HTML)
    flattened: int = 0  # elements nested too deep, kept as their text


def item_body(item: Item, renderer: Renderer, rewrite: Rewrite | None = None) -> Body:
    try:
        shown, notes = renderer.render(item)
        root = parse_html(shown)
        links = rewrite(root, item) if rewrite is not None and root is not None else PageLinks()
        document = markdown_document(root)
    except Exception as err:  # pathological HTML, or a bug of ours: keep the item's HTML, never stop the run
        return Body(raw_body(item.content), RenderNotes(), failed=f"{type(err).__name__}: {err}"[:200])
    return Body(document.markdown, notes, document.anchors, links, flattened=document.flattened)
