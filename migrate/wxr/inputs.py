"""The files exports come in, as users have them: a WXR file, a gzipped one (`site.xml.gz`), or a
WordPress.com `.zip` of several XML files (one site in parts, maybe in a folder of the archive).

Each is opened as the XML documents it holds, streamed (a member is never held whole in memory), a
zip's in name order. Archives are told by their first bytes, not their names. Whatever cannot be read
(a folder, a pipe, a damaged archive) is an ExportError that names the file, and the member.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import BinaryIO, Protocol, cast


class ExportError(Exception):
    """An export that cannot be read at all; the message names the file."""


PLAIN, GZIP, ZIP = "xml", "gzip", "zip"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
_READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# what a damaged archive raises while it is read: truncated gzip (EOFError), bad deflate data
# (zlib.error), bad CRC or header (BadZipFile), bad gzip header (BadGzipFile, an OSError)
_DAMAGE = (EOFError, zlib.error, zipfile.BadZipFile, gzip.BadGzipFile)


@dataclass(frozen=True)
class Document:
    """One XML document of an export: how warnings name it (`site.zip:part-2.xml`), and its path as
    if its archive were unpacked where it is (`site.zip/part-2.xml`; `site.xml` for `site.xml.gz`)."""

    label: str
    path: str


class Export:
    """One export path, opened: `kind` (xml, gzip, zip), its documents, and the members of a zip that
    are not XML (`ignored`). Use as a context manager."""

    def __init__(self, path: str | Path, label: str | None = None):
        self.path = Path(path)
        self.label = label or str(path)
        self.file = _open_file(self.path, self.label)
        self.ignored: list[str] = []
        self._zip: zipfile.ZipFile | None = None
        self._members: list[zipfile.ZipInfo] = []
        try:
            head = self.file.read(4)
            self.file.seek(0)
            self.kind = GZIP if head.startswith(b"\x1f\x8b") else ZIP if head.startswith(_ZIP_MAGIC) else PLAIN
            if self.kind == ZIP:
                self._open_zip()
        except OSError as err:
            self.close()
            raise ExportError(f"{self.label}: read error: {err.strerror or err}") from None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Export:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        self.file.close()

    @property
    def documents(self) -> list[Document]:
        if self.kind == ZIP:
            return [
                Document(f"{self.label}:{m.filename}", str(Path(self.label, *PurePosixPath(m.filename).parts)))
                for m in self._members
            ]
        if self.kind == GZIP:
            name = self.path.name
            name = name[:-3] if name.lower().endswith(".gz") and len(name) > 3 else name
            return [Document(self.label, str(Path(self.label).with_name(name)))]
        return [Document(self.label, self.label)]

    def streams(self) -> Generator[tuple[Document, BinaryIO], None, None]:
        """Each document with its bytes as a stream (decompressed), in order; each is closed once the
        next is wanted. A plain file's stream is the file itself: read as fast as ever."""
        if self.kind == PLAIN:
            yield self.documents[0], self.file
        elif self.kind == GZIP:
            doc = self.documents[0]
            with gzip.GzipFile(fileobj=self.file, mode="rb") as unzipped:
                yield doc, _checked(unzipped, doc.label, "damaged gzip data")
        else:
            assert self._zip is not None
            for doc, member in zip(self.documents, self._members, strict=True):
                try:
                    opened = self._zip.open(member)
                except (*_DAMAGE, OSError, ValueError) as err:
                    raise ExportError(f"{doc.label}: damaged zip archive: {_why(err)}") from None
                with opened:
                    yield doc, _checked(opened, doc.label, "damaged zip member")

    def sizes(self) -> list[int | None]:
        """Each document's size as its archive records it, without reading it (modulo 2**32 for a gzip
        file, whose trailer records that of its last member only); None where not known."""
        if self.kind == ZIP:
            return [m.file_size for m in self._members]
        size = os.fstat(self.file.fileno()).st_size
        if self.kind == PLAIN:
            return [size]
        if size < 18:  # no room for a header and a trailer: damaged, as reading will say
            return [None]
        self.file.seek(size - 4)
        trailer = self.file.read(4)
        self.file.seek(0)
        return [int.from_bytes(trailer, "little")]

    def digest(self, index: int, limit: int | None = None) -> str:
        """The sha256 of a document's bytes (decompressed), or of their first `limit` bytes."""
        h = hashlib.sha256()
        left = limit if limit is not None else -1  # -1: all of them
        with contextlib.closing(self.streams()) as streams:
            stream = next(itertools.islice(streams, index, None))[1]
            while left:
                chunk = stream.read(1 << 20 if left < 0 else min(left, 1 << 20))
                if not chunk:
                    break
                h.update(chunk)
                left = max(left - len(chunk), 0) if left > 0 else left
        self.file.seek(0)
        return h.hexdigest()

    def _open_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.file)
            infos = self._zip.infolist()
        except (*_DAMAGE, OSError, ValueError) as err:
            raise ExportError(f"{self.label}: damaged zip archive: {_why(err)}") from None
        for info in infos:
            if info.is_dir():
                continue
            if _is_export(info.filename):
                self._members.append(info)
            else:
                self.ignored.append(info.filename)
        self._members.sort(key=lambda m: _natural(m.filename))
        if not self._members:
            held = f"it holds only {listing(self.ignored)}" if self.ignored else "it is empty"
            raise ExportError(f"{self.label}: no XML file in the zip archive ({held})")
        for m in self._members:
            if m.flag_bits & 0x1:
                raise ExportError(f"{self.label}:{m.filename}: encrypted (a password is needed): unzip it first")
            if m.compress_type not in _READABLE:
                raise ExportError(
                    f"{self.label}:{m.filename}: compressed with a method Python cannot read "
                    f"(zip method {m.compress_type}): unzip it first"
                )


