"""One run at a time on a site: a lock held from reading the site to writing its manifest.

The operating system's file lock (filelock: fcntl on POSIX, msvcrt on Windows) goes with the
process, so a run that is killed leaves no lock behind to clear by hand. A second run refuses at
once with one line rather than waiting: the user can tell two terminals apart, and a batch job
should not hang.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from types import TracebackType

import filelock

from migrate.site.errors import SiteBusy, SiteError

LOCK = ".wp2zola/lock"
PRIVATE = ".wp2zola"
TMP_DIR = ".wp2zola/tmp"  # inside the site, never published by Zola, on the same file system as the site


class SiteLock:
    """`with SiteLock(site):` makes the site folder if needed, and holds its lock.

    A run that fails before writing anything leaves no trace: what the lock made (the site folder,
    its `.wp2zola/`) is removed again when nothing else is in it.
    """

    def __init__(self, site: Path):
        self.site = Path(site)
        self._made: list[Path] = []
        self._lock: filelock.BaseFileLock | None = None

    def __enter__(self) -> SiteLock:
        if self.site.exists() and not self.site.is_dir():
            raise SiteError(f"{self.site}: not a folder (--out names the folder of the Zola site)")
        for folder in (self.site, self.site / PRIVATE):
            if not folder.is_dir():
                if folder.is_symlink():  # and not to a folder: to nothing, or round a loop
                    self._undo()
                    raise _dead_link(folder)
                if folder.exists():
                    self._undo()
                    in_the_way = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
                    raise SiteError.from_os(folder, in_the_way, "cannot make the folder")
                try:
                    folder.mkdir(parents=True, exist_ok=True)  # another run may make it at the same moment
                except OSError as err:
                    self._undo()
                    raise SiteError.from_os(folder, err, "cannot make the folder") from None
                self._made.append(folder)
        self._lock = filelock.FileLock(self.site / LOCK, timeout=0)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            self._lock = None
            raise SiteBusy(f"{self.site}: another wp2zola run is writing this site; wait for it to end") from None
        except OSError as err:
            self._lock = None
            self._undo()
            raise SiteError.from_os(self.site / LOCK, err, "cannot lock the site") from None
        clean_tmp(self.site)  # whatever a dead run left there is ours and unfinished
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._undo()  # while still holding the lock: no other run may be inside the folders removed
        if self._lock is not None:
            self._lock.release()

    @staticmethod
    def check_free(site: Path) -> None:
        """Raise SiteBusy when another run holds the site's lock (writing nothing when none does)."""
        path = Path(site) / LOCK
        if not path.is_file():
            return
        lock = filelock.FileLock(path, timeout=0)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise SiteBusy(f"{site}: another wp2zola run is writing this site; wait for it to end") from None
        except OSError:
            return  # a lock file we cannot open (a read-only site): no run of ours is writing there
        lock.release()

    def _undo(self) -> None:
        """Remove the folders this lock made, when nothing but the lock is in them."""
        for folder in reversed(self._made):
            try:
                leftovers = {p.name for p in folder.iterdir()}
            except OSError:
                continue
            if leftovers <= {"lock", "tmp", PRIVATE}:
                shutil.rmtree(folder, ignore_errors=True)
        self._made = []


def _dead_link(folder: Path) -> SiteError:
    try:
        os.stat(folder)
    except FileNotFoundError:
        return SiteError(f"{folder}: cannot make the folder: a symbolic link to nothing ({os.readlink(folder)})")
    except OSError as err:
        return SiteError.from_os(folder, err, "cannot make the folder")
    return SiteError(f"{folder}: cannot make the folder: a symbolic link to something that is not a folder")


def clean_tmp(site: Path) -> None:
    """Empty the private temporary folder (only a run holding the lock may do this)."""
    tmp = site / TMP_DIR
    if os.path.lexists(tmp) and (tmp.is_symlink() or not tmp.is_dir()):
        try:  # not a folder of ours (a file, a link): in the way of the run's temporary files
            os.unlink(tmp)
        except OSError:
            pass  # the first temporary file says why, naming it
        return
    if tmp.is_dir():
        for entry in os.scandir(tmp):
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


LEGACY_TMP = ".wp2zola-tmp"  # before manifest version 3, temporary files were written beside their files


def clean_legacy_tmp(site: Path) -> int:
    """Remove the `.<name>.<random>.wp2zola-tmp` files that runs of older versions left beside the site's
    files when interrupted (Zola would publish those under static/). Returns how many."""
    removed = 0
    for top in ("", "content", "static", "templates", "redirects", PRIVATE):
        folder = site / top
        if not folder.is_dir():
            continue
        walker = os.walk(folder) if top else [(str(site), [], [e.name for e in os.scandir(site) if e.is_file()])]
        for root, _dirs, names in walker:
            for name in names:
                if name.startswith(".") and name.endswith(LEGACY_TMP):
                    try:
                        os.unlink(os.path.join(root, name))
                        removed += 1
                    except OSError:
                        pass
    return removed
