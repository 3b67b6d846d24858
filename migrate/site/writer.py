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
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from migrate.site.journal import Journal, sync_folder
from migrate.site.manifest import umask_mode

TEMP_BESIDE = ".wp2zola-tmp"  # the suffix of a temporary file beside its file (another file system)


def write_atomic(path: Path, data: bytes, tmp_dir: Path | None = None) -> None:
    """Write `data` to `path` through a temporary file (in `tmp_dir`, else beside it): readers see the
    old file or the new one, never half."""
    Writer(path.parent if tmp_dir is None else tmp_dir).write(path, data)


class Writer:
    """`sync_each`: fsync every file before its rename (one file on its own). A run writes thousands:
    it renames them unsynced and makes them all durable at once with `sync()` before the manifest."""

    def __init__(self, tmp_dir: Path, journal: Journal | None = None, site: Path | None = None, sync_each: bool = True):
        self.tmp_dir, self.journal, self.site, self.sync_each = tmp_dir, journal, site, sync_each
        self.touched: set[Path] = set()  # folders whose entries changed
        self.unsynced: list[Path] = []  # files renamed without an fsync (where os.sync() does not exist)

    def write(self, target: Path, data: bytes) -> None:
        tmp = self._fill(lambda fh: fh.write(data))
        self.place(tmp, target)

    def copy(self, source: BinaryIO, target: Path, url: str) -> str:
        """Copy an open local file in; its sha256."""
        h = hashlib.sha256()

        def fill(fh: BinaryIO) -> None:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                h.update(chunk)
                fh.write(chunk)

        tmp = self._fill(fill)
        self.place(tmp, target, h.hexdigest(), url)
        return h.hexdigest()

    def place(self, tmp: Path, target: Path, sha: str = "", url: str = "") -> None:
        """Rename a complete temporary file over `target` (journaled first when it is a medium's)."""
        if sha and self.journal is not None:
            self.journal.append(["d", self._rel(target), sha, url])
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, _mode_for(target))  # temporary files are made 0600; a site's files are not
            try:
                os.replace(tmp, target)
            except OSError as err:
                if err.errno != errno.EXDEV:
                    raise
                self._place_across(tmp, target)
        except BaseException:
            _unlink(tmp)
            raise
        self.touched.add(target.parent)
        if not self.sync_each and not hasattr(os, "sync"):
            self.unsynced.append(target)

    def remove(self, target: Path) -> None:
        target.unlink(missing_ok=True)
        self.touched.add(target.parent)

    def sync(self) -> None:
        """Make what was written durable: the files renamed unsynced, then every folder that changed (and
        the folders that newly hold them). One os.sync() does it all where it exists (POSIX)."""
        if not self.touched and not self.unsynced:
            return  # nothing written: a re-run that changes nothing syncs nothing (os.sync is machine-wide)
        if not self.sync_each and hasattr(os, "sync"):
            os.sync()
            self.touched.clear()
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

    def _fill(self, fill: Callable[[BinaryIO], object]) -> Path:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="write-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
                if self.sync_each:
                    fh.flush()
                    os.fsync(fh.fileno())
        except BaseException:
            _unlink(Path(name))
            raise
        return Path(name)

    def _place_across(self, tmp: Path, target: Path) -> None:
        beside = target.parent / f".{target.name[:40]}.{secrets.token_hex(4)}{TEMP_BESIDE}"
        if self.journal is not None:
            self.journal.append(["t", self._rel(beside)])
        try:
            with open(tmp, "rb") as src, open(beside, "xb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(beside, _mode_for(target))
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


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777  # keep the mode of the file replaced
    except OSError:
        return umask_mode()
