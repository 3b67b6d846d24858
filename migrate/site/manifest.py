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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple
from urllib.parse import urlsplit

from migrate.site.errors import SiteError
from migrate.store import RunStore

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


class Entry(NamedTuple):
    """What the manifest records of one file."""

    sha256: str  # of what wp2zola wrote
    origin: str | None  # whose file it is (the site's origin key); None: not recorded (an old manifest)
    stat: tuple[int, int] | None  # a medium's (size, mtime_ns) when written
    source: str  # the URL a medium came from ("" for none)


_SECTIONS = ("files", "origins", "stats", "sources")  # the manifest's tables, a column each
_COLUMNS = {"files": "sha", "origins": "origin", "stats": "size, mtime", "sources": "source"}
_BATCH = 2048  # records held before they go to the store together


class Manifest:
    """The records, in a run store of the manifest's own (a site's records are never all in memory):
    read from the file as they come, written back in pieces, each table sorted by file."""

    def __init__(self, problem: str = "", version: int = VERSION):
        self.problem = problem  # why the manifest on disk could not be used ("" when it could, or there is none)
        self.version = version  # of the manifest read; older ones are upgraded when written again
        self._store = RunStore(self)
        self._made = False
        self._pending: dict[str, Entry | None] = {}  # records not in the store yet (None: forgotten)

    @classmethod
    def read(cls, site: Path) -> Manifest:
        """The site's manifest. A missing one is an empty manifest; a corrupt one too, with `problem`
        saying so (the run reports it); a folder where the manifest should be is a SiteError."""
        path = Path(site) / MANIFEST
        try:
            fh = open_regular(path)
        except FileNotFoundError:
            return cls()
        except OSError as err:
            raise SiteError.from_os(path, err, "cannot read the manifest") from None
        manifest = cls()
        try:
            with fh:
                read = manifest._read_lines(fh)
                if not read:  # not laid out as wp2zola writes it (edited by hand): read whole
                    fh.seek(0)
                    read = manifest._read_whole(fh.read())
        except OSError as err:
            manifest._store.close()
            raise SiteError.from_os(path, err, "cannot read the manifest") from None
        except BaseException:  # a full temporary folder, say: its store goes now, not with the error
            manifest._store.close()
            raise
        if not read:
            return cls(problem=f"{path} is not a manifest wp2zola can read (corrupt); its files count as the user's")
        if manifest._made:  # an origin, a size or a source of a file not recorded: not a record
            manifest._store.query("DELETE FROM m WHERE sha IS NULL")
        return manifest

    def _read_lines(self, fh: BinaryIO) -> bool:
        """The manifest as `chunks` lays it out (a table's entry a line), read a line at a time; False
        when it is laid out otherwise (what was read so far is dropped)."""
        section = ""
        version: object = None
        batch: list[tuple] = []
        ended = False
        for n, raw in enumerate(fh):
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                return False
            body = line.removesuffix(",")
            if ended or not line or (n == 0) != (line == "{"):
                return False
            if n == 0:
                continue
            if body == "}":
                if section:
                    self._put(section, batch)
                    section, batch = "", []
                elif line == "}":
                    ended = True
                else:
                    return False
                continue
            if not section and body.endswith("{"):
                try:
                    key = json.loads(body.removesuffix("{").rstrip().removesuffix(":"))
                except ValueError:
                    return False
                if key not in _SECTIONS:
                    return False
                section = key
                continue
            try:
                pair = json.loads("{" + body + "}")
            except ValueError:
                return False
            if not isinstance(pair, dict) or len(pair) != 1:
                return False
            ((key, value),) = pair.items()
            if section:
                batch.append((key, value))
                if len(batch) >= _BATCH:
                    self._put(section, batch)
                    batch = []
            elif key == "version":
                version = value
            elif isinstance(value, dict) and value:
                return False
            # else: an empty table, or a key of no table (ignored, as a whole read ignores it)
        if not ended or section:
            return False
        self.version = version if isinstance(version, int) else 1
        return True

    def _read_whole(self, text: bytes) -> bool:
        try:
            data = json.loads(text.decode("utf-8"))
        except ValueError:
            return False
        if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
            return False
        if self._made:  # what a read of the lines took before it stopped
            self._store.query("DELETE FROM m")
        for section in _SECTIONS:
            table = data.get(section, {})
            self._put(section, list(table.items()) if isinstance(table, dict) else [])
        version = data.get("version")
        self.version = version if isinstance(version, int) else 1
        return True

    def _put(self, section: str, pairs: list[tuple[object, object]]) -> None:
        """One table's entries into the store (a value of the wrong kind is left out, as if not recorded)."""
        rows: list[tuple] = []
        for key, value in pairs:
            if section == "stats":
                if isinstance(value, list) and len(value) == 2 and all(_int64(n) for n in value):
                    rows.append((_key(str(key)), value[0], value[1]))
            elif section == "files" or value is not None:
                rows.append((_key(str(key)), str(value)))
        if not rows:
            return
        self._make()
        columns = _COLUMNS[section]
        names = [c.strip() for c in columns.split(",")]
        updates = ", ".join(f"{c} = excluded.{c}" for c in names)
        marks = ", ".join("?" for _ in names)
        self._store.execute_many(
            f"INSERT INTO m (p, {columns}) VALUES (?, {marks}) ON CONFLICT (p) DO UPDATE SET {updates}", rows
        )

    def _make(self) -> None:
        if not self._made:
            self._store.query(
                "CREATE TABLE m (p BLOB PRIMARY KEY, sha TEXT, origin TEXT, size INT, mtime INT, source TEXT)"
            )
            self._store.query("CREATE INDEX m_source ON m (source)")
            self._made = True

    def _flush(self) -> None:
        if not self._pending:
            return
        self._make()
        gone = [(_key(k),) for k, e in self._pending.items() if e is None]
        kept = [
            (_key(k), e.sha256, e.origin, *(e.stat or (None, None)), e.source)
            for k, e in self._pending.items()
            if e is not None
        ]
        self._pending = {}
        if gone:
            self._store.execute_many("DELETE FROM m WHERE p = ?", gone)
        if kept:
            self._store.execute_many(
                "INSERT OR REPLACE INTO m (p, sha, origin, size, mtime, source) VALUES (?, ?, ?, ?, ?, ?)", kept
            )

    def entry(self, path: str) -> Entry | None:
        """What is recorded of `path` (None: nothing)."""
        if path in self._pending:
            return self._pending[path]
        if not self._made:
            return None
        row = self._store.query("SELECT sha, origin, size, mtime, source FROM m WHERE p = ?", (_key(path),)).fetchone()
        return None if row is None else _entry(row[0], row[1], row[2], row[3], row[4])

    def __len__(self) -> int:
        """How many files are recorded."""
        self._flush()
        return self._store.query("SELECT count(*) FROM m").fetchone()[0] if self._made else 0

    def wrote(self, path: str) -> bool:
        return self.entry(path) is not None

    def sha(self, path: str) -> str | None:
        """The digest recorded for `path` (None: not recorded)."""
        found = self.entry(path)
        return found.sha256 if found is not None else None

    def origin(self, path: str, default: str) -> str:
        """Whose file `path` is (`default` where the manifest does not say)."""
        found = self.entry(path)
        return found.origin if found is not None and found.origin is not None else default

    def stat(self, path: str) -> tuple[int, int] | None:
        found = self.entry(path)
        return found.stat if found is not None else None

    def is_medium(self, path: str) -> bool:
        """Whether `path` was recorded with the URL it came from (its bytes are not shown in a diff)."""
        found = self.entry(path)
        return found is not None and bool(found.source)

    def unchanged_on_disk(self, path: str, target: Path) -> bool | None:
        """For a media file: True when its size and mtime are still those recorded (no need to read
        it), False when they differ, None when nothing was recorded or the file is gone."""
        known = self.stat(path)
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
        sha = self.sha(path)
        return sha is not None and (bool(self.unchanged_on_disk(path, target)) or file_digest(target) == sha)

    def record(
        self,
        path: str,
        sha256: str,
        origin: str,
        target: Path | None = None,
        source: str = "",
        known: tuple[int, int] | None = None,
    ) -> None:
        """`known`: the file's (size, mtime in ns) when the caller has them; else read from `target`."""
        if known is None and target is not None:
            st = target.stat()
            known = (st.st_size, st.st_mtime_ns)
        self._set(path, Entry(sha256, origin, known, source))

    def set_origin(self, path: str, origin: str) -> None:
        """`path` is `origin`'s now (its other records unchanged)."""
        found = self.entry(path)
        if found is not None:
            self._set(path, found._replace(origin=origin))

    def forget(self, path: str) -> None:
        self._set(path, None)

    def _set(self, path: str, entry: Entry | None) -> None:
        self._pending[path] = entry
        if len(self._pending) >= _BATCH:
            self._flush()

    def paths(self) -> Iterator[str]:
        """Every file recorded, sorted."""
        return (row[0] for row in self._rows("p"))

    def file_from(self, url: str) -> str:
        """Where the medium fetched from `url` was recorded ("" for nowhere; of two, the last by path)."""
        self._flush()
        if not self._made:
            return ""
        row = self._store.query("SELECT p FROM m WHERE source = ? ORDER BY p DESC LIMIT 1", (url,)).fetchone()
        return _path(row[0]) if row is not None else ""

    def unseen(self, walk: Callable[[Callable[[str], None]], None]) -> Iterator[str]:
        """The files recorded that `walk` does not name (it is given the function that names one),
        sorted. What it names is set aside in the store as it comes: never all in memory."""
        self._flush()
        self._store.query("CREATE TEMP TABLE IF NOT EXISTS seen (p BLOB PRIMARY KEY)")
        self._store.query("DELETE FROM seen")
        batch: list[tuple[bytes]] = []

        def seen(path: str) -> None:
            batch.append((_key(path),))
            if len(batch) >= _BATCH:
                self._store.execute_many("INSERT OR IGNORE INTO seen (p) VALUES (?)", batch)
                batch.clear()

        walk(seen)
        self._store.execute_many("INSERT OR IGNORE INTO seen (p) VALUES (?)", batch)
        if not self._made:
            return iter(())
        rows = self._store.query("SELECT p FROM m WHERE p NOT IN (SELECT p FROM seen) ORDER BY p")
        return (_path(row[0]) for row in rows)

    def stats_check(self) -> StatsCheck:
        """A check of files' sizes and times against those recorded, told one file at a time."""
        self._flush()
        return StatsCheck(self)

    def _rows(self, columns: str, where: str = "") -> Iterator[tuple]:
        self._flush()
        if not self._made:
            return iter(())
        rows = self._store.query(f"SELECT {columns} FROM m {where} ORDER BY p")
        return ((_path(row[0]), *row[1:]) for row in rows)

    def to_bytes(self) -> bytes:
        return b"".join(self.chunks())

    def chunks(self) -> Iterator[bytes]:
        """The manifest as JSON, in pieces (a site's manifest is never all in memory as text), each
        table sorted by file, an entry a line."""
        yield f'{{\n "version": {VERSION}'.encode()
        yield from _table("files", self._rows("p, sha"))
        yield from _table("origins", self._rows("p, origin", "WHERE origin IS NOT NULL"))
        yield from _table(
            "stats", ((p, [size, mtime]) for p, size, mtime in self._rows("p, size, mtime", "WHERE size IS NOT NULL"))
        )
        yield from _table("sources", self._rows("p, source", "WHERE source != ''"))
        yield b"\n}\n"

    def adopt(self, origin: str) -> int:
        """Take every file that a manifest before version 3 recorded under export file names as `origin`'s
        (the caller knows they are the same site's); how many."""
        self._flush()
        if not self._made:
            return 0
        legacy = "origin IS NOT NULL AND substr(origin, 1, 5) != 'site ' AND substr(origin, 1, 7) != 'export '"
        count = self._store.query(f"SELECT count(*) FROM m WHERE {legacy}").fetchone()[0]
        self._store.execute_many(f"UPDATE m SET origin = ? WHERE {legacy}", [(origin,)])
        return int(count)


