"""The manifest (`.wp2zola/manifest.json`): what wp2zola last wrote to each file of the site.

It tells the tool's own files from the user's: a file whose bytes differ from the record was
edited by hand. Read once per run, written last (it records only what is on disk). Media files
also record their size and modification time, so a re-run need not read them again.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from migrate.site.errors import SiteError

MANIFEST = ".wp2zola/manifest.json"
VERSION = 3  # 3: origins name the site, not the export files; temporary files live in .wp2zola/tmp


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a regular file's bytes, read in chunks (an OSError for anything else, see `open_regular`)."""
    h = hashlib.sha256()
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def origin_key(exports: list[str]) -> str:
    """The origin that manifests before version 3 recorded: the export file names ("a.xml b.xml")."""
    return " ".join(sorted(exports))


def site_origin(home_url: str, title: str, exports: list[str]) -> str:
    """Whose files these are: the site's address ("example.com/blog"), the same whatever the export
    file is called (WordPress dates its names); an export without an address is known by its title
    and file names."""
    parts = urlsplit(home_url.strip()) if "//" in home_url else None
    host = parts.netloc.rpartition("@")[2].lower().removeprefix("www.") if parts is not None else ""
    if parts is not None and host:
        return "site " + host + parts.path.rstrip("/")
    return "export " + digest(("\n".join([title, *sorted(exports)])).encode())[:16]


def open_regular(path: Path) -> BinaryIO:
    """A regular file, opened to read; anything else is an OSError before it is read (a pipe would
    wait for a writer forever)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        raise OSError(None, "not a file (a pipe or a device)", str(path))
    return os.fdopen(fd, "rb")


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file (see `open_regular`)."""
    with open_regular(path) as fh:
        return fh.read()


@dataclass
class Manifest:
    files: dict[str, str] = field(default_factory=dict)  # file → sha256 of what wp2zola wrote
    origins: dict[str, str] = field(default_factory=dict)  # file → origin key
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # media file → (size, mtime_ns) when written
    sources: dict[str, str] = field(default_factory=dict)  # media file → the URL it came from

    problem: str = ""  # why the manifest on disk could not be used ("" when it could, or there is none)
    version: int = VERSION  # of the manifest read; older ones are upgraded when written again

    @classmethod
    def read(cls, site: Path) -> Manifest:
        """The site's manifest. A missing one is an empty manifest; a corrupt one too, with `problem`
        saying so (the run reports it); a folder where the manifest should be is a SiteError."""
        path = Path(site) / MANIFEST
        try:
            text = read_regular(path)
        except FileNotFoundError:
            return cls()
        except OSError as err:
            raise SiteError.from_os(path, err, "cannot read the manifest") from None
        try:
            data = json.loads(text.decode("utf-8"))
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
            return cls(problem=f"{path} is not a manifest wp2zola can read (corrupt); its files count as the user's")

        def table(name: str) -> dict:
            value = data.get(name, {})
            return value if isinstance(value, dict) else {}

        stats = {}
        for k, v in table("stats").items():
            if isinstance(v, list) and len(v) == 2 and all(isinstance(n, int) for n in v):
                stats[str(k)] = (v[0], v[1])
        version = data.get("version")
        return cls(
            {str(k): str(v) for k, v in table("files").items()},
            {str(k): str(v) for k, v in table("origins").items()},
            stats,
            {str(k): str(v) for k, v in table("sources").items()},
            version=version if isinstance(version, int) else 1,
        )

    def wrote(self, path: str) -> bool:
        return path in self.files

    def unchanged_on_disk(self, path: str, target: Path) -> bool | None:
        """For a media file: True when its size and mtime are still those recorded (no need to read
        it), False when they differ, None when nothing was recorded or the file is gone."""
        known = self.stats.get(path)
        if known is None:
            return None
        try:
            st = target.stat()
        except OSError:
            return None
        return (st.st_size, st.st_mtime_ns) == known

    def still_ours(self, path: str, target: Path) -> bool:
        """Whether the file at `target` still has the bytes recorded for `path`: its size and time say
        so (media), or its digest does."""
        return path in self.files and (
            bool(self.unchanged_on_disk(path, target)) or file_digest(target) == self.files[path]
        )

    def record(self, path: str, sha256: str, origin: str, target: Path | None = None, source: str = "") -> None:
        self.files[path] = sha256
        self.origins[path] = origin
        if target is not None:
            st = target.stat()
            self.stats[path] = (st.st_size, st.st_mtime_ns)
        else:
            self.stats.pop(path, None)
        if source:
            self.sources[path] = source
        else:
            self.sources.pop(path, None)

    def by_source(self) -> dict[str, str]:
        """The URL a medium came from → where it is, for the files still recorded."""
        return {url: path for path, url in sorted(self.sources.items()) if path in self.files}

    def forget(self, path: str) -> None:
        self.files.pop(path, None)
        self.origins.pop(path, None)
        self.stats.pop(path, None)
        self.sources.pop(path, None)

    def to_bytes(self) -> bytes:
        return b"".join(self.chunks())

    def chunks(self) -> Iterator[bytes]:
        """The manifest as JSON, in pieces (a site's manifest is never all in memory as text), each
        table sorted by file."""
        yield f'{{\n "version": {VERSION}'.encode()
        tables = (("files", self.files), ("origins", self.origins), ("stats", self.stats), ("sources", self.sources))
        for name, table in tables:
            yield from _table(name, table, self.files)
        yield b"\n}\n"

    def copy(self) -> Manifest:
        return Manifest(
            dict(self.files), dict(self.origins), dict(self.stats), dict(self.sources), self.problem, self.version
        )

    def adopt(self, origin: str) -> int:
        """Take every file that a manifest before version 3 recorded under export file names as `origin`'s
        (the caller knows they are the same site's); how many."""
        legacy = [k for k, v in self.origins.items() if not v.startswith(("site ", "export "))]
        for k in legacy:
            self.origins[k] = origin
        return len(legacy)


def _table(name: str, table: Mapping[str, object], files: Mapping[str, str]) -> Iterator[bytes]:
    """`,\n "name": {…}` with the entries of the files still recorded, a line each, in batches."""
    yield f',\n "{name}": {{'.encode()
    lines: list[str] = []
    sep = "\n  "
    for key in sorted(table):
        if key not in files:
            continue
        value = table[key]
        lines.append(sep + _json(key) + ": " + _json(list(value) if isinstance(value, tuple) else value))
        sep = ",\n  "
        if len(lines) >= 1024:
            yield "".join(lines).encode()
            lines = []
    yield ("".join(lines) + ("\n }" if sep != "\n  " else "}")).encode()


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
