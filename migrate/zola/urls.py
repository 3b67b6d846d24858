"""Where every item goes: its URL on the new site, its other URLs, and its content file.

The one place where URLs are mapped. It sees the whole export at once (the site context), so
it can keep every WordPress permalink, infer the permalink structure for items that had none
(drafts, plain `?p=` links), and settle collisions deterministically: both items survive.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote

from migrate.store import Groups, Rows, Table, tuple_state
from migrate.wxr.hosts import parse_url
from migrate.wxr.index import SiteContext, parse_wp_date
from migrate.wxr.model import Item, Notice, Source, ascii_int
from migrate.wxr.reader import Warn
from migrate.zola.portable import is_windows_device, portable_path, renamed, short_hash, shorten, why_not_portable
from migrate.zola.slugs import zola_slug

_URL_SAFE = "/!()*+,;=:@~-._"  # not "'" (it is escaped in HTML attributes) nor "$" (nginx reads variables)
_PLAIN_KEYS = ("p", "page_id", "attachment_id", "post_type", "preview")
_EXT = re.compile(r"\.(html?|php|aspx?)$", re.I)
_FS_BAD = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\#]')  # "#" too: Zola reads `@/a#b.md` as an anchor
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile("[\x00-\x1f\x7f]")  # dropped from a decoded path
MAX_NAME_BYTES = 120  # file names stay well below the 255-byte limit of common file systems
# `?p=ID` (and `page_id`) land on /wp2zola/p/ID/, through a line of script in the page template: an
# alias of the published item with that id, which Zola makes into a redirect page when it builds
ID_PAGES = "/wp2zola/p/"


@tuple_state
@dataclass(slots=True)
class Placement:
    """The new home of one content item."""

    path: str  # Zola `path`: "/blog/2018/11/26/hello/" (percent-decoded, leading and trailing slash)
    file: str  # content file, relative to content/, e.g. "blog/2018/11/26/hello.md"
    aliases: list[str] = field(default_factory=list)
    front_page: bool = False  # the item is the site's home page: it goes into the home section
    plain_url: str = ""  # a ?p= URL only a server redirect can keep
    moved_from: list[str] = field(default_factory=list)  # old URLs no alias can keep (not portable): server redirects


def decode_path(raw: str) -> str:
    """A URL path percent-decoded, normalized, with leading and trailing slash."""
    path = unquote(raw, errors="replace")
    path = unicodedata.normalize("NFC", path)
    path = _CONTROL.sub("", path)
    segments = [s for s in path.split("/") if s not in ("", ".", "..")]
    return "/" + "/".join(segments) + ("/" if segments else "")


def url_path(decoded: str) -> str:
    """A decoded URL path as pages write it: percent-encoded where a URL needs it ("&" too, so that
    HTML attributes need no entity, and "{" so that no template opener can form)."""
    return quote(decoded, safe=_URL_SAFE)


def link_path(link: str) -> str | None:
    """The pretty path of a WordPress link, or None when it is a plain (`?p=`) or empty link."""
    if not link:
        return None
    parts = parse_url(link)
    if parts is None:
        return None
    if parts.query:  # most links have none to parse
        query = parse_qs(parts.query)
        if any(k in query for k in _PLAIN_KEYS):
            return None
    return decode_path(parts.path)


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def _slug(item: Item) -> str:
    return decode_path(item.slug).strip("/").replace("/", "-") if item.slug else ""


class PermalinkStructure:
    """The post permalink structure, inferred from published posts (e.g. /%year%/%monthnum%/%postname%/)."""

    def __init__(self, template: list[str]):
        self.template = template

    @classmethod
    def infer(cls, ctx: SiteContext, home: str) -> PermalinkStructure:
        counts: Counter[tuple[str, ...]] = Counter()
        for item in ctx.items:
            if item.type != "post" or item.status != "publish" or item.damage:
                continue
            path = link_path(item.link)
            slug = _slug(item)
            date = parse_wp_date(item.date)
            if path is None or not slug or date is None:
                continue
            tokens = []
            values = {
                slug: "%postname%",
                f"{date:%Y}": "%year%",
                f"{date:%m}": "%monthnum%",
                f"{date:%d}": "%day%",
                str(item.id): "%post_id%",
            }
            for segment in _segments(path):
                ext = _EXT.search(segment)
                if ext and segment[: ext.start()] == slug:  # /%postname%.html
                    values.pop(slug, None)
                    tokens.append("%postname%" + ext.group(0))
                else:
                    tokens.append(values.pop(segment, segment))
            if any(t.startswith("%postname%") or t == "%post_id%" for t in tokens):
                counts[tuple(tokens)] += 1
        if counts:
            top = max(counts.values())
            return cls(list(min(t for t, n in counts.items() if n == top)))
        return cls(_segments(home) + ["%postname%"])

    def fill(self, item: Item, ctx: SiteContext) -> str:
        date = parse_wp_date(item.date) or parse_wp_date(item.modified)
        slug = _slug(item) or zola_slug(item.title) or str(item.id or "untitled")
        categories = [t.slug for t in item.terms if t.taxonomy == "category" and t.slug]
        values = {
            "%postname%": slug,
            "%post_id%": str(item.id or slug),
            "%year%": f"{date:%Y}" if date else "undated",
            "%monthnum%": f"{date:%m}" if date else "",
            "%day%": f"{date:%d}" if date else "",
            "%category%": categories[0] if categories else "uncategorized",
            "%author%": zola_slug(item.creator) or "author",
        }
        return decode_path("/".join(_fill(t, values) for t in self.template))


def _fill(token: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        if token.startswith(name):
            return value + token[len(name) :]
    return token


def _file_name(segment: str) -> str:
    """A content file stem that any file system accepts and Zola does not treat specially."""
    name = _FS_BAD.sub("-", segment).strip(" .") or "_"
    if name in ("index", "_index"):
        name += "-page"  # index.md beside an _index.md is a Zola error
    if _DATE_PREFIX.match(name):
        name = "p-" + name  # Zola would read a date prefix as the page date and strip it
    name = shorten(name, MAX_NAME_BYTES, MAX_NAME_BYTES - 11)  # a hash keeps two long names apart
    return renamed(name) if is_windows_device(name) else name  # `con.md`, `aux/` cannot exist on Windows


def file_for(path: str) -> str:
    segments = _segments(path)
    if not segments:
        return "_index.md"
    return "/".join([_file_name(s) for s in segments[:-1]] + [_file_name(segments[-1]) + ".md"])


def bundle_file(file: str) -> str:
    """The content file of a page written as a bundle: `blog/hello.md` → `blog/hello/index.md`."""
    return file.removesuffix(".md") + "/index.md"


def section_file(path: str) -> str:
    """The `_index.md` of the section at a URL path."""
    return "/".join([_file_name(s) for s in _segments(path)] + ["_index.md"])


def _suffixed_file(file: str, suffix: str) -> str:
    folder, _, name = file.rpartition("/")
    stem = name.removesuffix(".md")
    budget = MAX_NAME_BYTES - len(suffix.encode()) - 1
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return (folder + "/" if folder else "") + f"{stem}-{suffix}.md"


def _with_suffix(path: str, suffix: str) -> str:
    return portable_path(path.rstrip("/") + f"-{suffix}/" if path != "/" else f"/{suffix}/")


def _id_suffix(item: Item) -> str:
    """What tells an item's URL and file apart from another's: its id (a hash of a huge one)."""
    if item.id is None:
        return "item"
    text = str(item.id)
    return text if len(text) <= 20 else "id-" + short_hash(text)


def place_items(
    ctx: SiteContext,
    items: Iterable[Item],
    draft_ids: Container[int],
    warn: Warn,
    reserved: dict[str, str] | None = None,
) -> MutableMapping[Source, Placement]:
    """Placement for each content item (keyed by its source, in the run's store). Published items
    claim URLs first."""
    home = home_path(ctx)
    structure = PermalinkStructure.infer(ctx, home)
    chosen: Rows[Item] = ctx.store.rows()  # the items, in the store: the stages below read them twice
    wanted: Table[Source, Placement] = ctx.store.table()

    def want(item: Item) -> None:
        path = link_path(item.link)
        plain = ""
        if path is None:
            plain = item.link
            path = _computed_path(item, ctx, structure, home, wanted)
        aliases = []
        stem = _EXT.search(path.rstrip("/"))
        if stem and path != "/":
            aliases.append(path.rstrip("/"))  # an alias ending in .html is written as that very file
            path = path.rstrip("/")[: stem.start()] + "/"
        aliases += _old_slug_aliases(item, path) + _old_date_aliases(item, path)
        portable = portable_path(path)
        moved = []
        if portable != path:  # links to the old URL still resolve (by the item's link); no alias can keep it
            why = why_not_portable(path)
            warn(Notice(item.source, f"URL {path} cannot be kept ({why}); this item gets {portable}", item.id))
            moved.append(path)
            path = portable
        wanted[item.source] = Placement(path, "", aliases, plain_url=plain, moved_from=moved)

    # parents are placed before their children: the items with none first, then by depth (in the store:
    # the order of every item would grow with the site)
    deeper: Groups[int, int] = ctx.store.groups()
    depths: set[int] = set()
    for item in items:
        n, depth = chosen.append(item), _depth(item, ctx)
        if depth:
            deeper.add(depth, n)
            depths.add(depth)
        else:
            want(item)
    for depth in sorted(depths):
        for n in deeper.walk(depth):
            want(chosen[n])
    return _settle(ctx, chosen, wanted, draft_ids, home, warn, reserved or {})


def _depth(item: Item, ctx: SiteContext) -> int:
    depth, seen, parent = 0, {item.id}, item.parent
    while parent and parent in ctx.by_id and parent not in seen:  # a loop of parents ends the walk
        seen.add(parent)
        depth += 1
        parent = ctx.by_id[parent].parent
    return depth


def home_path(ctx: SiteContext) -> str:
    parts = parse_url(ctx.home_url) if ctx.home_url else None
    return decode_path(parts.path) if parts is not None else "/"


def _computed_path(
    item: Item, ctx: SiteContext, structure: PermalinkStructure, home: str, wanted: Mapping[Source, Placement]
) -> str:
    if item.type == "page":
        parent = ctx.by_id.get(item.parent) if item.parent else None
        base = home
        if parent is not None and parent.source in wanted:
            base = wanted[parent.source].path
        elif parent is not None and link_path(parent.link):
            base = link_path(parent.link) or home
        return decode_path(base + (_slug(item) or zola_slug(item.title) or str(item.id)))
    if item.type == "post":
        return structure.fill(item, ctx)
    return decode_path(f"{home}{item.type}/{_slug(item) or zola_slug(item.title) or item.id}")


def _old_slug_aliases(item: Item, path: str) -> list[str]:
    out: list[str] = []
    segments = _segments(path)
    slug = _slug(item)
    if not segments or segments[-1] != slug:
        return out
    for old in item.meta_values("_wp_old_slug"):
        old_seg = decode_path(old).strip("/")
        if old_seg and old_seg != slug and "/" not in old_seg:
            out.append(decode_path("/".join(segments[:-1] + [old_seg])))
    return out


def _old_date_aliases(item: Item, path: str) -> list[str]:
    """WordPress also redirects a post's URL with its former date (`_wp_old_date`, Y-m-d)."""
    date = parse_wp_date(item.date)
    if date is None:
        return []
    out = []
    for old in item.meta_values("_wp_old_date"):
        parts = old.strip().split("-")
        if len(parts) != 3 or not all(ascii_int(p) is not None for p in parts):
            continue
        for new_part, old_part in (
            (f"/{date:%Y/%m/%d}/", "/{}/{}/{}/".format(*parts)),
            (f"/{date:%Y/%m}/", "/{}/{}/".format(*parts[:2])),
        ):
            if new_part in path and new_part != old_part:
                out.append(path.replace(new_part, old_part, 1))
                break
    return out


def _settle(
    ctx: SiteContext,
    items: Rows[Item],
    wanted: Mapping[Source, Placement],
    draft_ids: Container[int],
    home: str,
    warn: Warn,
    reserved: dict[str, str],
) -> Table[Source, Placement]:
    """Give each item a unique URL and file; later claimants get a suffix and a warning."""

    def order() -> Iterator[Item]:
        yield from (i for i in items if not (i.id is not None and i.id in draft_ids))
        yield from (i for i in items if i.id is not None and i.id in draft_ids)

    # a path or file → who has it: (what reserved it, or "" for an item, and the item's id)
    taken_paths: Table[str, tuple[str, int | None]] = ctx.store.table()
    for path, what in reserved.items():
        taken_paths[_key(path)] = (what, None)
    taken_files: Table[str, int | None] = ctx.store.table()
    placed: Table[Source, Placement] = ctx.store.table()
    front_page_taken = False
    for item in order():
        p = wanted[item.source]
        path = p.path
        if path == home and not front_page_taken and item.type == "page" and item.status == "publish":
            front_page_taken = True
            p.front_page = True
            p.file = section_file(home)
            taken_paths[_key(path)] = ("", item.id)
            placed[item.source] = p
            continue
        suffix = _id_suffix(item)
        n = 1
        while path == home or _key(path) in taken_paths:
            other = taken_paths.get(_key(path))
            new = _with_suffix(p.path, suffix if n == 1 else f"{suffix}-{n}")
            who = "the home page" if other is None else other[0] or f"item {other[1]}"
            warn(Notice(item.source, f"URL {path} is taken by {who}; this item gets {new}", item.id))
            path, n = new, n + 1
        p.path = path
        p.file = file_for(path)
        n = 1
        while _key(p.file) in taken_files:  # same file name, different URL (case, cut long names)
            new_file = _suffixed_file(file_for(path), suffix if n == 1 else f"{suffix}-{n}")
            warn(
                Notice(
                    item.source,
                    f"file {p.file} is taken by item {taken_files[_key(p.file)]}; this item is written to {new_file}",
                    item.id,
                )
            )
            p.file, n = new_file, n + 1
        taken_paths[_key(path)] = ("", item.id)
        taken_files[_key(p.file)] = item.id
        placed[item.source] = p
    # Aliases that would collide with a page (a build error) or another alias (silently lost).
    seen_alias: Table[str, int | None] = ctx.store.table()
    for item in order():
        p = placed[item.source]
        if item.id is not None and item.id >= 0 and item.id not in draft_ids and item.source not in ctx.id_reused:
            p.aliases.append(f"{ID_PAGES}{item.id}/")
        if not p.aliases:
            continue
        kept: list[str] = []
        for alias in p.aliases:
            key = _key(alias)
            if key == _key(p.path) or alias in kept:
                continue
            why = why_not_portable(alias)
            if why:
                warn(Notice(item.source, f"old URL {alias} cannot be an alias ({why}); no alias made", item.id))
                p.moved_from.append(alias)
                continue
            folder, _, name = key.rpartition("/")
            if name in ("index.html", "index.htm") and (folder in taken_paths or folder in ("", _key(home))):
                # Zola writes the index.html of the page (or section) there: the alias would replace it
                warn(Notice(item.source, f"old URL {alias} is the page at /{folder}; no alias made", item.id))
                continue
            if key == _key(home) or key in taken_paths:
                owner = taken_paths.get(key)
                what = owner[0] if owner is not None and owner[0] else "another page's URL"
                warn(Notice(item.source, f"old URL {alias} is now {what}; no alias made", item.id))
                continue
            if key in seen_alias:
                warn(
                    Notice(
                        item.source,
                        f"old URL {alias} already redirects to item {seen_alias[key]}; no alias made",
                        item.id,
                    )
                )
                continue
            seen_alias[key] = item.id
            kept.append(alias)
        p.aliases = kept
        placed[item.source] = p  # a copy was read: stored again
    return placed


def _key(path: str) -> str:
    """Paths that one web server or file system would confuse: case, Unicode normalisation (macOS
    reads NFC and NFD as one name) and trailing slash ignored."""
    return unicodedata.normalize("NFC", path.strip("/").casefold())
