"""The site's uploads: every attachment's files, and which file (of which attachment) a URL names.

WordPress keeps an upload under `wp-content/uploads/` (or `sites/N/` of it, `files/` on old
networks, `SITE.files.wordpress.com/` on WordPress.com) and makes more files from it: sizes
(`photo-300x200.jpg`), a scaled or rotated full size (`photo-scaled.jpg`), image-editor saves
(`photo-e1617181920123.jpg`). A URL's path after the uploads base is looked up among the files
the metadata lists, exactly first (real uploads can be named `x-150x150.jpg`), then with one
derived suffix taken off at a time (wordpress.md §6.2, §6.4).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import SplitResult, unquote

from cachetools import LRUCache

from migrate.store import RunStore, Table
from migrate.wxr.hosts import SiteHosts, bare, host_of, is_files_host
from migrate.wxr.hosts import split as _split
from migrate.wxr.index import Attachments
from migrate.wxr.model import Attachment

FULL, ORIGINAL, BACKUP, VARIANT = "full", "original", "backup", "variant"
PAGE_EXTENSIONS = {"html", "htm", "php", "asp", "aspx", "jsp", "cgi", "xml", "rss", "atom"}
FILE_EXTENSIONS = {
    "jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "bmp", "ico", "tif", "tiff", "heic",
    "mp3", "m4a", "ogg", "oga", "wav", "flac", "mp4", "m4v", "mov", "webm", "ogv", "wmv", "avi",
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "txt", "csv",
    "zip", "gz", "tgz", "7z", "rar", "epub", "key", "psd",
}  # fmt: skip
_UPLOADS = re.compile(r"^(.*?/wp-content/(?:uploads|blogs\.dir/\d+/files)/)", re.I)
_SUFFIXES = (
    re.compile(r"-\d+x\d+$"),  # a size
    re.compile(r"-(?:scaled|rotated)$"),  # a big image's full size
    re.compile(r"-e\d{13}$"),  # an image-editor save
    re.compile(r"(?:_thumb\d*|\.thumbnail)$"),  # Windows Live Writer's and WordPress 2.0's thumbnails
)


@dataclass(frozen=True)
class Base:
    """Where uploads live on the old site, and where they go on the new one."""

    path: str  # URL path prefix, decoded, with both slashes: "/blog/wp-content/uploads/"
    local: str  # the new site's URL path prefix for these files


@dataclass(frozen=True)
class Upload:
    """A file of the uploads folder, as a URL names it."""

    rel: str  # path below the uploads base, decoded: "2018/11/photo-300x200.jpg"
    base: Base
    attachment: Attachment | None = None
    size: str = ""  # which of the attachment's files: full, a size name, original, backup, variant

    @property
    def local(self) -> str:
        """The file's URL path on the new site (decoded)."""
        return self.base.local + self.rel


def _decoded(path: str) -> str:
    """A URL path decoded and NFC-normalized, without empty or dot segments (a `..` never climbs)."""
    text = unicodedata.normalize("NFC", unquote(path, errors="replace"))
    segments = [s for s in text.split("/") if s not in ("", ".", "..")]
    return "/" + "/".join(segments) + ("/" if text.endswith("/") and segments else "")


def _attached_file(att: Attachment) -> str:
    """`_wp_attached_file` when it is relative to the uploads folder (some exports hold a server path)."""
    return att.file if att.file and not att.file.startswith("/") else ""


def _full_rel(att: Attachment, base: Base | None) -> str:
    parts = _split(att.url)
    if base is not None and parts is not None:
        path = _decoded(parts.path)
        if path.startswith(base.path):
            return path[len(base.path) :]
    return _attached_file(att)


def _list_files(att: Attachment, full: str) -> dict[str, str]:
    if not full:
        return {}
    folder = posixpath.dirname(full)
    join = (lambda name: f"{folder}/{name}") if folder else (lambda name: name)
    files = {full: FULL}
    for name, size in att.sizes.items():
        if isinstance(size.get("file"), str) and size["file"]:
            files.setdefault(join(size["file"]), name)
    if att.original_image:
        files.setdefault(join(att.original_image), ORIGINAL)
    for name in att.backup_files:
        files.setdefault(join(name), BACKUP)
    return files


