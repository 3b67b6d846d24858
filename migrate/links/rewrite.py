"""The URL rewriting pass: one walk over a page's HTML tree, links and media alike, before html2md.

Every URL attribute goes through the one resolver: links (`href`), media (`src`, `srcset`,
`poster`, lazy-load copies, `url()` in styles), whatever element holds them. A link to a
migrated page keeps a root-relative `href` (what raw HTML shows) and gets the Zola internal
link (`@/…md`) that html2md writes in Markdown; a file becomes its URL on the new site and is
recorded, so that the plan fetches exactly the files the pages use.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from migrate.links.resolver import DRAFT, EXTERNAL, FEED, FILE, GONE, HOME, PAGE, TERM, UNKNOWN, Resolver, Target
from migrate.markdown.html2md import ZOLA_LINK
from migrate.media.layout import Bundle, Layout, Placed, publishable
from migrate.wxr.hosts import split
from migrate.wxr.model import Item, ascii_int
from migrate.zola.urls import url_path

_MEDIA = {
    "img": ("src", "data-src", "data-lazy-src", "data-orig-file", "data-large-file", "data-medium-file"),
    "source": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
_SRCSETS = ("srcset", "data-srcset", "data-lazy-srcset")
_LINKS = {"a": "href", "area": "href", "iframe": "src"}
_PLACEHOLDER = re.compile(r"^(?:data:|about:blank)|lazy|blank\.gif|placeholder", re.I)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.I | re.S)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}\s?|.)")
_IMAGE_ID = re.compile(r"(?:^|\s)wp-image-(\d+)(?:\s|$)")

Anchors = Callable[[str], "frozenset[str] | None"]


@dataclass
class PageLinks:
    """What one page's URLs became."""

    files: dict[str, Placed] = field(default_factory=dict)  # URL the page writes → the file
    counts: Counter = field(default_factory=Counter)  # links by what they point at now
    notices: list[str] = field(default_factory=list)  # what the user should know (lost links, anchors)
    external: list[str] = field(default_factory=list)  # images of other sites, not fetched
    pending: bool = False  # a link's anchor is in a page not converted yet: convert this one again

    def used_in(self, text: str) -> list[Placed]:
        """The files the finished page really references (attributes html2md dropped do not count)."""
        used = []
        for url, placed in self.files.items():
            for form in dict.fromkeys([url, html.escape(url, quote=True)]):
                bounded = form.startswith("/") and form in text
                if bounded or any(f"{lead}{form}" in text for lead in ("](", '="', "](<", ", ")):
                    used.append(placed)
                    break
        return used


class Rewriter:
    """Rewrites the URLs of one site's pages; built once per run, called once per page."""

    def __init__(
        self, resolver: Resolver, layout: Layout, bundles: dict[int, Bundle] | None = None, fetch_external: bool = False
    ):
        self.resolver, self.layout = resolver, layout
        self.bundles = bundles or {}  # item id → its bundle (page bundles)
        self.fetch_external = fetch_external

    def __call__(self, root, item: Item, anchors: Anchors = lambda file: None) -> PageLinks:
        page = _Page(self, item, anchors)
        for el in root.iter():
            if not el.attrib or not isinstance(el.tag, str):  # each rule below reads an attribute
                continue
            tag = el.tag.lower()
            if tag == "img":
                _promote_lazy(el)
            for name in _MEDIA.get(tag, ()):
                if el.get(name):
                    page.medium(el, name)
            for name in _SRCSETS:
                if el.get(name):
                    page.srcset(el, name)
            if tag in _LINKS and el.get(_LINKS[tag]):
                page.link(el, _LINKS[tag])
            if el.get("style") and "url(" in el.get("style", ""):
                page.style(el)
        return page.links


