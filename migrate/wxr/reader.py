"""Read WXR exports into model objects, one at a time (read → model, the first stage).

Elements are matched by local name within the WordPress namespaces, whatever their prefix or
export version (1.0, 1.1, 1.2, http or https URIs; wordpress.md §1.1).
"""

from __future__ import annotations

import functools
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from migrate.wxr import xmlstream
from migrate.wxr.inputs import Export, ExportError, listing
from migrate.wxr.model import Author, Comment, Item, ItemTerm, Notice, Source, Term

_WP = re.compile(r"^https?://(?:www\.)?wordpress\.(?:org|com)/export/[^/]+/?$")
_EXCERPT = re.compile(r"^https?://(?:www\.)?wordpress\.(?:org|com)/export/[^/]+/excerpt/?$")
_KNOWN = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
}


@dataclass
class ChannelField:
    name: str
    value: str
    source: Source


@dataclass
class Worked:
    """An item with what `read_export`'s `after` made of it (where the item was parsed)."""

    item: Item
    result: object


Record = ChannelField | Author | Term | Item
Warn = Callable[[Notice], None]


def _ns_kind(uri: str) -> str:
    if not uri:
        return ""
    if uri in _KNOWN:
        return _KNOWN[uri]
    uri_s = uri.replace("https://", "http://")
    if uri_s in _KNOWN:
        return _KNOWN[uri_s]
    if _EXCERPT.match(uri):
        return "excerpt"
    if _WP.match(uri):
        return "wp"
    return "other"