def _stem(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, dot + ext) if dot and stem else (name, "")


class _Facts(NamedTuple):
    base: Base | None  # where its files are (None: not an attachment of the library's, or no URL)
    rel: str  # its full-size file below the base
    files: dict[str, str]  # rel → which file, for every file WordPress keeps of it


_REMEMBERED = 1024  # attachments whose facts a library keeps at hand (a page refers to a few, often again)


class MediaLibrary:
    """Every attachment of the export, indexed by the files WordPress keeps for it. The index of
    files is kept in a run store (`store`: the run's, else one of its own), and an attachment's
    facts are worked out again when asked for (all of them would grow with the site)."""

    def __init__(
        self,
        attachments: Mapping[int, Attachment] | Iterable[Attachment],
        hosts: SiteHosts,
        home_path: str = "/",
        store: RunStore | None = None,
    ):
        self.hosts = hosts
        store = store or RunStore(self)
        if not isinstance(attachments, Attachments):  # a list or a dict of them (a caller of the library's)
            given = attachments.values() if isinstance(attachments, Mapping) else attachments
            attachments = Attachments(store)
            for att in given:
                attachments.add(att)
        self.attachments = attachments
        self.default = Base(home_path + "wp-content/uploads/", home_path + "wp-content/uploads/")
        self._remembered: LRUCache[int, _Facts] = LRUCache(_REMEMBERED)
        # rel → (attachment id, which file): the first attachment to claim a file keeps it
        self._files: Table[str, tuple[int, str]] = store.table()
        bases: dict[str, set[Base]] = {}
        for att in self.attachments.values():
            facts = self._work_out(att, self._attachment_base(att))
            if facts.base is not None:
                bases.setdefault(bare(host_of(att.url)), set()).add(facts.base)
            for rel, size in facts.files.items():
                if rel not in self._files:
                    self._files[rel] = (att.id, size)
        # by host, longest first: a sub-site's `uploads/sites/3/` before the network's `uploads/`
        self.bases = {host: sorted(found, key=lambda b: -len(b.path)) for host, found in bases.items()}

    # -- an attachment's files ---------------------------------------------------------------
    def _facts(self, att: Attachment) -> _Facts:
        facts = self._remembered.get(att.id)
        if facts is None:
            facts = self._work_out(att, self._attachment_base(att) if att.id in self.attachments else None)
            self._remembered[att.id] = facts
        return facts

    def _work_out(self, att: Attachment, base: Base | None) -> _Facts:
        rel = _full_rel(att, base)
        return _Facts(base, rel, _list_files(att, rel))

    def _attachment_base(self, att: Attachment) -> Base | None:
        parts = _split(att.url)
        if parts is None:
            return None
        path = _decoded(parts.path)
        file = _attached_file(att)
        if file and path.endswith("/" + file):
            prefix = path[: len(path) - len(file)]
        else:
            m = _UPLOADS.match(path)
            prefix = m.group(1) if m else posixpath.dirname(path).rstrip("/") + "/"
            if not m and re.search(r"/\d{4}/\d{2}/$", prefix):  # …/2018/11/: the base is above the dates
                prefix = prefix[:-8]
        host = (parts.hostname or "").lower()
        local = prefix if self.hosts.is_site(host) and not is_files_host(host) else self.default.local
        return Base(prefix, local)

    def rel_of(self, att: Attachment) -> str:
        """The attachment's full-size file below its uploads base."""
        return self._facts(att).rel

    def base_of(self, att: Attachment) -> Base:
        return self._facts(att).base or self.default

    def files_of(self, att: Attachment) -> Mapping[str, str]:
        """rel → which file (full, size name, original, backup) for every file WordPress keeps (the
        library's own: read, not changed)."""
        return self._facts(att).files

    def stored_name(self, att: Attachment, rel: str) -> str | None:
        """The name a file of an attachment has on the old server, as the export stores it (not
        normalized): "" for the attachment's own file (its URL says it), None when not one of its files."""
        wanted = rel.rsplit("/", 1)[-1]
        parts = _split(att.url)
        if parts is not None and _decoded(parts.path).rsplit("/", 1)[-1] == wanted:
            return ""
        names = [str(e.get("file")) for e in att.sizes.values() if e.get("file")]
        for name in [*names, att.original_image, *att.backup_files]:
            if name and unicodedata.normalize("NFC", name) == wanted:
                return name
        return None

    def file_for_size(self, att: Attachment, size: str) -> str:
        """The rel of one size of an attachment; the full size when it has no such size."""
        for rel, which in self.files_of(att).items():
            if which == size:
                return rel
        return self.rel_of(att)

    def upload_of(self, att: Attachment, size: str = FULL) -> Upload | None:
        rel = self.file_for_size(att, size) if size != FULL else self.rel_of(att)
        return Upload(rel, self.base_of(att), att, self.files_of(att).get(rel, FULL)) if rel else None

    def upload_like(self, att: Attachment, name: str, width: str = "") -> Upload | None:
        """The file of an attachment that a reference by id most likely showed: the one with the URL's
        file name, else the size of the given width, else the full size."""
        files = self.files_of(att)
        for rel, size in files.items():
            if rel.rsplit("/", 1)[-1] == name:
                return Upload(rel, self.base_of(att), att, size)
        for size_name, entry in att.sizes.items():
            if width and str(entry.get("width")) == width.strip():
                return self.upload_of(att, size_name)
        return self.upload_of(att)

    # -- a URL's file ------------------------------------------------------------------------
    def find(self, parts: SplitResult, home_host: bool = False) -> Upload | None:
        """The upload a URL names, when it is on one of the site's hosts and below an uploads base.
        `home_host`: the URL had no host (root-relative): it is on the site's own."""
        host = (parts.hostname or "").lower()
        if not home_host and not self.hosts.is_site(host):
            return None
        path = _decoded(parts.path)
        located = self._locate(path, self.hosts.home if home_host else bare(host))
        if located is None:
            return None
        base, rel = located
        if not rel or rel.endswith("/"):
            return None
        found = self._match(rel)
        if found is None:  # a file of the uploads folder the export lists no attachment for
            own = home_host or self.hosts.is_primary(host) or is_files_host(bare(host))  # SITE.files.wordpress.com is
            return Upload(rel, base) if own else None
        att, size, rel = found
        return Upload(rel, self.base_of(att), att, size)

    def site_file(self, parts: SplitResult) -> Upload | None:
        """Another file of the site's (a theme's image, a download outside the uploads folder),
        kept at its own path."""
        if parts.netloc and not self.hosts.is_primary(parts.hostname or ""):
            return None
        path = _decoded(parts.path)
        name = path.rsplit("/", 1)[-1]
        ext = name.rpartition(".")[2].lower() if "." in name else ""
        if ext in PAGE_EXTENSIONS or not ext or not (ext in FILE_EXTENSIONS or "/wp-content/" in path):
            return None
        return Upload(path.lstrip("/"), Base("/", "/"))

    def _locate(self, path: str, host: str) -> tuple[Base, str] | None:
        for base in self.bases.get(host, ()):
            if path.startswith(base.path):
                return base, path[len(base.path) :]
        m = _UPLOADS.match(path)
        if m:
            local = m.group(1) if not is_files_host(host) else self.default.local
            return Base(m.group(1), local), path[m.end() :]
        if is_files_host(host):
            return Base("/", self.default.local), path.lstrip("/")
        return None

    def _match(self, rel: str) -> tuple[Attachment, str, str] | None:
        """(attachment, which file, rel of that file) for a file name, exactly or as a derived file."""
        known = self._files.get(rel)
        if known is not None:
            return self.attachments[known[0]], known[1], rel
        folder, _, name = rel.rpartition("/")
        stem, ext = _stem(name)
        for _ in range(len(_SUFFIXES)):  # at most one of each suffix, in the order WordPress adds them
            for suffix in _SUFFIXES:
                shorter = suffix.sub("", stem)
                if shorter != stem:
                    stem = shorter
                    break
            else:
                return None
            candidate = f"{folder}/{stem}{ext}" if folder else f"{stem}{ext}"
            known = self._files.get(candidate)
            if known is not None:
                return self.attachments[known[0]], VARIANT, rel
        return None