class StatsCheck:
    """Files told (path, size, mtime in ns) are set aside in the store as they come, and compared with
    the manifest in one query at the end, not one each."""

    def __init__(self, manifest: Manifest):
        self._manifest = manifest  # (its store lives as long as it does)
        self._store = store = manifest._store
        store.query("CREATE TEMP TABLE IF NOT EXISTS told (n INTEGER PRIMARY KEY, p BLOB, size INT, mtime INT)")
        store.query("DELETE FROM told")
        self._batch: list[tuple[bytes, int, int]] = []

    def add(self, path: str, size: int, mtime: int) -> None:
        self._batch.append((_key(path), size, mtime))
        if len(self._batch) >= _BATCH:
            self._write()

    def _write(self) -> None:
        self._store.execute_many("INSERT INTO told (p, size, mtime) VALUES (?, ?, ?)", self._batch)
        self._batch.clear()

    def first_unlike(self) -> str:
        """The first file told whose size and time are not those recorded ("": none)."""
        self._write()
        if self._manifest._made:
            sql = (
                "SELECT t.p FROM told t LEFT JOIN m ON m.p = t.p "
                "WHERE m.size IS NULL OR m.size != t.size OR m.mtime != t.mtime ORDER BY t.n LIMIT 1"
            )
        else:
            sql = "SELECT p FROM told ORDER BY n LIMIT 1"
        row = self._store.query(sql).fetchone()
        return _path(row[0]) if row is not None else ""


