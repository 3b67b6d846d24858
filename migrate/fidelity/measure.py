"""The fidelity harness over exports: each content item rendered as WordPress showed it, converted,
and compared with what Zola will show (the I/O side of `compare.py`); its stored content is read
independently too (`stored.py`), so that a loss of the render cannot hide behind agreement."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from migrate.fidelity.compare import ItemFidelity, compare
from migrate.fidelity.stored import ShortcodeRules, stored_content
from migrate.mappings import Mappings
from migrate.site.content import item_body
from migrate.site.outcomes import SKIP, classify
from migrate.wordpress.render import Renderer
from migrate.wxr.index import SiteContext, build_context
from migrate.wxr.markup import AUTO, stored_html
from migrate.wxr.model import Item, Notice
from migrate.wxr.reader import read_export


@dataclass
class Measured:
    name: str  # "id 12 /2021/03/slug/" — what the worst-items list shows
    item: Item
    wordpress_html: str
    markdown: str
    result: ItemFidelity


def site_hosts(ctx: SiteContext) -> set[str]:
    """The hosts of the site's own URLs: links to them are the converter's to rewrite."""
    channel = ctx.channel
    urls = [ctx.home_url, channel.link, channel.base_blog_url, *(i.link for i in ctx.items)]
    hosts = set()
    for url in urls:
        try:
            host = urlsplit(url or "").hostname
        except ValueError:
            continue
        if host and host.removeprefix("www.") != "wordpress.com":
            hosts.add(host)
    return hosts


def measure_export(path: str | Path, mappings: Mappings) -> Iterator[Measured]:
    """Every post, page and custom item that the migration writes, measured."""
    quiet: list[Notice] = []
    ctx = build_context([path], quiet.append)
    renderer = Renderer(ctx, mappings)
    names = renderer.registered  # code shortcodes that WordPress ran are gone already; others stayed text
    rules = ShortcodeRules.from_tables(mappings.tables)
    hosts = site_hosts(ctx)
    decisions = {i.source: classify(i, mappings, quiet.append)[0] for i in ctx.items}
    markup = mappings.markup()
    markup = ctx.markup if markup == AUTO else markup
    for item in read_export(path, quiet.append, str(path)):
        if not isinstance(item, Item) or decisions.get(item.source, SKIP) == SKIP:
            continue
        # a Textile or Markdown site: its HTML as its plugin made it (python-textile or pulldown-cmark, not
        # our code), as the migration converts it
        content = stored_html(item, markup)
        if content is not item.content:
            item = replace(item, content=content)
        body = item_body(item, renderer)  # the Markdown the migration writes, its fallback included
        try:
            shown, _ = renderer.render(item)
        except Exception:  # item_body kept the item's HTML; the old comparison has nothing to compare
            shown = ""
        stored = stored_content(item.content, rules, ctx.reusable_blocks)
        result = compare(shown, body.markdown, names, stored, hosts)
        if body.failed:
            result.errors.append(f"conversion failed, its HTML kept: {body.failed}")
        yield Measured(f"id {item.id} {item.link}", item, shown, body.markdown, result)
