"""Taxonomies: which Zola taxonomy and term each WordPress term becomes, and the URLs Zola gives them.

Zola merges terms whose slugs agree (zola.md §4: `C++`, `C#` and `C` are one term `c`), names a
merged term after the first seen, and gives a term with an empty slug the taxonomy's own URL.
"""

from __future__ import annotations

from migrate.mappings import Mappings
from migrate.wxr.index import SiteContext
from migrate.wxr.model import Item, ItemTerm
from migrate.zola.slugs import zola_slug
from migrate.zola.text import title_text


def item_terms(item: Item, ctx: SiteContext, mappings: Mappings) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """The item's terms by Zola taxonomy, one per Zola slug; and the (taxonomy, name) pairs dropped
    because Zola would give them an empty URL (their page would replace the taxonomy's list)."""
    names: list[tuple[str, str]] = [(mappings.taxonomy(t.taxonomy), t.name or _term_name(t, ctx)) for t in item.terms]
    if item.creator:
        names.append((mappings.taxonomy("author"), ctx.author_name(item.creator)))
    out: dict[str, list[str]] = {}
    dropped: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for taxonomy, name in names:
        name = title_text(name)
        if not taxonomy or not name:
            continue
        slug = zola_slug(name)
        if not slug:
            dropped.append((taxonomy, name))
        elif (taxonomy, slug) not in seen:
            seen.add((taxonomy, slug))
            out.setdefault(taxonomy, []).append(name)
    return out, dropped


def _term_name(term: ItemTerm, ctx: SiteContext) -> str:
    known = ctx.terms.get((term.taxonomy, term.slug))
    return known.name if known else term.slug


def taxonomy_urls(ctx: SiteContext, items: list[Item], mappings: Mappings) -> dict[str, str]:
    """The URL paths Zola will give taxonomy pages (they silently win over a page at the same path)."""
    urls: dict[str, str] = {}
    for item in items:
        for taxonomy, names in item_terms(item, ctx, mappings)[0].items():
            urls.setdefault(f"/{taxonomy}/", f"the {taxonomy} list")
            for name in names:
                urls.setdefault(f"/{taxonomy}/{zola_slug(name)}/", f"the {taxonomy} page of {name!r}")
    return urls


WP_ARCHIVE_BASE = {"category": "category", "post_tag": "tag", "author": "author"}  # others: the taxonomy's name


def term_paths(ctx: SiteContext, items: list[Item], mappings: Mappings) -> dict[tuple[str, str], str]:
    """(WordPress taxonomy, WordPress slug) → the URL path of the Zola term page it became, for every
    term of the given (published) items; authors are keyed ("author", login)."""
    paths: dict[tuple[str, str], str] = {}
    for item in items:
        for term in item.terms:
            taxonomy = mappings.taxonomy(term.taxonomy)
            slug = zola_slug(title_text(term.name or _term_name(term, ctx)))
            if taxonomy and slug and term.slug:
                paths.setdefault((term.taxonomy, term.slug), f"/{taxonomy}/{slug}/")
        taxonomy = mappings.taxonomy("author")
        slug = zola_slug(title_text(ctx.author_name(item.creator))) if item.creator else ""
        if taxonomy and slug:
            paths.setdefault(("author", item.creator), f"/{taxonomy}/{slug}/")
    return paths


def wp_archive_path(ctx: SiteContext, taxonomy: str, slug: str, home: str) -> str:
    """The URL path WordPress gave a term's archive: `/category/parent/child/`, `/tag/x/`, `/author/login/`
    (an author's nicename is not exported; WordPress makes it from the login)."""
    base = WP_ARCHIVE_BASE.get(taxonomy, taxonomy)
    chain = [slug if taxonomy != "author" else zola_slug(slug) or slug]
    seen = {slug}
    parent = ctx.terms[(taxonomy, slug)].parent if (taxonomy, slug) in ctx.terms else ""
    while taxonomy == "category" and parent and parent not in seen and (taxonomy, parent) in ctx.terms:
        chain.insert(0, parent)
        seen.add(parent)
        parent = ctx.terms[(taxonomy, parent)].parent
    return f"{home}{base}/" + "/".join(chain) + "/"
