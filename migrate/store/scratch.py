"""A run's scratch in the system's temporary folder (its run store, its spool), and the sweep of the
scratch that runs killed before their end left there (a SIGKILL, a power cut: nothing of theirs ran
at exit).

A scratch is named after the process that made it and holds a lock (flock) for as long as that
process, or a worker forked from it, lives. A later run removes a scratch only when both say its
maker is gone and it is not new (one just made may not hold its lock yet): the process is not
running here, and the lock is free. Either alone would do on one machine; both together keep a run
in another container that shares the folder from losing its scratch (and one on another machine,
where the file system shares flock locks; not every network file system does).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time

try:
    import fcntl
except ImportError:  # Windows: no flock; nothing is swept there
    fcntl = None  # type: ignore[assignment]

_KINDS = ("run", "spool")
# wp2zola-run-<pid>-<random>.sqlite(-wal, -shm), wp2zola-spool-<pid>-<random>; before the pid was in
# the name, wp2zola-run-<random>.sqlite and wp2zola-spool-<random>
_NAME = re.compile(r"wp2zola-(?:run|spool)-(?:(\d+)-)?[a-z0-9_]{8}(\.sqlite)?(-wal|-shm)?")
_YOUNG = 60.0  # seconds: a scratch this new is left alone
_UNNAMED_AGE = 86400.0  # seconds: one without its maker's pid held no lock either, and goes only when old
_swept: set[str] = set()  # the folders swept by this process (once each)


def scratch_file(kind: str, suffix: str) -> tuple[int, str]:
    """A new file of the run's in the system's temporary folder, locked: (its descriptor, or -1
    where nothing locks, and its path)."""
    folder = tempfile.gettempdir()
    sweep(folder)
    fd, path = tempfile.mkstemp(prefix=_prefix(kind), suffix=suffix, dir=folder)
    if fcntl is None:  # nothing to hold it with (and Windows removes no file still open)
        os.close(fd)
        return -1, path
    _lock(fd)
    return fd, path


def scratch_folder(kind: str) -> tuple[int, str]:
    """A new folder of the run's in the system's temporary folder, locked: (a descriptor, or -1
    where nothing locks, and its path)."""
    folder = tempfile.gettempdir()
    sweep(folder)
    path = tempfile.mkdtemp(prefix=_prefix(kind), dir=folder)
    if fcntl is None:  # Windows opens no folder
        return -1, path
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    _lock(fd)
    return fd, path


def sweep(folder: str) -> list[str]:
    """Remove the scratch of runs that are gone from `folder` (once a process): the names removed."""
    if fcntl is None or folder in _swept:
        return []
    _swept.add(folder)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    now = time.time()
    removed = []
    for name in names:
        found = _NAME.fullmatch(name)
        path = os.path.join(folder, name)
        if found is None or not _gone(path, found, now):
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError:  # another user's, or removed meanwhile
            continue
        removed.append(name)
    return removed


def _prefix(kind: str) -> str:
    assert kind in _KINDS
    return f"wp2zola-{kind}-{os.getpid()}-"


def _lock(fd: int) -> None:
    assert fcntl is not None  # the makers return before, where nothing locks
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a folder that does not lock: the pid in the name still protects it
        pass


def _gone(path: str, found: re.Match[str], now: float) -> bool:
    """Whether the run that made this scratch has ended."""
    try:
        age = now - os.lstat(path).st_mtime
    except OSError:
        return False
    pid = found.group(1)
    if pid is None:
        return age > _UNNAMED_AGE and _unlocked(path)
    if age < _YOUNG or _running(int(pid)):
        return False
    # a log (-wal, -shm) goes with its file, or alone once the file is gone
    main = path.removesuffix(found.group(3) or "")
    return _unlocked(main) if os.path.lexists(main) else True


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):  # another user's process; a number no pid is: not ours
        return True
    return True


def _unlocked(path: str) -> bool:
    """Nobody holds the scratch's lock (a probe of our own: never of a file this process uses)."""
    assert fcntl is not None
    try:  # only a file or a folder: opening a pipe put there would wait for a writer
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True