class _Reads(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class _Checked:
    """A decompressing stream whose damage is an ExportError naming the document."""

    def __init__(self, stream: _Reads, label: str, what: str):
        self.stream, self.label, self.what = stream, label, what

    def read(self, n: int = -1, /) -> bytes:
        try:
            return self.stream.read(n)
        except _DAMAGE as err:
            raise ExportError(f"{self.label}: {self.what}: {_why(err)}") from None
        except OSError as err:
            raise ExportError(f"{self.label}: read error: {err.strerror or err}") from None


def _checked(stream: _Reads, label: str, what: str) -> BinaryIO:
    return cast(BinaryIO, _Checked(stream, label, what))  # the scanner only reads


def _why(err: BaseException) -> str:
    if isinstance(err, EOFError):
        return "truncated (the file ends before its data does)"
    return str(err) or type(err).__name__


def _is_export(name: str) -> bool:
    """An XML member of a zip, not macOS's metadata beside it (`__MACOSX/`, `._name.xml`)."""
    parts = PurePosixPath(name).parts
    return bool(parts) and name.lower().endswith(".xml") and "__MACOSX" not in parts and not parts[-1].startswith("._")


def _natural(name: str) -> list[tuple[int, int | str]]:
    """Name order with numbers by value: part-2 before part-10."""
    return [(0, int(s)) if s.isdigit() else (1, s) for s in re.split(r"(\d+)", name) if s]


def listing(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a pipe (an export is read twice: give a file)",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
}


def _open_file(path: Path, label: str) -> BinaryIO:
    """The export file opened for reading; anything but a regular file is refused first (without
    O_NONBLOCK, opening a pipe would wait for a writer forever)."""
    nonblock = getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_BINARY", 0))
    except OSError as err:
        if isinstance(err, FileNotFoundError) and os.path.islink(path):
            raise ExportError(f"{label}: cannot open: a symbolic link to nothing ({os.readlink(path)})") from None
        raise ExportError(f"{label}: cannot open: {err.strerror or err}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise ExportError(f"{label}: not an export file: {_KINDS.get(stat.S_IFMT(st.st_mode), 'not a file')}")
    if st.st_size == 0:
        os.close(fd)
        raise ExportError(f"{label}: an empty file, not a WordPress export")
    if nonblock:
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def check_distinct(exports: Sequence[Export]) -> None:
    """Raise ExportError, naming both, when an export is another one again: the same file given
    twice (or through a link), or the same bytes under two names (a copy, an `.xml` and its
    `.xml.gz`, a part also inside a `.zip`).

    Only documents of one recorded size are read (first 64 KiB, then whole where those agree): parts
    of one site differ in size, so a run of distinct exports reads nothing here."""
    files: dict[tuple[int, int], str] = {}
    by_size: dict[int, list[tuple[int, int]]] = {}
    for n, export in enumerate(exports):
        st = os.fstat(export.file.fileno())
        key = (st.st_dev, st.st_ino)
        if key in files:
            label = export.label
            same = f"{label}: given twice" if files[key] == label else f"{files[key]} and {label} are the same file"
            raise ExportError(f"{same}: give each export once")
        files[key] = export.label
        for i, size in enumerate(export.sizes()):
            if size is not None:
                by_size.setdefault(size % (1 << 32), []).append((n, i))
    for group in by_size.values():
        if len(group) < 2:
            continue
        prefix: dict[str, list[tuple[int, int]]] = {}
        for n, i in group:
            prefix.setdefault(exports[n].digest(i, 1 << 16), []).append((n, i))
        for alike in prefix.values():
            whole: dict[str, tuple[int, int]] = {}
            for n, i in alike if len(alike) > 1 else ():
                first = whole.setdefault(exports[n].digest(i), (n, i))
                if first != (n, i):
                    m, j = first
                    how = "" if exports[m].kind == exports[n].kind == PLAIN else " once decompressed"
                    raise ExportError(
                        f"{exports[m].documents[j].label} and {exports[n].documents[i].label} are the same "
                        f"export (the same bytes{how}): give each export once"
                    )