class _Page:
    def __init__(self, rewriter: Rewriter, item: Item, anchors: Anchors):
        self.rw, self.item, self.anchors = rewriter, item, anchors
        self.links = PageLinks()
        self.bundle = rewriter.bundles.get(item.id) if item.id is not None else None

    def file(self, target: Target, url: str) -> Placed | None:
        if target.upload is None:
            return None
        placed = self.rw.layout.place(self.rw.layout.upload(target.upload), split(url), self.bundle)
        if not publishable(placed.file):  # a script of the old server is not the site's to publish
            self.links.counts["server scripts left where they were"] += 1
            return None
        self.links.files[placed.url] = placed
        return placed

    def placed_for(self, url: str) -> Placed | None:
        """The site file a URL names, if it names one."""
        target = self.rw.resolver.resolve(url, self.item)
        return self.file(target, url) if target is not None and target.kind == FILE else None

    def medium(self, el, name: str) -> None:
        url = el.get(name)
        target = self.rw.resolver.resolve(url, self.item)
        if el.tag == "img" and (target is None or target.upload is None or target.upload.attachment is None):
            target = self._by_id(el, url) or target  # the URL tells no attachment, its wp-image-N does
        if target is None:
            return
        if target.kind == FILE:
            placed = self.file(target, url)
            if placed is not None:
                el.set(name, _with_fragment(placed.url, target))
                self.links.counts["media"] += 1
        elif target.kind == EXTERNAL:
            parts = split(url)
            placed = (
                self.rw.layout.external(parts)
                if self.rw.fetch_external and parts is not None and parts.scheme in ("http", "https")
                else None
            )
            if placed is not None:
                self.links.files[placed.url] = placed
                el.set(name, placed.url)
                self.links.counts["external media, fetched"] += 1
            else:
                self.links.external.append(url)
                self.links.counts["external media"] += 1
        elif target.kind == UNKNOWN:
            self.links.counts["media not in the export"] += 1

    def _by_id(self, el, url: str) -> Target | None:
        """An image whose URL is not the site's known form (an old domain, a CDN) but whose block or
        class names its attachment (`wp-image-N`, `data-id`)."""
        m = _IMAGE_ID.search(el.get("class") or "")
        wp_id = ascii_int(m.group(1) if m else (el.get("data-id") or "").strip())
        library = self.rw.layout.library
        if wp_id is None or wp_id not in library.attachments:
            return None
        parts = split(url)
        name = unquote(parts.path.rsplit("/", 1)[-1]) if parts is not None else ""
        upload = library.upload_like(library.attachments[wp_id], name, el.get("width") or "")
        if upload is None:
            return None
        self.links.counts["media found by id"] += 1
        return Target(FILE, upload=upload, item=wp_id)

    def srcset(self, el, name: str) -> None:
        if self.rw.layout.originals:  # every candidate is the same file now: the src says it
            del el.attrib[name]
            el.attrib.pop("sizes", None)
            return
        out = []
        for candidate in el.get(name).split(","):
            bits = candidate.split()
            if not bits:
                continue
            placed = self.placed_for(bits[0])
            out.append(" ".join([placed.url if placed else bits[0], *bits[1:]]))
        el.set(name, ", ".join(out))

    def style(self, el) -> None:
        def one(m: re.Match) -> str:
            placed = self.placed_for(_CSS_ESCAPE.sub(_css_unescape, m.group(2)))
            if placed is None:
                return m.group(0)
            self.links.counts["media"] += 1
            return f'url("{placed.url}")'

        el.set("style", _CSS_URL.sub(one, el.get("style")))

    def link(self, el, name: str) -> None:
        url = el.get(name)
        target = self.rw.resolver.resolve(url, self.item)
        if target is None or target.kind in (EXTERNAL, UNKNOWN):
            if target is not None and target.kind == UNKNOWN:
                self.links.counts["site links not in the export"] += 1
            return
        counts, fragment = self.links.counts, unquote(target.fragment)
        if target.kind == FILE:
            placed = self.file(target, url)
            if placed is not None:
                el.set(name, _with_fragment(placed.url, target))
                counts["links to files"] += 1
            return
        if name != "href":  # an iframe showing a page of the site: the page's new URL
            if target.path:
                el.set(name, url_path(target.path))
            return
        if target.kind == PAGE:
            if target.item is not None and target.item == self.item.id:
                el.set(name, f"#{target.fragment}" if target.fragment else url_path(target.path))
                counts["links within the page"] += 1
                return
            zola = "@/" + target.file
            if fragment:
                known = self.anchors(target.file)
                if known is None:
                    self.links.pending = True
                elif fragment in known:
                    zola += "#" + fragment
                else:
                    self.links.notices.append(
                        f"link to {target.path}#{fragment}: Zola may not give that page this anchor; it links to the page"
                    )
            el.set(name, _with_fragment(url_path(target.path), target))
            el.set(ZOLA_LINK, zola)
            counts["links to pages"] += 1
        elif target.kind == DRAFT:
            el.set(name, url_path(target.path))
            self.links.notices.append(
                f"link to item {target.item} ({target.why or 'not published'}): "
                f"it points to its future URL {target.path}"
            )
            counts["links to unpublished pages"] += 1
        elif target.kind == GONE:
            del el.attrib[name]
            self.links.notices.append(
                f"link to item {target.item} ({target.why or 'not migrated'}) removed; its text is kept"
            )
            counts["links to items not migrated"] += 1
        elif target.kind in (TERM, HOME, FEED) or target.path:
            el.set(name, url_path(target.path))
            counts["links to archives" if target.kind != HOME else "links to the home page"] += 1


def _with_fragment(url: str, target: Target) -> str:
    return url + (f"#{target.fragment}" if target.fragment else "")


def _promote_lazy(img) -> None:
    """Lazy-load plugins keep the real image in data-src/data-lazy-src and a placeholder in src."""
    real = img.get("data-lazy-src") or img.get("data-src")
    src = img.get("src") or ""
    if real and (not src.strip() or _PLACEHOLDER.search(src)):
        img.set("src", real)
    real_set = img.get("data-lazy-srcset") or img.get("data-srcset")
    if real_set and not img.get("srcset"):
        img.set("srcset", real_set)


def _css_unescape(m: re.Match) -> str:
    text = m.group(1)
    hexa = text.strip()
    if re.fullmatch(r"[0-9a-fA-F]{1,6}", hexa):
        try:
            return chr(int(hexa, 16))
        except (ValueError, OverflowError):
            return ""
    return text