@functools.lru_cache(maxsize=1024)
def _tag_name(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return _ns_kind(uri), local
    return "", tag


def _name(el: etree._Element) -> tuple[str, str]:
    """(namespace kind, local name) of an element; ("", "") for comments and PIs."""
    tag = el.tag
    return _tag_name(tag) if isinstance(tag, str) else ("", "")


def _text(el: etree._Element) -> str:
    if not len(el):  # most values are one text or CDATA node
        return (el.text or "").strip()
    return etree.tostring(el, method="text", encoding=str, with_tail=False).strip()


def _int(value: str, default: int | None = 0) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return default


def _fields(el: etree._Element) -> dict[str, str]:
    """Text of the WordPress-namespace children; the first of duplicates wins."""
    out: dict[str, str] = {}
    for child in el:
        kind, local = _name(child)
        if kind == "wp" and local not in out:
            out[local] = _text(child)
    return out


_CHANNEL_FIELDS = {
    ("", "title"): "title",
    ("", "link"): "link",
    ("", "description"): "description",
    ("", "language"): "language",
    ("", "pubDate"): "pub_date",
    ("wp", "wxr_version"): "wxr_version",
    ("wp", "base_site_url"): "base_site_url",
    ("wp", "base_blog_url"): "base_blog_url",
}


def _channel_record(el: etree._Element, source: Source) -> Record | None:
    kind, local = _name(el)
    if (kind, local) in _CHANNEL_FIELDS:
        return ChannelField(_CHANNEL_FIELDS[(kind, local)], _text(el), source)
    if kind != "wp":
        return None
    f = _fields(el)
    if local == "author":
        login = f.get("author_login", "")
        if not login:
            return None
        return Author(
            login, f.get("author_display_name", ""), f.get("author_email", ""), _int(f.get("author_id", ""), None)
        )
    if local == "category":
        return Term(
            "category",
            f.get("category_nicename", ""),
            f.get("cat_name", ""),
            f.get("category_parent", ""),
            f.get("category_description", ""),
            _int(f.get("term_id", ""), None),
        )
    if local == "tag":
        return Term(
            "post_tag",
            f.get("tag_slug", ""),
            f.get("tag_name", ""),
            "",
            f.get("tag_description", ""),
            _int(f.get("term_id", ""), None),
        )
    if local == "term":
        return Term(
            f.get("term_taxonomy", ""),
            f.get("term_slug", ""),
            f.get("term_name", ""),
            f.get("term_parent", ""),
            f.get("term_description", ""),
            _int(f.get("term_id", ""), None),
        )
    return None


_ITEM_TEXT = {
    ("", "title"): "title",
    ("", "link"): "link",
    ("", "pubDate"): "pub_date",
    ("", "guid"): "guid",
    ("content", "encoded"): "content",
    ("excerpt", "encoded"): "excerpt",
    ("wp", "post_content_filtered"): "content_filtered",
    ("dc", "creator"): "creator",
    ("wp", "post_type"): "type",
    ("wp", "status"): "status",
    ("wp", "post_date"): "date",
    ("wp", "post_date_gmt"): "date_gmt",
    ("wp", "post_modified"): "modified",
    ("wp", "post_modified_gmt"): "modified_gmt",
    ("wp", "post_name"): "slug",
    ("wp", "post_password"): "password",
    ("wp", "comment_status"): "comment_status",
    ("wp", "attachment_url"): "attachment_url",
}
_ITEM_INT = {"post_id": "id", "post_parent": "parent", "menu_order": "menu_order"}
# Values that repeat across items: one string each for the whole run (the index keeps every item)
_SHARED = {"type", "status", "creator", "comment_status", "password"}


def _item(el: etree._Element, source: Source) -> Item:
    item = Item(source=source)
    seen: set[str] = set()
    for child in el:
        key = _name(child)
        kind, local = key
        if key in _ITEM_TEXT:
            attr = _ITEM_TEXT[key]
            if attr not in seen:
                seen.add(attr)
                value = _text(child)
                setattr(item, attr, sys.intern(value) if attr in _SHARED else value)
        elif kind == "wp" and local in _ITEM_INT:
            attr = _ITEM_INT[local]
            if attr not in seen:
                seen.add(attr)
                setattr(item, attr, _int(_text(child), None if attr == "id" else 0))
        elif key == ("wp", "is_sticky"):
            item.sticky = _text(child) == "1"
        elif key == ("", "category"):
            domain = child.get("domain") or "category"
            item.terms.append(
                ItemTerm(
                    sys.intern("post_tag" if domain == "tag" else domain),
                    sys.intern(child.get("nicename") or ""),
                    sys.intern(_text(child)),
                )
            )
        elif key == ("wp", "postmeta"):
            f = _fields(child)
            if "meta_key" in f:
                item.meta.append((sys.intern(f["meta_key"]), f.get("meta_value", "")))
        elif key == ("wp", "comment"):
            f = _fields(child)
            item.comments.append(
                Comment(
                    _int(f.get("comment_id", ""), None),
                    f.get("comment_author", ""),
                    f.get("comment_author_url", ""),
                    f.get("comment_date_gmt", ""),
                    f.get("comment_date", ""),
                    f.get("comment_content", ""),
                    f.get("comment_approved", ""),
                    f.get("comment_type", ""),
                    _int(f.get("comment_parent", "")) or 0,
                    _int(f.get("comment_user_id", "")) or 0,
                )
            )
    # WXR 1.0 writes each term twice: once without domain or nicename, then in full. Keep the full one.
    full = {(t.taxonomy, t.name) for t in item.terms if t.slug}
    kept: list[ItemTerm] = []
    for term in item.terms:
        if term.slug or ((term.taxonomy, term.name) not in full and term.name and term not in kept):
            kept.append(term)
    item.terms = kept
    return item


def read_export(
    path: str | Path | Export,
    warn: Warn,
    label: str | None = None,
    export: int = 0,
    pool: Pool | None = None,
    after: Callable[[Item], tuple[Item, object]] | None = None,
) -> Iterator[Record | Worked]:
    """Yield the records of one export, in file order: of each XML document it holds (a gzipped file's,
    a zip's members in name order, each named `site.zip:part-2.xml` in its records' Sources). Problems go to `warn`. `export` is the
    file's index in the run (part of each record's Source: every pass must give the same one).
    With `pool` (a process pool), items are parsed by its workers while this process scans on; the
    records and warnings are the same, in the same order. With `after`, each item is yielded as
    Worked(*after(item)), computed where the item was parsed (so a worker's work on an item needs no
    second trip; `after` must then be a module-level function, for the pool to send it).

    Raises ExportError when the file cannot be read at all.
    """
    if isinstance(path, Export):  # opened already (by the index pass, which checked it): read, not closed here
        label = label or path.label
        context: AbstractContextManager[Export] = nullcontext(path)
    else:
        label = label or str(path)
        context = Export(path, label)
    with context as opened:
        if opened.ignored:
            listed = listing(opened.ignored)
            warn(Notice(None, f"{label}: ignored {len(opened.ignored)} member(s) that are not XML exports: {listed}"))
        for doc, stream in opened.streams():
            yield from _read_document(stream, doc.label, warn, export, pool, after)


def _read_document(
    stream: BinaryIO,
    label: str,
    warn: Warn,
    export: int,
    pool: Pool | None,
    after: Callable[[Item], tuple[Item, object]] | None,
) -> Iterator[Record | Worked]:
    """The records of one XML document (a file, or a member of an archive), as `read_export` says."""
    found = False
    scanner = xmlstream.Scanner(stream)
    seen_notes = 0
    said: set[str] = set()
    # fragments in flight: the scanner's notes before each, and its item being parsed (or its raw text)
    window: deque[tuple[list[tuple[int, str]], xmlstream._Raw, _Batch | None, int]] = deque()
    batch = _Batch(pool, (scanner.encoding, label, export, after))
    ahead = _BATCH * 4 * (getattr(pool, "_processes", 1) or 1) if pool is not None else 0

    def emit() -> Iterator[Record | Worked]:
        notes, raw, parsing, index = window.popleft()
        for line, message in notes:
            warn(Notice(Source(label, line, export=export), message))
        if raw.kind == "item":
            notices, item = (
                parsing.get(index) if parsing is not None else _parsed_item(raw, scanner.encoding, label, export, after)
            )
            for notice in notices:
                warn(notice)
            yield item
            return
        frag = xmlstream.parse_fragment(raw, scanner.encoding)
        source = Source(label, frag.line, raw.ordinal, export)
        message = "; ".join(frag.problems or (["unreadable XML"] if frag.element is None else []))
        if frag.element is None:
            message = f"header element skipped: {message}"
        if message and message not in said:  # header repairs repeat: say each once
            said.add(message)
            warn(Notice(source, message))
        if frag.element is not None:
            record = _channel_record(frag.element, source)
            if record is not None:
                yield record

    try:
        for raw in scanner.fragments():
            found = True
            notes = scanner.notes[seen_notes:]
            seen_notes = len(scanner.notes)
            if raw.kind == "item" and pool is not None:
                if batch.result is not None:  # sent: full, or its first item was wanted before
                    batch = _Batch(pool, batch.args)
                window.append((notes, raw, batch, len(batch.raws)))
                batch.raws.append(raw)
                if len(batch.raws) == _BATCH:
                    batch.send()
            else:
                window.append((notes, raw, None, 0))
            while len(window) > ahead:
                yield from emit()
        while window:
            yield from emit()
    except OSError as err:
        raise ExportError(f"{label}: read error: {err.strerror or err}") from None
    for line, message in scanner.notes[seen_notes:]:
        warn(Notice(Source(label, line, export=export), message))
    if not (found or scanner.saw_wxr):
        raise ExportError(f"{label}: not a WordPress export (no <channel> or <item> element found)")


_BATCH = 32  # items a worker parses per task: one task per item costs more in the pool than parsing


class _Batch:
    """Item fragments sent to a pool's worker as one task; read back by their index."""

    def __init__(self, pool: Pool | None, args: tuple):
        self.pool, self.args = pool, args
        self.raws: list[xmlstream._Raw] = []
        self.result: AsyncResult | None = None
        self.parsed: list[tuple[list[Notice], Item | Worked]] | None = None

    def send(self) -> None:
        assert self.pool is not None
        self.result = self.pool.apply_async(_parsed_items, (self.raws, *self.args))

    def get(self, index: int) -> tuple[list[Notice], Item | Worked]:
        if self.result is None:  # the last batch, not full: sent when its first item is wanted
            self.send()
        if self.parsed is None:
            assert self.result is not None
            self.parsed = self.result.get()
            self.raws = []
        return self.parsed[index]


def _parsed_items(
    raws: list[xmlstream._Raw],
    encoding: str,
    label: str,
    export: int,
    after: Callable[[Item], tuple[Item, object]] | None = None,
) -> list[tuple[list[Notice], Item | Worked]]:
    return [_parsed_item(raw, encoding, label, export, after) for raw in raws]


def _parsed_item(
    raw: xmlstream._Raw,
    encoding: str,
    label: str,
    export: int,
    after: Callable[[Item], tuple[Item, object]] | None = None,
) -> tuple[list[Notice], Item | Worked]:
    """One item fragment parsed (in a worker, or here), with the warnings it gave."""
    frag = xmlstream.parse_fragment(raw, encoding)
    notices: list[Notice] = []
    item = _item_record(frag, Source(label, frag.line, raw.ordinal, export), notices.append)
    return notices, Worked(*after(item)) if after is not None else item


def _item_record(frag: xmlstream.Fragment, source: Source, warn: Warn) -> Item:
    if frag.element is None:
        item = Item(source=source, damage=frag.problems or ["unreadable XML"])
    else:
        item = _item(frag.element, source)
        if frag.damaged:
            item.damage = frag.problems
        elif frag.problems:
            warn(Notice(source, "repaired: " + "; ".join(frag.problems), item.id))
    return item
