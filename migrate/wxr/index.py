"""The read-only site context: everything about the export except post bodies (first pass).

Converting one item needs to know about others (its author's name, its featured image, its
parent page, which URLs are taken). This pass streams every export once and keeps that, without
bodies, so the second pass can convert each item as a pure function of (item, context).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, ValuesView
from contextlib import ExitStack
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing.pool import Pool
from operator import itemgetter
from pathlib import Path

from migrate.store import Groups, Rows, RunStore, Table
from migrate.wxr import phpserial
from migrate.wxr.hosts import parse_url
from migrate.wxr.inputs import Export, check_distinct
from migrate.wxr.markup import signature, site_markup
from migrate.wxr.model import Attachment, Author, Channel, Item, Notice, Source, Term
from migrate.wxr.reader import ChannelField, Warn, Worked, read_export

_WP_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def parse_wp_date(value: str) -> datetime | None:
    """A `post_date`-style value as a naive datetime; None for zero or broken dates."""
    value = value.strip()
    if not _WP_DATE.match(value) or value.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(value)  # the pattern above holds: the same as strptime, 40 times faster
    except ValueError:
        return None


def utc_offset(local: datetime, gmt: datetime) -> timedelta | None:
    """The UTC offset that a local and a GMT date of one moment tell, if it is one a zone can have."""
    offset = local - gmt
    if abs(offset) <= timedelta(hours=14) and offset % timedelta(minutes=15) == timedelta(0):
        return offset
    return None


def aware_date(local_raw: str, gmt_raw: str, site_offset: timedelta | None) -> datetime | None:
    """A WordPress date pair (`post_date`/`post_date_gmt`, `comment_date`/`comment_date_gmt`) as one
    date with its offset: the local time with the offset the pair tells, else the GMT time, else the
    local time with the site's usual offset (drafts have no GMT date)."""
    local, gmt = parse_wp_date(local_raw), parse_wp_date(gmt_raw)
    if local is not None and gmt is not None:
        offset = utc_offset(local, gmt)
        if offset is not None:
            return local.replace(tzinfo=timezone(offset))
    if gmt is not None:
        return gmt.replace(tzinfo=UTC)
    if local is not None:
        return local.replace(tzinfo=timezone(site_offset or timedelta(0)))
    return None


def local_offset(item: Item) -> timedelta | None:
    """The site's UTC offset when this item was dated, if its two dates tell it."""
    local, gmt = parse_wp_date(item.date), parse_wp_date(item.date_gmt)
    return utc_offset(local, gmt) if local is not None and gmt is not None else None


class ItemsById(Mapping[int, Item]):
    """The indexed items by id (the first item of each id): positions in the index's rows."""

    def __init__(self, items: Rows[Item], store: RunStore):
        self._items = items
        self._positions: Table[int, int] = store.table()
        # most lookups are of ids not here (each item read asks for its own): the set answers those
        # without a query
        self._ids = store.ids()

    def add(self, item_id: int, position: int) -> None:
        self._positions[item_id] = position
        self._ids.add(item_id)

    def __getitem__(self, item_id: int) -> Item:
        if item_id not in self._ids:
            raise KeyError(item_id)
        return self._items[self._positions[item_id]]

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._ids

    def __iter__(self) -> Iterator[int]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


class Attachments(Mapping[int, Attachment]):
    """The attachments by id, kept in the run's store, and which were uploaded to which post."""

    def __init__(self, store: RunStore):
        self._by_id: Table[int, Attachment] = store.table()
        self._by_parent: Groups[int, int] = store.groups()

    def add(self, att: Attachment) -> None:
        self._by_id[att.id] = att
        self._by_parent.add(att.parent, att.id)

    def uploaded_to(self, post_id: int) -> list[Attachment]:
        """The attachments uploaded to a post, in gallery order (menu_order, then id)."""
        found = [self._by_id[i] for i in self._by_parent[post_id]]
        return sorted(found, key=lambda a: (a.menu_order, a.id))

    def has_uploads(self, post_id: int) -> bool:
        return post_id in self._by_parent

    def by_id(self) -> Iterator[Attachment]:
        """Every attachment, by id (read from disk as they come)."""
        return map(itemgetter(1), self._by_id.sorted_items())

    def values(self) -> ValuesView[Attachment]:
        return self._by_id.values()  # one walk of the table (a mapping's own would look up each id)

    def __getitem__(self, att_id: int) -> Attachment:
        return self._by_id[att_id]

    def __contains__(self, att_id: object) -> bool:
        return isinstance(att_id, int) and att_id in self._by_id

    def __iter__(self) -> Iterator[int]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)


