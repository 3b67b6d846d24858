"""Where each file goes on the new site, and where it is taken from.

The default keeps every upload at its old URL path under `static/`, so
`/blog/wp-content/uploads/2018/11/x.png` still resolves on the new site and old hotlinks keep
working. With page bundles, a file that belongs to one published page (uploaded to it, and used
by no other page) sits beside that page's `index.md` and is linked by its bare name; every other
file stays in `static/`. External images, when fetched, go under `static/external/HOST/`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote

from cachetools import LRUCache

from migrate.media.library import FULL, MediaLibrary, Upload
from migrate.store import tuple_state
from migrate.wxr.hosts import bare, parse_url
from migrate.wxr.model import Attachment
from migrate.zola.urls import url_path

_FS_BAD = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\]')


@tuple_state
@dataclass(frozen=True, slots=True)
class Placed:
    """One file of the new site that pages reference."""

    url: str  # what pages write: "/blog/wp-content/uploads/2018/11/x.png", or "x.png" inside its bundle
    file: str  # the file, relative to the site: "static/blog/wp-content/uploads/2018/11/x.png"
    source: str  # the URL it is fetched from
    local: str = ""  # the user's local copy of it (--uploads-dir), when there is one
    size: int | None = None
    attachment: int | None = None


@dataclass(frozen=True)
class Bundle:
    """A page written as a bundle: `content/<folder>/index.md`, published at `path`."""

    folder: str  # relative to the site: "content/blog/2018/11/hello"
    path: str  # URL path: "/blog/2018/11/hello/"


_COPIES_KEPT = 4096


class Layout:
    def __init__(
        self,
        library: MediaLibrary,
        home_url: str,
        *,
        originals: bool = False,
        uploads_dir: Path | None = None,
        owners: dict[int, Bundle] | None = None,
    ):
        self.library = library
        home = parse_url(home_url) if home_url else None
        self.scheme = home.scheme if home and home.scheme in ("http", "https") else "https"
        self.host = home.netloc if home else ""
        self.originals = originals
        self.uploads_dir = uploads_dir
        self.owners = owners or {}  # attachment id → the bundle it lives in
        # (base, rel) → its local copy, for the files met last (a page's files are met again by the
        # next steps; every file's would grow with the site)
        self._copies: LRUCache[tuple[str, str], str] = LRUCache(_COPIES_KEPT)

    def upload(self, upload: Upload) -> Upload:
        """The file pages should reference for this upload: with --originals, the full size."""
        if self.originals and upload.attachment is not None and upload.size != FULL:
            return self.library.upload_of(upload.attachment) or upload
        return upload

    def attachment_file(self, att: Attachment) -> Placed | None:
        """An attachment's full-size file on the new site (the featured image, the attachment page's
        target, the upload every old link to it reaches); None when it has none, or may not be published."""
        upload = self.library.upload_of(att)
        placed = self.place(upload) if upload is not None else None
        return placed if placed is not None and publishable(placed.file) else None

    def place(self, upload: Upload, seen: SplitResult | None = None, page: Bundle | None = None) -> Placed:
        """Where an upload goes; `seen` is the URL it was found under (its host serves it when the
        attachment does not say), `page` the bundle of the page that references it."""
        att = upload.attachment
        source = self._source(upload, seen)
        local = self._local_copy(upload)
        size = att.filesize if att is not None and upload.size == FULL else None
        owner = self.owners.get(att.id) if att is not None else None
        if owner is not None:
            name = _file_name(upload.rel.rsplit("/", 1)[-1])
            url = url_path(name) if page == owner else url_path(owner.path + name)
            return Placed(url, f"{owner.folder}/{name}", source, local, size, att.id if att else None)
        decoded = _clean(upload.local)
        return Placed(url_path(decoded), "static" + decoded, source, local, size, att.id if att else None)

    def external(self, parts: SplitResult) -> Placed | None:
        """An image of another site, fetched into `static/external/HOST/…`; one whose URL differs only
        in its query gets a name of its own (`photo.jpg?w=400` → `photo-3f2a9c1b.jpg`)."""
        host = bare((parts.hostname or "").lower())
        path = _clean("/external/" + host + "/" + unquote(parts.path).lstrip("/"))
        if path.endswith("/") or path.rsplit("/", 1)[-1] == host:
            path = path.rstrip("/") + "/index"
        if parts.query:
            stem, dot, ext = path.rpartition(".")
            tag = hashlib.sha256(parts.query.encode()).hexdigest()[:8]
            path = f"{stem}-{tag}.{ext}" if dot and "/" not in ext else f"{path}-{tag}"
        if not publishable(path):
            return None
        source = f"{parts.scheme or 'https'}://{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return Placed(url_path(path), "static" + path, source)

    def _source(self, upload: Upload, seen: SplitResult | None) -> str:
        """Where a file is fetched from: an attachment's file beside the attachment's own URL, under the
        name WordPress stored (byte for byte: a decomposed é stays decomposed); another file at the URL
        it was found under; else its path on the home host."""
        att = upload.attachment
        own = parse_url(att.url) if att is not None else None
        if att is not None and own is not None and own.netloc:
            name = self.library.stored_name(att, upload.rel)
            if name == "":  # the attachment's own file
                return f"{own.scheme or self.scheme}://{own.netloc}{own.path}"
            folder = own.path.rsplit("/", 1)[0]
            if name is None and seen is not None:  # a variant the metadata does not list: the name as seen
                name = unquote(seen.path.rsplit("/", 1)[-1])
            if name:
                return f"{own.scheme or self.scheme}://{own.netloc}{folder}/{url_path(name)}"
        if seen is not None and seen.netloc and seen.path.startswith("/"):
            return f"{seen.scheme or self.scheme}://{seen.netloc}{seen.path}"
        return f"{self.scheme}://{self.host}{url_path(upload.base.path + upload.rel)}"

    def _local_copy(self, upload: Upload) -> str:
        """The file in the user's copy of wp-content/uploads, if it has it."""
        if self.uploads_dir is None:
            return ""
        key = (upload.base.path, upload.rel)
        found = self._copies.get(key)
        if found is None:
            found = self._copies[key] = self._find_copy(upload, self.uploads_dir)
        return found

    def _find_copy(self, upload: Upload, uploads_dir: Path) -> str:
        below = upload.base.path.split("/wp-content/uploads/", 1)
        candidates = [upload.rel]
        if len(below) == 2 and below[1]:  # a sub-site's `sites/3/`, kept in a copy of the whole folder
            candidates.insert(0, below[1] + upload.rel)
        root = uploads_dir.resolve()
        for rel in candidates:
            for form in dict.fromkeys([rel, unicodedata.normalize("NFD", rel)]):  # macOS kept names decomposed
                path = (root / form.lstrip("/")).resolve()
                if path.is_relative_to(root) and path.is_file():  # never a file outside the copy
                    return str(path)
        return ""


# files a web server may run rather than serve: never published from another site or an upload
_SCRIPTS = {
    "php",
    "php3",
    "php4",
    "php5",
    "php7",
    "php8",
    "phtml",
    "phar",
    "pht",
    "cgi",
    "pl",
    "py",
    "rb",
    "sh",
    "asp",
    "aspx",
    "ashx",
    "jsp",
    "jspx",
    "shtml",
    "shtm",
    "htaccess",
    "htpasswd",
}


def publishable(path: str) -> bool:
    """A file the new site may publish: not a server-side script, not a hidden file (`.htaccess`)."""
    name = path.rsplit("/", 1)[-1].lower()
    return bool(name) and not name.startswith(".") and not set(name.split(".")[1:]) & _SCRIPTS


def _clean(path: str) -> str:
    """A decoded URL path that every file system takes: no control or reserved characters, no dot
    segments."""
    segments = [_FS_BAD.sub("-", s) for s in path.split("/") if s not in ("", ".", "..")]
    return "/" + "/".join(segments)


def _file_name(name: str) -> str:
    """A file name for a bundle: no reserved characters, and no leading dot (hidden; `..` would escape)."""
    return _FS_BAD.sub("-", name).lstrip(".") or "file"
