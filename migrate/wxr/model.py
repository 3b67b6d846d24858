"""The WordPress site as read from its exports, in WordPress's own words."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from migrate.store import tuple_state


def ascii_int(text: object) -> int | None:
    """Text of ASCII digits (an id, a count) as an int; None otherwise. `str.isdigit` alone also takes
    "²", which `int` refuses."""
    value = str(text)
    return int(value) if value.isascii() and value.isdigit() else None


@tuple_state
@dataclass(frozen=True, slots=True)
class Source:
    """Where something was read: file and line (1-based). It is also an item's identity in a run, so
    it holds what the layout of the files cannot share: the fragment's index in its file (two items
    on one line) and the export's index in the run (one file given twice). Messages show file:line."""

    file: str
    line: int
    ordinal: int = 0
    export: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@tuple_state
@dataclass(slots=True)
class Notice:
    """A warning for the report: where, which item (if any), what."""

    source: Source | None
    message: str
    item_id: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        item = f"item {self.item_id}: " if self.item_id is not None else ""
        return f"{where}{item}{self.message}"


@tuple_state
@dataclass(slots=True)
class Author:
    login: str
    display_name: str = ""
    email: str = ""  # read, never written out
    id: int | None = None


@tuple_state
@dataclass(slots=True)
class Term:
    taxonomy: str  # WordPress taxonomy: category, post_tag, or a custom one
    slug: str
    name: str
    parent: str = ""  # parent slug (WXR 1.0: parent name)
    description: str = ""
    id: int | None = None


@tuple_state
@dataclass(slots=True)
class ItemTerm:
    """A term as attached to an item (`<category domain=… nicename=…>`)."""

    taxonomy: str
    slug: str
    name: str


@tuple_state
@dataclass(slots=True)
class Comment:
    id: int | None
    author: str
    author_url: str
    date_gmt: str
    date: str
    content: str
    approved: str
    type: str
    parent: int
    user_id: int


@tuple_state
@dataclass(slots=True)
class Channel:
    """Site-level facts from the `<channel>` header."""

    title: str = ""
    link: str = ""
    description: str = ""
    language: str = ""
    pub_date: str = ""
    wxr_version: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""


@tuple_state
@dataclass(slots=True)
class Item:
    """One `<item>`: a post, page, attachment, menu item, or any other post type."""

    source: Source
    id: int | None = None
    type: str = ""
    status: str = ""
    title: str = ""
    link: str = ""
    guid: str = ""
    pub_date: str = ""
    creator: str = ""
    content: str = ""
    # post_content_filtered, when an exporter wrote it (Jetpack Markdown keeps its source there)
    content_filtered: str = ""
    excerpt: str = ""
    date: str = ""  # post_date, site-local time
    date_gmt: str = ""
    modified: str = ""
    modified_gmt: str = ""
    slug: str = ""  # post_name as stored (non-ASCII percent-encoded)
    parent: int = 0
    menu_order: int = 0
    password: str = ""
    sticky: bool = False
    comment_status: str = ""
    attachment_url: str = ""
    terms: list[ItemTerm] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    damage: list[str] = field(default_factory=list)  # why it could not be read whole

    def meta_values(self, key: str) -> list[str]:
        return [v for k, v in self.meta if k == key]

    def meta_value(self, key: str, default: str = "") -> str:
        for k, v in self.meta:
            if k == key:
                return v
        return default

    def without_bodies(self) -> Item:
        """A light copy for the site index: the convert pass reads the whole item from where the index
        pass set it aside."""
        copy = replace(self, content="", content_filtered="", comments=[])
        copy.meta = [(k, v) for k, v in self.meta if not k.startswith("_oembed")]
        return copy


@tuple_state
@dataclass(slots=True)
class Attachment:
    """What the media step and featured images need to know about an attachment item."""

    id: int
    url: str  # the full-size file (wp:attachment_url)
    file: str = ""  # _wp_attached_file, relative to the uploads folder
    page: str = ""  # the attachment page (its <link>)
    alt: str = ""
    caption: str = ""
    width: int | None = None
    height: int | None = None
    sizes: dict[str, dict] = field(default_factory=dict)
    original_image: str = ""  # the upload before WordPress scaled or rotated it (basename)
    backup_files: list[str] = field(default_factory=list)  # files of earlier edits (basenames)
    filesize: int | None = None
    parent: int = 0  # the post it was uploaded to (galleries without ids show these)
    menu_order: int = 0
    title: str = ""