@dataclass
class SiteContext:
    channel: Channel = field(default_factory=Channel)
    authors: dict[str, Author] = field(default_factory=dict)
    terms: dict[tuple[str, str], Term] = field(default_factory=dict)
    # light copies (no bodies), first occurrence of each id, kept on disk: `store`, as long as the context
    items: Rows[Item] = field(init=False, repr=False)
    kept: Rows[object] = field(init=False, repr=False)  # where each item read was set aside whole, if it was
    by_id: ItemsById = field(init=False, repr=False)
    duplicates: dict[Source, Source] = field(default_factory=dict)  # later copy → first
    # items whose id an earlier item has (another item: references to the id mean the first)
    id_reused: Table[Source, str] = field(init=False, repr=False)
    attachments: Attachments = field(init=False, repr=False)
    site_offset: timedelta | None = None
    reusable_blocks: dict[int, str] = field(default_factory=dict)  # wp_block id → its content
    files: list[str] = field(default_factory=list)  # the XML documents read (`inputs.Document.path`)
    # what the posts' and pages' stored content looks like (`markup.signature`), and how many have any
    signatures: Counter[str] = field(default_factory=Counter)
    posts_with_content: int = 0
    # where the items are kept (by default a store of its own, which goes with the context)
    store_in: InitVar[RunStore | None] = None
    store: RunStore = field(init=False, repr=False, compare=False)

    def __post_init__(self, store_in: RunStore | None) -> None:
        self.store = store_in if store_in is not None else RunStore(self)
        self.items = self.store.rows()
        self.kept = self.store.rows()
        self.by_id = ItemsById(self.items, self.store)
        self.id_reused = self.store.table()
        self.attachments = Attachments(self.store)

    @property
    def markup(self) -> str:
        """The markup language the site's posts are stored in, as their signatures tell."""
        return site_markup(self.signatures, self.posts_with_content)

    @property
    def home_url(self) -> str:
        for url in (self.channel.link, self.channel.base_blog_url, self.channel.base_site_url):
            parts = parse_url(url) if url else None
            if parts is not None and parts.netloc and parts.netloc.removeprefix("www.") != "wordpress.com":
                return url
        return ""

    def attached_images(self, post_id: int) -> list[Attachment]:
        """Image attachments uploaded to a post, in gallery order (menu_order, then id)."""
        return [a for a in self.attachments.uploaded_to(post_id) if _is_image(a.url)]

    def author_name(self, creator: str) -> str:
        author = self.authors.get(creator)
        return (author.display_name or author.login) if author else creator


_IMAGE_EXT = re.compile(r"\.(jpe?g|png|gif|webp|avif|bmp|svg|tiff?|heic)(?:\?|$)", re.I)


def _is_image(url: str) -> bool:
    return bool(_IMAGE_EXT.search(url))


def _attachment(item: Item) -> Attachment:
    att = Attachment(
        id=item.id or 0,
        url=(item.attachment_url or item.guid).strip(),
        file=item.meta_value("_wp_attached_file").strip(),
        page=item.link.strip(),
        alt=item.meta_value("_wp_attachment_image_alt"),
        caption=item.excerpt,
        parent=item.parent,
        menu_order=item.menu_order,
        title=item.title,
    )
    meta = _serialized_dict(item, "_wp_attachment_metadata")
    if meta is not None:
        att.width = meta.get("width") if isinstance(meta.get("width"), int) else None
        att.height = meta.get("height") if isinstance(meta.get("height"), int) else None
        att.file = att.file or str(meta.get("file") or "")
        sizes = meta.get("sizes")
        if isinstance(sizes, dict):
            att.sizes = {str(k): v for k, v in sizes.items() if isinstance(v, dict)}
        att.original_image = str(meta.get("original_image") or "")
        att.filesize = meta.get("filesize") if isinstance(meta.get("filesize"), int) else None
    saved = _serialized_dict(item, "_wp_attachment_backup_sizes")
    if saved is not None:  # the files of earlier edits: posts may still show them
        att.backup_files = [str(v["file"]) for v in saved.values() if isinstance(v, dict) and v.get("file")]
    return att


def _serialized_dict(item: Item, key: str) -> dict | None:
    """A PHP-serialized postmeta value that should be an array, or None (absent, broken, or another type)."""
    raw = item.meta_value(key)
    if not raw:
        return None
    try:
        value = phpserial.loads(raw)
    except phpserial.PhpSerialError:
        return None
    return value if isinstance(value, dict) else None


def _same_item(a: Item, b: Item) -> bool:
    return (a.type, a.link, a.slug, a.title, a.date) == (b.type, b.link, b.slug, b.title, b.date)


@dataclass
class Indexed:
    """What the index takes from one item's bodies and metadata, made where the item is parsed (a
    worker sends back this and the item without its bodies, not the bodies)."""

    signature: str | None = None  # of a post's or page's stored content, when it has any
    attachment: Attachment | None = None
    reusable: str | None = None  # a reusable block's content
    kept: object = None  # where the whole item was set aside for a later pass (see `build_context`'s `entry`)


def index_entry(item: Item) -> tuple[Item, Indexed]:
    facts = Indexed()
    if item.type in ("post", "page") and item.content.strip():
        facts.signature = signature(item.content)
    elif item.type == "attachment":
        facts.attachment = _attachment(item)
    elif item.type == "wp_block":
        facts.reusable = item.content
    return item.without_bodies(), facts


