"""The plan: every file of the Zola site and the fate of every item, as data.

Nothing here writes into the site. A planned file has its bytes (content, sections, config,
templates, redirect maps) or, for media, a reference: the URL it is fetched from, or a local copy it
is taken from. The bytes are set aside in a spool outside the site as they are made, so the plan's
memory does not grow with the site's size. `apply` compares the plan with the site on disk and either carries it out or prints
it (the dry run is the same plan).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import BinaryIO

from migrate.site.errors import SiteError
from migrate.site.outcomes import DRAFT, PUBLISH, SKIP, Outcome
from migrate.store import Rows, RunStore, Table, sorted_items, tuple_state
from migrate.store.scratch import scratch_folder
from migrate.wxr.model import Notice
from migrate.zola.redirects import Redirect


@tuple_state
@dataclass(frozen=True, slots=True)
class FileRef:
    """A file whose bytes are elsewhere: fetched from `url`, or copied from `local` when given."""

    url: str
    local: str = ""  # a file of the user's local copy of the uploads folder
    size: int | None = None  # once known (a local copy, the attachment's metadata)


@tuple_state
@dataclass(frozen=True, slots=True)
class Stored:
    """Where a planned file's bytes were set aside (a spool file, at an offset), and their digest."""

    spool: str
    offset: int
    size: int
    sha: str

    def read(self) -> bytes:
        return b"".join(self.pieces())

    def pieces(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The bytes, a piece at a time (a redirect map or the comments' export is never whole in memory)."""
        fh = _reader(self.spool)
        offset, left = self.offset, self.size
        while left:
            fh.seek(offset)  # each time: another file of the same spool may be read between two pieces
            piece = fh.read(min(size, left))
            if not piece:
                raise OSError(f"{self.spool}: the spool is shorter than its records")
            offset += len(piece)
            left -= len(piece)
            yield piece


# (process, spool file) → the file open for reading: a site's files are read back one after another,
# an open each would cost as much as the read (a forked process opens its own: no shared offset)
_readers: dict[tuple[int, str], BinaryIO] = {}


def _reader(path: str) -> BinaryIO:
    key = (os.getpid(), path)
    fh = _readers.get(key)
    if fh is None:
        fh = _readers[key] = open(path, "rb")  # noqa: SIM115 - closed with its spool
    return fh


class Spool:
    """Set-aside bytes of planned files: a folder outside the site, one append-only file per process
    writing to it (a worker forked from the planner writes a file of its own). The file is closed and
    the folder removed when the plan that owns it is gone, or at exit."""

    def __init__(self, owner: object):
        try:  # locked while the run lives: a later run sweeps it if this one is killed
            self._lock, self.folder = scratch_folder("spool")
        except OSError as err:
            raise _spool_error(tempfile.gettempdir(), err) from None
        self._owner_pid = os.getpid()
        self.close = weakref.finalize(owner, self._discard)  # (called early, it runs once: then never again)
        self._fd = -1
        self._pid = -1
        self._path = ""
        self._end = 0

    def put(self, data: bytes | Iterable[bytes]) -> Stored:
        """Set aside `data` (bytes, or its pieces, written as they come)."""
        h = hashlib.sha256()
        size = 0
        try:
            if self._pid != os.getpid():  # first use in this process
                path = os.path.join(self.folder, f"spool-{os.getpid()}")
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
                fd = os.open(path, flags, 0o600)
                # a process id seen again in this spool (reused) appends to the file its first holder left
                self._fd, self._pid, self._path, self._end = fd, os.getpid(), path, os.fstat(fd).st_size
            for piece in (data,) if isinstance(data, bytes) else data:
                h.update(piece)
                size += len(piece)
                view = memoryview(piece)
                while view:
                    view = view[os.write(self._fd, view) :]
        except OSError as err:
            raise _spool_error(self.folder, err) from None
        offset = self._end
        self._end += size
        return Stored(self._path, offset, size, h.hexdigest())

    def _discard(self) -> None:
        if os.getpid() != self._owner_pid:  # a forked process: the plan lives on in its parent
            return
        if self._pid == self._owner_pid:
            os.close(self._fd)
        for key in [k for k in _readers if os.path.dirname(k[1]) == self.folder]:
            _readers.pop(key).close()
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock >= 0:
            os.close(self._lock)


def _spool_error(folder: str, err: OSError) -> SiteError:
    """Not an OSError: a reader that calls the planner (its workers) must not take it for its own."""
    return SiteError.from_os(
        folder,
        err,
        "cannot set aside the planned files in the system's temporary folder",
        "nothing was written to the site: free some space there (or set TMPDIR to another folder) and run again",
    )


@tuple_state
@dataclass(slots=True)
class PlannedFile:
    path: str  # relative to the site root, with "/"
    role: str  # content | section | config | template | media | redirects
    body: bytes | Stored | None = None  # the bytes, or where they are set aside; None for a file by reference
    ref: FileRef | None = None
    keep_existing: bool = False  # an existing file of the user's here wins (sections of an existing site)
    used_by: list[str] = field(default_factory=list)  # media: the items that reference it ("id 12 /x/")

    @property
    def data(self) -> bytes | None:
        """The file's bytes (read back from the spool where they were set aside)."""
        return self.body.read() if isinstance(self.body, Stored) else self.body

    def pieces(self) -> Iterable[bytes]:
        """The file's bytes in pieces, as they are read back (none for a file by reference)."""
        if isinstance(self.body, Stored):
            return self.body.pieces()
        return (self.body,) if self.body is not None else ()

    @property
    def sha(self) -> str:
        """sha256 of the bytes ("" for a file by reference)."""
        if isinstance(self.body, Stored):
            return self.body.sha
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else ""


@dataclass
class Plan:
    # in memory, or kept in a run store (`keep_in`): those that grow with the site
    files: MutableMapping[str, PlannedFile] = field(default_factory=dict)
    outcomes: list[Outcome] | Rows[Outcome] = field(default_factory=list)
    notices: list[Notice] | Rows[Notice] = field(default_factory=list)
    taxonomies: list[str] = field(default_factory=list)
    new_site: bool = True
    config_required: list[str] = field(default_factory=list)  # what an existing site's config lacks
    # (?p= URL, new path): server redirects
    plain_urls: list[tuple[str, str]] | Rows[tuple[str, str]] = field(default_factory=list)
    unknown_shortcodes: Counter = field(default_factory=Counter)  # name → items where it stayed text
    plugin_blocks: Counter = field(default_factory=Counter)  # block name → items using it
    dropped: Counter = field(default_factory=Counter)  # what rendered to nothing → items
    links: Counter = field(default_factory=Counter)  # what old-site links became (internal, file, term, …)
    external_media: dict[str, list[str]] = field(default_factory=dict)  # not fetched: URL → items
    fetch_hosts: list[str] = field(default_factory=list)  # the hosts media may be fetched from
    # what only servers (or static pages) redirect
    redirects: list[Redirect] | Rows[Redirect] = field(default_factory=list)
    nextpage_items: int = 0
    comments: Counter = field(default_factory=Counter)  # read, written (comments and pings)
    comments_left_out: Counter = field(default_factory=Counter)  # reason → comments not written
    base_url: str = ""
    exports: list[str] = field(default_factory=list)  # the export file names this plan was made from
    origin: str = ""  # the site the exports are of (its address): whose files a later run may remove
    title: str = ""  # the site's title, as text
    spool: Spool | None = field(default=None, repr=False, compare=False)  # where added bytes are set aside
    store: RunStore | None = field(default=None, repr=False, compare=False)  # where files and outcomes are kept

    def keep_in(self, store: RunStore) -> None:
        """Keep the files, outcomes, notices and plain URLs in `store` from now on (those already planned
        move there)."""
        files: Table[str, PlannedFile] = store.table()
        files.update(self.files)
        outcomes: Rows[Outcome] = store.rows()
        outcomes.extend(self.outcomes)
        notices: Rows[Notice] = store.rows()
        notices.extend(self.notices)
        plain_urls: Rows[tuple[str, str]] = store.rows()
        plain_urls.extend(self.plain_urls)
        self.files, self.outcomes, self.notices, self.plain_urls = files, outcomes, notices, plain_urls
        self.store = store

    def files_in_order(self) -> Iterator[tuple[str, PlannedFile]]:
        """(path, file) by path."""
        return sorted_items(self.files)

    def add(self, f: PlannedFile, pieces: Iterable[bytes] | None = None) -> None:
        """Plan `f`, whose bytes are its body or, when given, `pieces` of them (set aside one by one)."""
        if f.path in self.files:  # the URL planner gives unique files; this guards its promise
            raise RuntimeError(f"two planned files at {f.path}")
        if pieces is not None:
            f.body = self.spool.put(pieces) if self.spool is not None else b"".join(pieces)
        elif self.spool is not None and isinstance(f.body, bytes):
            f.body = self.spool.put(f.body)
        self.files[f.path] = f

    def warn(self, notice: Notice) -> None:
        self.notices.append(notice)

    def counts(self) -> dict[str, int]:
        counts = {"read": len(self.outcomes), PUBLISH: 0, DRAFT: 0, SKIP: 0}
        for o in self.outcomes:
            counts[o.outcome] += 1
        counts["warnings"] = len(self.notices)
        return counts

    def media(self) -> Iterator[PlannedFile]:
        return (f for f in self.files.values() if f.ref is not None)