def _key(path: str) -> bytes:
    """A file's path as the store keeps it: UTF-8 bytes (surrogates passed), which sort as Python sorts
    the strings (code point order)."""
    return path.encode("utf-8", "surrogatepass")


def _path(key: bytes) -> str:
    return key.decode("utf-8", "surrogatepass")


def _entry(sha: str, origin: str | None, size: int | None, mtime: int | None, source: str | None) -> Entry:
    return Entry(sha, origin, (size, mtime) if size is not None and mtime is not None else None, source or "")


def _int64(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and -(1 << 63) <= n < (1 << 63)


def _table(name: str, entries: Iterable[tuple[str, object]]) -> Iterator[bytes]:
    """`,\n "name": {…}` with an entry a line, in batches."""
    yield f',\n "{name}": {{'.encode()
    lines: list[str] = []
    sep = "\n  "
    for key, value in entries:
        lines.append(sep + _json(key) + ": " + _json(value))
        sep = ",\n  "
        if len(lines) >= 1024:
            yield "".join(lines).encode()
            lines = []
    yield ("".join(lines) + ("\n }" if sep != "\n  " else "}")).encode()


_string = json.encoder.encode_basestring  # what json.dumps(a str, ensure_ascii=False) is, without its setup


def _json(value: object) -> str:
    # an entry a file, two values each: the general encoder's setup cost most of writing a manifest
    text = _string(value) if type(value) is str else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone surrogate (a file name no encoding had): escaped, as JSON can
        return json.dumps(value, separators=(", ", ": "))
    return text