def build_context(
    paths: Iterable[str | Path],
    warn: Warn,
    on_item: Callable[[Item], None] | None = None,
    pool: Pool | None = None,
    check: Callable[[], None] | None = None,
    store: RunStore | None = None,
    entry: Callable[[Item], tuple[Item, Indexed]] = index_entry,
) -> SiteContext:
    """First pass over all exports of one site: merge headers, index items without bodies.
    `on_item` sees every item read, bodies included, before it is indexed (an audit counts what the
    bodies hold in this same pass instead of reading the exports again). `pool`: items are parsed
    by its workers, which send back only what the index keeps (unless `on_item` wants the bodies);
    the result is the same. `check` is called for each item (a run that was asked to stop ends there).
    `store`: where the index keeps the items (by default, a store of its own). `entry`: what the index
    takes from an item, where it is parsed (`index_entry`, or one that also sets the whole item aside
    and says where in `Indexed.kept`: those are in `kept`, one for each item read, in file order; a
    module-level function, for the pool to send it)."""
    with ExitStack() as opened:  # every export opens, and none is given twice, before any is read
        exports = [opened.enter_context(Export(path, str(path))) for path in paths]
        check_distinct(exports)
        return _index(exports, warn, on_item, pool, check, store, entry)


def _index(
    exports: list[Export],
    warn: Warn,
    on_item: Callable[[Item], None] | None,
    pool: Pool | None,
    check: Callable[[], None] | None,
    store: RunStore | None,
    entry: Callable[[Item], tuple[Item, Indexed]] = index_entry,
) -> SiteContext:
    ctx = SiteContext(store_in=store)
    offsets: Counter[timedelta] = Counter()
    for n, export in enumerate(exports):  # n: the export's index, part of each item's identity
        label = export.label
        ctx.files.extend(doc.path for doc in export.documents)
        versions: dict[str, ChannelField | None] = {doc.label: None for doc in export.documents}
        for record in read_export(export, warn, label, n, pool, entry if on_item is None else None):
            if check is not None:
                check()
            if isinstance(record, Item):  # its bodies are here for on_item: the index still keeps the same
                if on_item is not None:
                    on_item(record)
                record = Worked(*entry(record))
            if isinstance(record, ChannelField):
                if record.name == "wxr_version" and versions.get(record.source.file, record) is None:
                    versions[record.source.file] = record
                current = getattr(ctx.channel, record.name)
                if not current:
                    setattr(ctx.channel, record.name, record.value)
                elif (
                    record.name in ("link", "base_blog_url")
                    and record.value
                    and record.value.rstrip("/") != current.rstrip("/")
                ):
                    warn(
                        Notice(
                            record.source,
                            f"{record.name} {record.value} differs from {current} of an earlier file; using the first",
                        )
                    )
            elif isinstance(record, Author):
                known = ctx.authors.get(record.login)
                if known is None or (not known.display_name and record.display_name):
                    ctx.authors[record.login] = record
            elif isinstance(record, Term):
                key = (record.taxonomy, record.slug)
                if key not in ctx.terms:
                    ctx.terms[key] = record
            elif isinstance(record, Worked):
                light = record.item
                assert isinstance(record.result, Indexed)
                facts = record.result
                if facts.kept is not None:  # every item read, later copies too: a later pass reads them all
                    ctx.kept.append(facts.kept)
                first = ctx.by_id.get(light.id) if light.id is not None and not light.damage else None
                if first is not None:
                    if _same_item(first, light):  # split exports repeat items: the first copy counts
                        ctx.duplicates[light.source] = first.source
                        continue
                    warn(
                        Notice(
                            light.source,
                            f"id {light.id} is also used by another item at {first.source}; "
                            "both are kept, references to the id mean the first",
                            light.id,
                        )
                    )
                    ctx.id_reused[light.source] = ""
                position = ctx.items.append(light)
                if first is None and light.id is not None and not light.damage:
                    ctx.by_id.add(light.id, position)
                    offset = local_offset(light)
                    if offset is not None:
                        offsets[offset] += 1
                    if facts.attachment is not None:
                        ctx.attachments.add(facts.attachment)
                    elif facts.signature is not None:
                        ctx.posts_with_content += 1
                        ctx.signatures[facts.signature] += 1
                    if facts.reusable is not None:  # reusable blocks are content of other posts
                        ctx.reusable_blocks[light.id] = facts.reusable
        for doc_label, version in versions.items():  # each document of the export (a zip's parts) says its own
            if version is None or version.value not in ("1.0", "1.1", "1.2"):
                said = f"wxr_version {version.value!r} is not one WordPress writes" if version else "no wxr_version"
                where = version.source if version else Source(doc_label, 1, export=n)
                warn(Notice(where, f"{said}; read as WXR by its elements"))
    if offsets:
        top = max(offsets.values())
        ctx.site_offset = min(o for o, n in offsets.items() if n == top)
    return ctx
