"""Putting files into the site so that no crash leaves half a file, nor a temporary file where Zola
publishes: each is filled in `.wp2zola/tmp/`, fsynced, and renamed into place.

A run's files are renamed into place unsynced, and made durable all at once before the manifest
(the commit point) is written: one sync, not one per file. A medium's digest goes into the journal just before its rename, so the next run, after a kill, can tell
the bytes this run placed from a file the user put there. A folder of the site on another file system
(static/ mounted from elsewhere) cannot take a rename from `.wp2zola/tmp/`: the file then goes
through a temporary file beside it, named in the journal first, so the next run removes it if need be.
Before the manifest is written, every folder that changed is fsynced: after a power cut, the manifest
never records a rename or a removal that did not last.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from migrate.site.errors import SiteError
from migrate.site.journal import Journal, sync_folder
from migrate.site.manifest import file_digest

TEMP_BESIDE = ".wp2zola-tmp"  # the suffix of a temporary file beside its file (another file system)


def check_writable(path: Path, doing: str = "cannot write") -> None:
    """Raise SiteError (naming `path`) when no file could be written at `path`, before anything is:
    a folder or a pipe is there, a file is in the way of its folders, a name is too long, a link
    loops, or the nearest folder that exists is read-only or not the user's. A full disk only the
    write itself can tell."""
    path = Path(path)
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise SiteError.from_os(path, err, doing) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise SiteError.from_os(path, IsADirectoryError(errno.EISDIR, "is a directory"), doing)
    if mode is not None and not stat.S_ISREG(mode):
        raise SiteError(f"{path}: {doing}: not a file (a pipe or a device)")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:  # made by the write, below the nearest that is
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY) if hasattr(os, "statvfs") else False
        code = errno.EROFS if read_only else errno.EACCES
        raise SiteError.from_os(path, OSError(code, os.strerror(code)), doing)


CACHED = 4096  # folders a cache of a run remembers (a site has one per page: not all of them)


def make_room(cache: dict[Any, Any] | set[Any]) -> None:
    """Empty a cache of folders that is full."""
    if len(cache) >= CACHED:
        cache.clear()


def write_atomic(path: Path, data: bytes | Iterable[bytes], tmp_dir: Path | None = None) -> None:
    """Write `data` (bytes, or its pieces) to `path` through a temporary file (in `tmp_dir`, else beside
    it): readers see the old file or the new one, never half."""
    Writer(path.parent if tmp_dir is None else tmp_dir).write(path, data)


def write_if_changed(path: Path, data: Iterable[bytes], tmp_dir: Path) -> bool:
    """`write_atomic`, unless the file at `path` holds these bytes already: it is then left as it was (its
    time too). Whether it was written. The pieces are made once, hashed on their way to the temporary file
    (a site's manifest is made from its whole store: hashing it first, then writing it, made it twice)."""
    writer = Writer(tmp_dir)
    h = hashlib.sha256()

    def fill(fh: BinaryIO) -> None:
        for piece in data:
            h.update(piece)
            fh.write(piece)

    mode = writer._mode_for(path)
    tmp = writer._fill(fill, mode)
    try:
        same = file_digest(path) == h.hexdigest()
    except OSError:
        same = False
    if same:
        _unlink(tmp)
        return False
    writer.place(tmp, path, mode=mode)
    return True


class Writer:
    """`sync_each`: fsync every file before its rename (one file on its own). A run writes thousands:
    it renames them unsynced and makes them all durable at once with `sync()` before the manifest."""

    def __init__(self, tmp_dir: Path, journal: Journal | None = None, site: Path | None = None, sync_each: bool = True):
        self.tmp_dir, self.journal, self.site, self.sync_each = tmp_dir, journal, site, sync_each
        self.touched: set[Path] = set()  # folders whose entries changed (kept where each is synced itself)
        self.unsynced: list[Path] = []  # files renamed without an fsync (where os.sync() does not exist)
        self.wrote = False
        # one os.sync() makes a whole run durable: then no folder need be remembered
        self._by_folder = sync_each or not hasattr(os, "sync")
        self._folders: set[Path] = set()  # folders known to exist (a cache, emptied when it grows)
        self._umask = os.umask(0)
        os.umask(self._umask)
        self._umask_mode = 0o666 & ~self._umask  # a new file's mode
        self._count = 0

    def write(self, target: Path, data: bytes | Iterable[bytes], new: bool = False) -> tuple[int, int]:
        """Put `data` at `target`; its (size, mtime in ns) as written (a rename keeps both). `new`: no
        file was at `target` when the run looked (it then takes the run's mode without a look)."""
        mode = self._umask_mode if new else self._mode_for(target)
        chunks = (data,) if isinstance(data, bytes) else data
        known: list[int] = []

        def fill(fh: BinaryIO) -> None:
            fh.writelines(chunks)
            fh.flush()
            st = os.fstat(fh.fileno())
            known[:] = (st.st_size, st.st_mtime_ns)

        tmp = self._fill(fill, mode)
        if self.place(tmp, target, mode=mode):  # copied across file systems: a file of another time
            st = os.stat(target)
            return st.st_size, st.st_mtime_ns
        return known[0], known[1]

    def copy(self, source: BinaryIO, target: Path, url: str) -> str:
        """Copy an open local file in; its sha256."""
        h = hashlib.sha256()

        def fill(fh: BinaryIO) -> None:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                h.update(chunk)
                fh.write(chunk)

        mode = self._mode_for(target)
        tmp = self._fill(fill, mode)
        self.place(tmp, target, h.hexdigest(), url, mode)
        return h.hexdigest()

    def place(self, tmp: str | Path, target: Path, sha: str = "", url: str = "", mode: int | None = None) -> bool:
        """Rename a complete temporary file over `target` (journaled first when it is a medium's).
        `mode`: the temporary file has the target's mode already (made by this writer). True when it
        was copied instead (`target` is on another file system)."""
        across = False
        if sha and self.journal is not None:
            self.journal.append(["d", self._rel(target), sha, url])
        parent = target.parent
        try:
            if parent not in self._folders:
                parent.mkdir(parents=True, exist_ok=True)
                self._known(parent)
            if mode is None:  # a fetcher's temporary file is 0600; a site's files are not
                mode = self._mode_for(target)
                os.chmod(tmp, mode)
            try:
                os.replace(tmp, target)
            except OSError as err:
                if err.errno != errno.EXDEV:
                    raise
                self._place_across(tmp, target, mode)
                across = True
        except BaseException:
            _unlink(tmp)
            raise
        self._touch(parent)
        if not self.sync_each and not hasattr(os, "sync"):
            self.unsynced.append(target)
        return across

    def remove(self, target: Path) -> None:
        target.unlink(missing_ok=True)
        self._touch(target.parent)

    def _touch(self, folder: Path) -> None:
        self.wrote = True
        if self._by_folder:
            self.touched.add(folder)

    def _known(self, folder: Path) -> None:
        make_room(self._folders)
        self._folders.add(folder)

    def sync(self) -> None:
        """Make what was written durable: the files renamed unsynced, then every folder that changed (and
        the folders that newly hold them). One os.sync() does it all where it exists (POSIX)."""
        if not self.wrote:
            return  # nothing written: a re-run that changes nothing syncs nothing (os.sync is machine-wide)
        if not self._by_folder:
            os.sync()
            self.touched.clear()
            self.wrote = False
            return
        for path in self.unsynced:
            _fsync_file(path)
        self.unsynced.clear()
        folders = set(self.touched)
        for folder in self.touched:
            if self.site is not None:
                folders.update(p for p in folder.parents if self.site in p.parents or p == self.site)
        for folder in sorted(folders):
            if folder.is_dir():
                sync_folder(folder)
        self.touched.clear()
        self.wrote = False

    def _mode_for(self, path: Path) -> int:
        try:
            return path.stat().st_mode & 0o777  # keep the mode of the file replaced
        except OSError:
            return self._umask_mode

    def _fill(self, fill: Callable[[BinaryIO], object], mode: int) -> str:
        """A new temporary file in tmp_dir, with `mode` from the start, filled by `fill`."""
        if self.tmp_dir not in self._folders:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            self._known(self.tmp_dir)
        fd, name = self._create(mode)
        try:
            with open(fd, "wb") as fh:
                if mode & self._umask:  # the umask took bits that the file replaced has
                    os.chmod(fh.fileno(), mode)
                fill(fh)
                if self.sync_each:
                    fh.flush()
                    os.fsync(fh.fileno())
        except BaseException:
            _unlink(name)
            raise
        return name

    def _create(self, mode: int) -> tuple[int, str]:
        """Open a temporary file of this process's own (the site's lock keeps other runs out; O_EXCL
        and a random part keep out what an earlier run may have left)."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        while True:
            self._count += 1
            name = os.path.join(self.tmp_dir, f"write-{os.getpid()}-{self._count}-{secrets.token_hex(3)}.part")
            try:
                return os.open(name, flags, mode), name
            except FileExistsError:
                continue

    def _place_across(self, tmp: str | Path, target: Path, mode: int) -> None:
        beside = target.parent / f".{target.name[:40]}.{secrets.token_hex(4)}{TEMP_BESIDE}"
        if self.journal is not None:
            self.journal.append(["t", self._rel(beside)])
        try:
            with open(tmp, "rb") as src, open(beside, "xb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(beside, mode)
            os.replace(beside, target)
        except BaseException:
            _unlink(beside)
            raise
        _unlink(tmp)

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.site).as_posix() if self.site is not None else str(path)


def _fsync_file(path: Path) -> None:
    try:
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
    except OSError:
        pass  # gone or unreadable since: nothing of ours to make durable there


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
