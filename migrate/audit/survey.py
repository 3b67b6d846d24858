"""One streaming read of a site's exports, and what it tells about the migration to come.

The exports are read once, by the index pass the migration itself makes (`build_context`); its
`on_item` hook hands over each item with its body, and only counts are kept of the body (shortcodes,
blocks, hosts of its URLs), so memory stays that of the index. Then every item's fate is decided and
every page placed by the very functions the migration uses (`classify`, `place_items`): what this
says will be published, kept as a draft or skipped, and at which URL, is what `migrate` will do.
Bodies are never converted: that is what makes this faster than a dry run.

Counts of what bodies hold are over the items that will be migrated (published or drafts): what
the user is about to move. Items, types, authors' and terms' counts are over every item read.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from migrate.mappings import Mappings
from migrate.site.outcomes import DRAFT, PUBLISH, SKIP, classify
from migrate.wordpress import blocks as wpblocks
from migrate.wordpress.render import Renderer
from migrate.wordpress.shortcodes import find_shortcodes
from migrate.wxr.hosts import SiteHosts, split
from migrate.wxr.index import SiteContext, build_context
from migrate.wxr.markup import AUTO
from migrate.wxr.model import Item, Notice, Source
from migrate.zola.taxonomies import taxonomy_urls, zola_taxonomy
from migrate.zola.urls import decode_path, home_path, link_path, place_items

SCHEMA_VERSION = 1

# what the renderer makes of a shortcode or block
CONVERTED, CODE, TEMPLATE, UNWRAPPED, DROPPED, TEXT, INNER = (
    "converted",
    "code",
    "template",
    "unwrapped",
    "dropped",
    "text",
    "inner_html",
)
_KEPT = {CONVERTED, CODE, TEMPLATE, UNWRAPPED, INNER}

# Shortcode-looking text the renderer does not know: the same test as its count of unknown ones
# (`[name` counts when the text also has `[/name]` or `[name key=`), not brackets in prose.
_SHORTCODE_LIKE = re.compile(r"\[([A-Za-z][\w-]*)(?=[\s\]/=])")
_CLOSER_LIKE = re.compile(r"\[/([A-Za-z][\w-]*)\]")
_WITH_ATTRIBUTE = re.compile(r"\[([A-Za-z][\w-]*)\s+\w+=")
# code samples and comments show brackets that are no shortcodes
_NOT_TEXT = re.compile(r"<(pre|code)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_CODECOLORER = re.compile(r"cc\w*", re.I)
# URLs in a body: absolute ones anywhere, protocol-relative ones as an attribute's value
_URL = re.compile(r"""(?:https?:|(?<=["'=]))//[^\s"'<>\[\]{}\\^`|]+""", re.I)
# what the block renderer handles by name, whatever their stored HTML
_BLOCK_KINDS = {"html", "shortcode", "more", "nextpage", "spacer", "embed", "block", "footnotes", "code", "paragraph"}
_MEDIA_KINDS = {
    "image": re.compile(r"\.(jpe?g|png|gif|webp|avif|bmp|svg|tiff?|heic|ico)$", re.I),
    "video": re.compile(r"\.(mp4|m4v|mov|webm|ogv|avi|wmv|flv|mkv|3gp)$", re.I),
    "audio": re.compile(r"\.(mp3|m4a|ogg|oga|wav|flac|aac|wma)$", re.I),
    "document": re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|txt|csv|epub|zip|gz|tar|rar|7z)$", re.I),
}


@dataclass
class _Body:
    """What one item's stored content holds, counted."""

    shortcodes: Counter[str] = field(default_factory=Counter)
    blocks: Counter[tuple[str, str]] = field(default_factory=Counter)  # (name, treatment)
    hosts: Counter[str] = field(default_factory=Counter)
    block_editor: bool = False
    refs: set[int] = field(default_factory=set)  # reusable blocks it shows


class _Scanner:
    """The `on_item` hook: counts what each body holds, keyed by the item's source."""

    def __init__(self, renderer: Renderer):
        self.code_names = renderer.code_names
        self.names = renderer.registered | renderer.code_names
        self.bodies: dict[Source, _Body] = {}

    def __call__(self, item: Item) -> None:
        content = item.content
        if not content.strip() or item.type == "attachment":
            return
        body = _Body(block_editor=wpblocks.has_blocks(content))
        visible = self._shortcodes(content, body.shortcodes, 0)
        closed = set(_CLOSER_LIKE.findall(visible)) | set(_WITH_ATTRIBUTE.findall(visible))
        for name in _SHORTCODE_LIKE.findall(visible):
            if name in closed and name not in self.names:
                body.shortcodes[name] += 1
        if body.block_editor:
            for block in wpblocks.walk(wpblocks.parse_blocks(content)):
                _count_block(block, body)
        for m in _URL.finditer(content):
            url = m.group(0)
            parts = split("https:" + url if url.startswith("//") else url)
            host = (parts.hostname or "").lower() if parts is not None else ""
            if host:
                body.hosts[host] += 1
        if body.shortcodes or body.blocks or body.hosts or body.block_editor:
            self.bodies[item.source] = body

    def _shortcodes(self, text: str, found: Counter[str], depth: int) -> str:
        """Counts the registered shortcodes of `text` (and those in their content, which their handlers
        run again); returns the text that may still hold unknown ones: code shortcodes, code samples
        and comments cut out."""
        cut: list[str] = []
        last = 0
        for code in find_shortcodes(text, self.names):
            if code.escaped:  # [[gallery]] is shown as text, never run
                continue
            found[code.name] += 1
            cut.append(text[last : code.start])
            last = code.end
            if code.name in self.code_names:
                continue  # its content is code: brackets in it are the sample's
            if code.content and depth < 8:
                cut.append(self._shortcodes(code.content, found, depth + 1))
        cut.append(text[last:])
        return _NOT_TEXT.sub(" ", "".join(cut))


def _count_block(block: wpblocks.Block, body: _Body) -> None:
    """One block, as the renderer treats it (`Renderer._block`)."""
    if not block.name:
        return
    name, attrs = wpblocks.normalize_name(block.name, block.attrs)
    if name is None:
        return
    if not name.startswith("core/"):
        treatment = CONVERTED if name == "syntaxhighlighter/code" else INNER
    elif name[5:] in _BLOCK_KINDS:
        treatment = CONVERTED
        if name == "core/block":
            ref = attrs.get("ref")
            if isinstance(ref, int):
                body.refs.add(ref)
    elif not block.inner_html.strip() and not block.inner_blocks:
        treatment = DROPPED  # a dynamic block: the server made its HTML, the export has none
    else:
        treatment = CONVERTED
    body.blocks[(name, treatment)] += 1


def _shortcode_treatment(name: str, renderer: Renderer) -> tuple[str, str]:
    """(treatment, how) of a shortcode name, as `Renderer._shortcodes` would handle it."""
    if name in renderer.code_names:
        return CODE, "code block"
    spec = renderer.table.get(name)
    if spec is None:
        if renderer.codecolorer and _CODECOLORER.fullmatch(name):
            return CODE, "code block (CodeColorer)"
        return TEXT, "left as text (map it in --config)"
    if spec.get("drop"):
        return DROPPED, "removed (no static equivalent)"
    if spec.get("unwrap"):
        return UNWRAPPED, "content kept, tags removed"
    if "html" in spec:
        return TEMPLATE, "HTML template"
    handler = str(spec.get("handler", ""))
    if getattr(renderer, f"sc_{handler}", None) is None:
        return TEXT, f"left as text (no handler {handler!r})"
    return CONVERTED, f"converted ({handler})"


def _notice(n: Notice) -> dict[str, Any]:
    return {
        "file": n.source.file if n.source else None,
        "line": n.source.line if n.source else None,
        "item": n.item_id,
        "message": n.message,
    }


def _ref(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": item.type,
        "status": item.status,
        "title": item.title,
        "file": item.source.file,
        "line": item.source.line,
    }


def _media_kind(url: str) -> str:
    path = url.split("?", 1)[0].split("#", 1)[0]
    return next((kind for kind, rx in _MEDIA_KINDS.items() if rx.search(path)), "other")


def inspect_exports(exports: Sequence[str | Path], mappings: Mappings, markup: str | None = None) -> dict[str, Any]:
    """The audit of one site's exports, as plain data (what `--json` prints). Raises ExportError for an
    export that cannot be read at all, as `migrate` does."""
    renderer = Renderer(SiteContext(), mappings)  # its registry of shortcodes depends on the mappings only
    scanner = _Scanner(renderer)
    read: list[Notice] = []
    ctx = build_context(exports, read.append, scanner)
    planning: list[Notice] = []
    original = {i.source: i.type for i in ctx.items}  # classify reads an item of no type as a post
    types: Counter[tuple[str, str]] = Counter((i.type, i.status) for i in ctx.items)
    decisions = {item.source: classify(item, mappings, planning.append) for item in ctx.items}
    content = [i for i in ctx.items if decisions[i.source][0] != SKIP]
    drafts = {i.id for i in content if decisions[i.source][0] == DRAFT and i.id is not None}
    placements = place_items(ctx, content, drafts, planning.append, taxonomy_urls(ctx, content, mappings))
    channel = ctx.channel
    hosts = SiteHosts.of(  # as the migration names the site's hosts (`index_site`)
        ctx.home_url,
        [channel.base_site_url, channel.base_blog_url, *(i.link for i in ctx.items)],
        [u for i in ctx.items for u in (i.guid, i.attachment_url)],
    )
    migrated = [scanner.bodies[i.source] for i in content if i.source in scanner.bodies]
    markup = markup or mappings.markup()
    return {
        "schema_version": SCHEMA_VERSION,
        "exports": [str(e) for e in exports],
        "site": {
            "title": channel.title,
            "url": ctx.home_url,
            "home_path": home_path(ctx),
            "language": channel.language,
            "wxr_version": channel.wxr_version,
        },
        "items": _items(ctx, types, original, decisions),
        "authors": _authors(ctx, content),
        "taxonomies": _taxonomies(ctx, mappings),
        "content": {
            "markup": ctx.markup if markup == AUTO else markup,
            "detected": ctx.markup,
            "posts_with_content": ctx.posts_with_content,
            "textile_posts": ctx.signatures["textile"],
            "markdown_posts": ctx.signatures["markdown"],
            "block_editor_items": sum(1 for b in migrated if b.block_editor),
        },
        "shortcodes": _shortcodes(migrated, renderer),
        "blocks": _blocks(migrated),
        "hosts": _hosts(hosts, migrated),
        "media": _media(ctx),
        "problems": {
            "read": [_notice(n) for n in read],
            "planning": [_notice(n) for n in planning],
            "duplicate_slugs": _duplicate_slugs(content),
            "duplicate_urls": _duplicate_urls(content),
            "missing_parents": [
                {**_ref(i), "parent": i.parent} for i in ctx.items if i.parent and i.parent not in ctx.by_id
            ],
            "unknown_post_types": _unknown_types(ctx, mappings),
            "missing_reusable_blocks": sorted({r for b in migrated for r in b.refs} - set(ctx.reusable_blocks)),
            "not_published": _not_published(ctx, decisions),
            "url_changes": _url_changes(ctx, decisions, placements),
        },
    }


def _items(
    ctx: SiteContext, types: Counter[tuple[str, str]], original: dict[Source, str], decisions: dict
) -> dict[str, Any]:
    by_type: dict[str, dict[str, int]] = defaultdict(dict)
    for (kind, status), n in sorted(types.items()):
        by_type[kind][status] = n
    outcomes = Counter(outcome for outcome, _ in decisions.values())
    outcomes[SKIP] += len(ctx.duplicates)  # a later copy of an item is skipped, as the migration does
    per_type: dict[str, Counter[str]] = defaultdict(Counter)
    for item in ctx.items:  # by the type before classify: an item with none shows as ""
        per_type[original[item.source]][decisions[item.source][0]] += 1
    return {
        "read": len(ctx.items) + len(ctx.duplicates),
        "unique": len(ctx.items),
        "repeated": len(ctx.duplicates),  # copies of an item another export (or the same one) holds already
        "repeated_by_type": dict(sorted(Counter(original[f] for f in ctx.duplicates.values()).items())),
        "by_type": dict(by_type),
        "outcomes": {k: outcomes[k] for k in (PUBLISH, DRAFT, SKIP)},
        "outcomes_by_type": {t: {k: c[k] for k in (PUBLISH, DRAFT, SKIP)} for t, c in sorted(per_type.items())},
    }


def _authors(ctx: SiteContext, content: list[Item]) -> list[dict[str, Any]]:
    items = Counter(i.creator for i in content)
    out = [
        {"login": a.login, "display_name": a.display_name, "declared": True, "items": items.get(a.login, 0)}
        for a in ctx.authors.values()
    ]
    out += [  # creators the export names on items but not in its authors' list
        {"login": login, "display_name": "", "declared": False, "items": n}
        for login, n in sorted(items.items())
        if login and login not in ctx.authors
    ]
    return sorted(out, key=lambda a: (-a["items"], a["login"]))


def _taxonomies(ctx: SiteContext, mappings: Mappings) -> list[dict[str, Any]]:
    used: Counter[tuple[str, str]] = Counter()
    names: dict[tuple[str, str], str] = {key: term.name for key, term in ctx.terms.items()}
    for item in ctx.items:
        for key in {(t.taxonomy, t.slug) for t in item.terms}:  # a term written twice on an item is one
            used[key] += 1
        for t in item.terms:
            names.setdefault((t.taxonomy, t.slug), t.name)
    slugs: dict[str, set[str]] = defaultdict(set)
    for taxonomy, slug in names:
        slugs[taxonomy].add(slug)
    declared: Counter[str] = Counter(taxonomy for taxonomy, _ in ctx.terms)
    out = []
    for taxonomy in sorted(slugs):
        terms: list[dict[str, Any]] = [
            {"slug": slug, "name": names[(taxonomy, slug)], "items": used.get((taxonomy, slug), 0)}
            for slug in slugs[taxonomy]
        ]
        terms.sort(key=lambda t: (-t["items"], t["slug"]))
        out.append(
            {
                "taxonomy": taxonomy,
                "zola": zola_taxonomy(taxonomy, mappings) if mappings.taxonomy(taxonomy) else "",
                "declared": declared.get(taxonomy, 0),
                "used": sum(1 for t in terms if t["items"]),
                "assignments": sum(t["items"] for t in terms),
                "terms": terms,
            }
        )
    return out


def _shortcodes(bodies: list[_Body], renderer: Renderer) -> list[dict[str, Any]]:
    count: Counter[str] = Counter()
    items: Counter[str] = Counter()
    for body in bodies:
        count.update(body.shortcodes)
        items.update(set(body.shortcodes))
    out = []
    for name, n in count.items():
        treatment, how = _shortcode_treatment(name, renderer)
        out.append(
            {
                "name": name,
                "count": n,
                "items": items[name],
                "converted": treatment in _KEPT,
                "treatment": treatment,
                "how": how,
            }
        )
    return sorted(out, key=lambda s: (-s["count"], s["name"]))


def _blocks(bodies: list[_Body]) -> list[dict[str, Any]]:
    count: dict[str, Counter[str]] = defaultdict(Counter)
    items: Counter[str] = Counter()
    for body in bodies:
        for (name, treatment), n in body.blocks.items():
            count[name][treatment] += n
        items.update({name for name, _ in body.blocks})
    out = [
        {
            "name": name,
            "count": sum(by.values()),
            "items": items[name],
            "converted": not by[DROPPED],
            "treatment": dict(sorted(by.items())),
        }
        for name, by in count.items()
    ]
    return sorted(out, key=lambda b: (-b["count"], b["name"]))


def _hosts(hosts: SiteHosts, bodies: list[_Body]) -> dict[str, Any]:
    urls: Counter[str] = Counter()
    items: Counter[str] = Counter()
    for body in bodies:
        urls.update(body.hosts)
        items.update(set(body.hosts))
    referenced = [
        {"host": host, "urls": n, "items": items[host], "site": hosts.is_site(host)} for host, n in urls.items()
    ]
    return {
        "home": hosts.home,
        "site": sorted(hosts.names),
        "referenced": sorted(referenced, key=lambda h: (-h["urls"], h["host"])),
    }


def _media(ctx: SiteContext) -> dict[str, Any]:
    sizes = [a.filesize for a in ctx.attachments.values() if a.filesize is not None]
    kinds = Counter(_media_kind(a.url or a.file) for a in ctx.attachments.values())
    return {
        "attachments": len(ctx.attachments),
        "with_size": len(sizes),  # WordPress records `filesize` in the metadata since 6.0 only
        "total_bytes": sum(sizes),
        "by_kind": dict(sorted(kinds.items())),
    }


def _duplicate_slugs(content: list[Item]) -> list[dict[str, Any]]:
    """Items of one type (pages: under one parent) that share a slug: WordPress would have told them
    apart with a suffix; one of them gets another URL."""
    groups: dict[tuple[str, int, str], list[Item]] = defaultdict(list)
    for item in content:
        slug = decode_path(item.slug).strip("/").casefold() if item.slug else ""
        if slug:
            groups[(item.type, item.parent if item.type == "page" else 0, slug)].append(item)
    return [
        {"type": kind, "slug": slug, "items": [i.id for i in group]}
        for (kind, _, slug), group in sorted(groups.items())
        if len(group) > 1
    ]


def _duplicate_urls(content: list[Item]) -> list[dict[str, Any]]:
    """Items whose old permalinks one server would confuse (case and trailing slash aside)."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for item in content:
        path = link_path(item.link)
        if path is not None:
            groups[path.strip("/").casefold()].append(item)
    return [
        {"url": link_path(group[0].link), "items": [i.id for i in group]}
        for _, group in sorted(groups.items())
        if len(group) > 1
    ]


def _unknown_types(ctx: SiteContext, mappings: Mappings) -> list[dict[str, Any]]:
    """Post types that are neither WordPress's own content nor known non-content: they are migrated as
    pages, which may not be what they were (a plugin's records)."""
    types = Counter(i.type for i in ctx.items if i.type not in ("post", "page") and not mappings.skip_reason(i.type))
    return [{"type": t, "items": n} for t, n in sorted(types.items())]


def _not_published(ctx: SiteContext, decisions: dict) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in ctx.items:
        outcome, reason = decisions[item.source]
        if outcome != PUBLISH:
            groups[(outcome, reason.split(":")[0] if reason.startswith("damaged") else reason)].append(_ref(item))
    for later, first in ctx.duplicates.items():
        groups[(SKIP, "duplicate")].append({"file": later.file, "line": later.line, "first": str(first)})
    return [
        {"outcome": outcome, "reason": reason, "count": len(refs), "items": refs}
        for (outcome, reason), refs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def _url_changes(ctx: SiteContext, decisions: Mapping, placements: Mapping) -> list[dict[str, Any]]:
    """Published items whose URL on the new site is not their old permalink, and what keeps the old one."""
    out = []
    for item in ctx.items:
        place = placements.get(item.source)
        if place is None or decisions[item.source][0] != PUBLISH:
            continue
        old = link_path(item.link)
        if old == place.path or not item.link.strip():  # no old URL: nothing to keep
            continue
        if old is None:
            kept = "server redirect" if item.id is not None else "none"  # ?p=ID is answered by the redirect maps
            old_url = item.link
        else:
            old_url = unquote(urlsplit(item.link.strip()).path)  # as WordPress showed it (`/a.html`, no slash added)
            key = old.strip("/")  # aliases of `.html` permalinks are written without the slash
            kept = (
                "alias"
                if key in {a.strip("/") for a in place.aliases}
                else "server redirect"
                if key in {m.strip("/") for m in place.moved_from}
                else "none"
            )
        out.append({**_ref(item), "old": old_url, "new": place.path, "kept_by": kept})
    return out
