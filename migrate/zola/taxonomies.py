"""Taxonomies: which Zola taxonomy and term each WordPress term becomes, and the URLs Zola gives them.

Zola merges terms whose slugs agree (zola.md §4: `C++`, `C#` and `C` are one term `c`), names a
merged term after the first seen, and gives a term with an empty slug the taxonomy's own URL.
It slugifies taxonomy names the same way (verified with 0.17.2 and 0.22.0: `galaxy_shape` is served
at /galaxy-shape/, `Genre` and `genre` share /genre/ and one list page overwrites the other, `!!!`
writes its list over the home page), so each taxonomy is written under its slug: names that slug
alike become one taxonomy, whatever the order they are read in.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from migrate.mappings import Mappings
from migrate.wxr.index import SiteContext
from migrate.wxr.model import Item, ItemTerm
from migrate.zola.existing import renders, taxonomy_root
from migrate.zola.portable import is_windows_device
from migrate.zola.slugs import zola_slug
from migrate.zola.text import title_text


def zola_taxonomy(wp_taxonomy: str, mappings: Mappings) -> str:
    """The Zola taxonomy (its name, as Zola's URL of it) for a WordPress one; "" for none."""
    return _taxonomy_slug(mappings.taxonomy(wp_taxonomy))


# A site has few taxonomies and term names, each seen on many items (and each item's terms are
# read twice, for the taxonomy pages and for its front matter): their slugs are computed once.
@functools.lru_cache(maxsize=256)
def _taxonomy_slug(name: str) -> str:
    slug = zola_slug(name)
    return slug + "-terms" if is_windows_device(slug) else slug  # /con/ cannot be a folder on Windows


_term_title = functools.lru_cache(maxsize=1 << 14)(title_text)


@functools.lru_cache(maxsize=1 << 14)
def zola_term(name: str, taxonomy: str) -> tuple[str, str]:
    """(name to write, slug Zola gives it) of a term; a slug Windows reserves (`con`, `aux`) gets the
    taxonomy's name after it, as Zola would slugify `aux (tag)`."""
    slug = zola_slug(name)
    if is_windows_device(slug):
        return f"{name} ({taxonomy})", zola_slug(f"{name} ({taxonomy})")
    return name, slug


def item_terms(item: Item, ctx: SiteContext, mappings: Mappings) -> tuple[dict[str, list[str]], list[str]]:
    """The item's terms by Zola taxonomy, one per Zola slug; and what was dropped, said for a notice
    (what Zola would give an empty URL: its page would replace the taxonomy's list or the home page)."""
    names = [(t.taxonomy, t.name or _term_name(t, ctx)) for t in item.terms]
    if item.creator:
        names.append(("author", ctx.author_name(item.creator)))
    out: dict[str, list[str]] = {}
    dropped: list[str] = []
    seen: set[tuple[str, str]] = set()
    for wp_taxonomy, raw in names:
        zola_name, name = mappings.taxonomy(wp_taxonomy), _term_title(raw)
        if not name or not zola_name:
            continue
        taxonomy = _taxonomy_slug(zola_name)
        if not taxonomy:
            dropped.append(f"term {name!r} of taxonomy {zola_name!r} dropped")
            continue
        name, slug = zola_term(name, taxonomy)
        if not slug:
            dropped.append(f"{taxonomy} term {name!r} dropped")
        elif (taxonomy, slug) not in seen:
            seen.add((taxonomy, slug))
            out.setdefault(taxonomy, []).append(name)
    return out, dropped


_name_slug = functools.lru_cache(maxsize=1 << 14)(zola_slug)


def _term_name(term: ItemTerm, ctx: SiteContext) -> str:
    known = ctx.terms.get((term.taxonomy, term.slug))
    return known.name if known else term.slug


def taxonomy_urls(ctx: SiteContext, items: Iterable[Item], mappings: Mappings) -> dict[str, str]:
    """The URL paths Zola will give taxonomy pages (they silently win over a page at the same path)."""
    urls: dict[str, str] = {}
    root = taxonomy_root(mappings)
    for item in items:
        for taxonomy, names in item_terms(item, ctx, mappings)[0].items():
            if not renders(mappings, taxonomy):
                continue  # an existing site's theme that has no pages for it: no URL of its own
            urls.setdefault(f"{root}{taxonomy}/", f"the {taxonomy} list")
            for name in names:
                urls.setdefault(f"{root}{taxonomy}/{_name_slug(name)}/", f"the {taxonomy} page of {name!r}")
    return urls


WP_ARCHIVE_BASE = {"category": "category", "post_tag": "tag", "author": "author"}  # others: the taxonomy's name


def term_paths(
    ctx: SiteContext, items: Iterable[Item], mappings: Mappings, home: str = "/"
) -> dict[tuple[str, str], str]:
    """(WordPress taxonomy, WordPress slug) → the URL path of the Zola term page it became, for every
    term of the given (published) items; authors are keyed ("author", login). A term of a taxonomy
    that gets no pages (an existing site's theme has no templates for it) goes to the home page,
    as a date archive does."""
    paths: dict[tuple[str, str], str] = {}
    root = taxonomy_root(mappings)
    for item in items:
        for term in item.terms:
            taxonomy = zola_taxonomy(term.taxonomy, mappings)
            slug = zola_term(_term_title(term.name or _term_name(term, ctx)), taxonomy)[1]
            if taxonomy and slug and term.slug:
                path = f"{root}{taxonomy}/{slug}/" if renders(mappings, taxonomy) else home
                paths.setdefault((term.taxonomy, term.slug), path)
        taxonomy = zola_taxonomy("author", mappings)
        slug = zola_term(_term_title(ctx.author_name(item.creator)), taxonomy)[1] if item.creator else ""
        if taxonomy and slug:
            paths.setdefault(
                ("author", item.creator), f"{root}{taxonomy}/{slug}/" if renders(mappings, taxonomy) else home
            )
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
