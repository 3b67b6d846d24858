"""One resolver for every URL of the old site: what a link or a media URL points at now.

It knows every URL the export can tell: each item's permalink and old URLs, `?p=`, `?page_id=`,
`?attachment_id=` and `/archives/N` by id, attachment pages, uploads and their derived files,
term and author archives, feeds, pagination and date archives — on every host of the site, with
`http`/`https`, `www.`, `/index.php/` and root-relative forms. What it cannot place on the site
is `external` (another host) or `unknown` (the site's, but not in the export).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urljoin

from cachetools import LRUCache

from migrate.media.library import MediaLibrary, Upload
from migrate.store import Rows, Table, tuple_state
from migrate.wxr.hosts import SiteHosts, split
from migrate.wxr.index import SiteContext
from migrate.wxr.model import Item, ascii_int
from migrate.zola.slugs import zola_slug
from migrate.zola.taxonomies import WP_ARCHIVE_BASE
from migrate.zola.urls import Placement, decode_path, link_path

PAGE, DRAFT, GONE, FILE, TERM, HOME, FEED, ARCHIVE, EXTERNAL, UNKNOWN = (
    "page",
    "draft",
    "gone",
    "file",
    "term",
    "home",
    "feed",
    "date archive",
    "external",
    "unknown",
)
_SCHEMES = ("", "http", "https")
_PAGED = re.compile(r"^(.*/)(?:page|comment-page-\d+)/\d+/$|^(.*/)comment-page-\d+/$")
_NUMBERED = re.compile(r"^(.*/)\d{1,3}/$")  # /slug/2/: a page of a post split with <!--nextpage-->
_FEED = re.compile(r"^(.*/)(?:comments/)?feed/(?:(?:rss2?|rdf|atom)/)?$")
_DATE_ARCHIVE = re.compile(r"^/\d{4}/(?:\d{2}/(?:\d{2}/)?)?$")
_ARCHIVES_ID = re.compile(r"^/archives/(\d+)/$")
_MAX_PEELED = 3  # /slug/2/comment-page-1/feed/: the most suffixes one WordPress URL can carry
# URLs whose targets are remembered, the most recently used (pages of a site link to the same URLs:
# its menu, its logo); a target holds an attachment's record, so not too many (each worker has its own)
_KNOWN_MAX = 4096


@dataclass(frozen=True)
class Target:
    """What a URL points at on the new site."""

    kind: str  # page, draft, gone, file, term, home, feed, date archive, external, unknown
    path: str = ""  # the new URL path, decoded ("/blog/2018/11/hello/")
    file: str = ""  # a page: its content file, relative to content/, for Zola's `@/` links
    item: int | None = None  # the item it is (or was), by WordPress id
    upload: Upload | None = None  # a file
    fragment: str = ""
    why: str = ""  # draft, gone: what became of the item


@tuple_state
@dataclass(frozen=True, slots=True)
class Page:
    """A content item as links see it."""

    id: int | None
    placement: Placement | None  # None: the item was not migrated
    published: bool
    reason: str = ""  # why it is not published


class Resolver:
    def __init__(
        self,
        ctx: SiteContext,
        hosts: SiteHosts,
        library: MediaLibrary,
        pages: Callable[[Item], Page | None],
        terms: Mapping[tuple[str, str], str],
        home: str,
    ):
        self.hosts, self.library, self.home = hosts, library, home
        # the pages, and where to find them: in the run's store (a dict of every URL would grow with the site)
        self.pages: Rows[Page] = ctx.store.rows()
        self.by_path: Table[str, int] = ctx.store.table()
        self.by_id: Table[int, int] = ctx.store.table()
        self.by_slug: Table[str, int] = ctx.store.table()  # -1: more than one page has the slug
        self.attachment_pages: Table[str, int] = ctx.store.table()
        for item in ctx.items:
            if item.type == "attachment" and item.id is not None and item.id in library.attachments:
                path = link_path(item.link)
                if path and path != home:
                    self.attachment_pages.keep_first(path, item.id)
                continue
            page = pages(item)
            if page is None:
                continue
            n = self.pages.append(page)
            if item.id is not None:
                self.by_id.keep_first(item.id, n)
            urls = [link_path(item.link)]
            if page.placement is not None:
                urls += [page.placement.path, *page.placement.aliases]
            for url in urls:
                if url:
                    self.by_path.keep_first(url, n)
                    self.by_path.keep_first(url.casefold(), n)
            slug = decode_path(item.slug).strip("/") if item.slug else ""
            if slug:
                self.by_slug[slug] = -1 if slug in self.by_slug else n
        self.terms: dict[tuple[str, str], str] = {}  # (archive base, WordPress slug) → the Zola term page
        for (taxonomy, slug), path in terms.items():
            base = WP_ARCHIVE_BASE.get(taxonomy, taxonomy)
            self.terms.setdefault((base, decode_path(slug).strip("/").casefold()), path)
            if taxonomy == "author":  # an author's archive is at /author/NICENAME/, made from the login
                self.terms.setdefault((base, zola_slug(slug)), path)
        self.bases = {base for base, _ in self.terms}
        self.term_ids: dict[tuple[str, str], str] = {}  # (archive base, id) → slug, for ?cat=ID and ?author=ID
        for (taxonomy, slug), term in ctx.terms.items():
            if term.id is not None:
                self.term_ids[(WP_ARCHIVE_BASE.get(taxonomy, taxonomy), str(term.id))] = slug
        for login, author in ctx.authors.items():
            if author.id is not None:
                self.term_ids[("author", str(author.id))] = login
        self.known: LRUCache[str, Target | None] = LRUCache(_KNOWN_MAX)  # URL → target, not relative to the page

    def resolve(self, url: str, page: Item | None = None) -> Target | None:
        """The target of a URL written in `page`; None for what is no link to resolve (mailto:,
        data:, an in-page `#anchor`, a URL that does not parse)."""
        if url in self.known:
            return self.known[url]
        target, relative = self._resolve(url, page)
        if not relative:
            self.known[url] = target
        return target

    def _resolve(self, url: str, page: Item | None) -> tuple[Target | None, bool]:
        """The target, and whether it was read relative to the page's URL (it then depends on the page)."""
        parts = split(url)
        if parts is None or parts.scheme.lower() not in _SCHEMES or url.strip().startswith("#"):
            return None, False
        home_host = False
        if not parts.netloc:
            if not parts.path and not parts.query:
                return None, False
            if not parts.path.startswith("/"):  # relative to the page's old URL, as the browser read it
                joined = split(urljoin(page.link.strip(), url.strip())) if page is not None and page.link else None
                if joined is None or not joined.netloc:
                    return None, True
                return self._target(joined, False), True
            home_host = True
        elif not self.hosts.is_site(parts.hostname or ""):
            return Target(EXTERNAL), False
        return self._target(parts, home_host), False

    def _target(self, parts: SplitResult, home_host: bool) -> Target | None:
        fragment = parts.fragment
        upload = self.library.find(parts, home_host=home_host) or self.library.site_file(parts)
        if upload is not None:
            return Target(FILE, upload=upload, item=upload.attachment.id if upload.attachment else None)
        primary = home_host or self.hosts.is_primary(parts.hostname or "")
        found = self._by_query(parts) or self._by_path(decode_path(parts.path), primary)
        if found is None:
            return Target(UNKNOWN)
        return dataclasses.replace(found, fragment=fragment) if fragment and found.kind in (PAGE, DRAFT) else found

    def _by_query(self, parts: SplitResult) -> Target | None:
        """Plain links: `?p=`, `?page_id=`, `?attachment_id=` by id, `?cat=` (id), `?tag=` (slug),
        `?author=` (id); an id the export does not hold is unknown, not the home page. A search
        (`?s=`) has no static page: it stays as it was."""
        query = parse_qs(parts.query)
        for key in ("p", "page_id", "attachment_id", "preview_id"):
            wp_id = ascii_int(query.get(key, [""])[0])
            if wp_id is not None:
                return self.by_wp_id(wp_id) or Target(UNKNOWN)
        for key, taxonomy in (("cat", "category"), ("tag", "tag"), ("author", "author")):
            value = query.get(key, [""])[0].strip()
            if not value:
                continue
            slug = self.term_ids.get((taxonomy, value), value if taxonomy == "tag" else "")
            path = self.terms.get((taxonomy, slug.casefold())) if slug else None
            return Target(TERM, path) if path else Target(UNKNOWN)
        if "s" in query:
            return Target(UNKNOWN)
        return None

    def by_wp_id(self, wp_id: int) -> Target | None:
        if wp_id in self.library.attachments:
            return self._attachment(wp_id)
        n = self.by_id.get(wp_id)
        return self._page(self.pages[n]) if n is not None else None

    def _attachment(self, wp_id: int) -> Target | None:
        upload = self.library.upload_of(self.library.attachments[wp_id])
        return Target(FILE, upload=upload, item=wp_id) if upload is not None else None

    def _page(self, page: Page) -> Target:
        wp_id = page.id
        if page.placement is None:
            return Target(GONE, item=wp_id, why=page.reason)
        if not page.published:
            return Target(DRAFT, page.placement.path, page.placement.file, wp_id, why=page.reason)
        return Target(PAGE, page.placement.path, page.placement.file, wp_id)

    def _by_path(self, path: str, primary: bool = True, peeled: int = 0) -> Target | None:
        """`peeled`: suffixes (feed, page, comment page) taken off already. WordPress reads at most a
        feed of a paged comment page; a URL of 2,000 `page/2` segments must not recurse 2,000 times."""
        if path.startswith(self.home + "index.php/") or path.startswith("/index.php/"):
            path = path.replace("index.php/", "", 1)
        if path in (self.home, "/", self.home + "index.php/"):
            return Target(HOME, self.home)
        n = self.by_path.get(path)
        n = n if n is not None else self.by_path.get(path.casefold())
        if n is not None:
            return self._page(self.pages[n])
        if path in self.attachment_pages:
            return self._attachment(self.attachment_pages[path])
        m = _FEED.match(path) if peeled < _MAX_PEELED else None
        if m:
            owner = self._by_path(m.group(1), primary, peeled + 1) if m.group(1) not in ("/", self.home) else None
            return Target(FEED, owner.path if owner is not None and owner.path else self.home)
        rest = path[len(self.home) - 1 :] if path.startswith(self.home) else path
        term = self._term(rest)
        if term is not None:
            return term
        m = _ARCHIVES_ID.match(rest)
        if m:
            return self.by_wp_id(int(m.group(1)))
        if _DATE_ARCHIVE.match(rest):
            return Target(ARCHIVE, self.home)
        m = (_PAGED.match(path) or _NUMBERED.match(path)) if peeled < _MAX_PEELED else None
        if m:
            return self._by_path(next(g for g in m.groups() if g is not None), primary, peeled + 1)
        segments = [s for s in path.split("/") if s]
        if segments and primary:  # the permalink structure changed since: the slug still tells the post
            n = self.by_slug.get(segments[-1], -1)
            if n >= 0:
                return self._page(self.pages[n])
            if segments[-1] == "attachment" or (len(segments) > 1 and segments[-2] == "attachment"):
                return None
        return None

    def _term(self, rest: str) -> Target | None:
        segments = [s for s in rest.split("/") if s]
        if len(segments) >= 2 and segments[0] in self.bases:
            path = self.terms.get((segments[0], segments[-1].casefold()))
            if path is not None:
                return Target(TERM, path)
        return None
