"""The journal (`.wp2zola/journal.jsonl`): what a run is about to write, on disk before its files.

The manifest is the commit point: written after the last file, it records what is on disk. A run
that dies before it (kill -9, a power cut, a full disk) leaves the journal behind, and the next run
replays it: each file the journal names that is on disk with the bytes the dead run meant to write
is the tool's own (not an edit of the user's), each removal that happened is forgotten. Then the
manifest is true again, nothing is taken for the user's, and the run finishes the site.

One JSON value a line, so a journal of a million files is written and read as a stream. It begins
(durably: fsync, rename, fsync of the folder) with a header and what is known before any file is
written: `["w", path, sha256]` for a file with bytes and `["r", path]` for a removal. Media are
known only once fetched or copied: each gets `["d", path, sha256, url]` appended just before its
temporary file is renamed into place, and `["t", path]` names a temporary file that had to be made
beside its file (a folder on another file system) for the next run to remove. Appended lines are
flushed, not fsynced: a kill loses none; a power cut may lose the last ones, and then a medium is
taken for the user's (kept, never removed), which loses nothing.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from migrate.site.manifest import Manifest, digest, file_digest

JOURNAL = ".wp2zola/journal.jsonl"
VERSION = 2

Entry = list  # ["w", path, sha256] | ["r", path] | ["d", path, sha256, url] | ["t", path]


class Journal:
    """The journal of one run, open for appending while it writes."""

    def __init__(self, site: Path):
        self.path = site / JOURNAL
        self._fh: TextIO | None = None
        self._lock = threading.Lock()  # media are placed from the fetcher's worker threads

    def begin(self, origin: str, entries: Iterable[Entry], tmp_dir: Path) -> None:
        """Write the header and the intents durably, then keep the journal open for appending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"journal.{os.getpid()}.tmp"
        header = {"version": VERSION, "origin": origin, "pid": os.getpid(), "started": int(time.time())}
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header) + "\n")
            for entry in entries:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        sync_folder(self.path.parent)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - open for the run, closed by close()

    def append(self, entry: Entry) -> None:
        if self._fh is None:
            return
        with self._lock:
            self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass  # a full disk: lines not flushed are lost, which costs only ownership of media
            self._fh = None

    def clear(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def sync_folder(folder: Path) -> None:
    """Make renames and removals in `folder` durable (POSIX; Windows has no folder handles to sync)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass
class Replay:
    """What replaying a journal found: the run it came from, and what it did before it stopped."""

    started: int = 0
    recorded: int = 0  # files the dead run wrote, now recorded as the tool's
    forgotten: int = 0  # files it removed, now forgotten
    removed: list[str] = field(default_factory=list)  # its removals: their folders may want pruning
    temporary: list[str] = field(default_factory=list)  # temporary files it left beside site files
    unreadable: str = ""  # why the journal could not be read to its end

    def message(self, dry_run: bool = False) -> str:
        if self.unreadable:
            return f"an interrupted run left a journal that cannot be read ({self.unreadable}); the rest was ignored"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started)) if self.started else "earlier"
        verb = "would be" if dry_run else "are now"
        return (
            f"a run started {when} was interrupted; {self.recorded} file(s) it wrote and "
            f"{self.forgotten} it removed {verb} recorded, and the run finishes the site"
        )

    def matters(self) -> bool:
        return bool(self.recorded or self.forgotten or self.unreadable)


def _entries(path: Path) -> Iterator[tuple[dict, Entry | None]]:
    with open(path, encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        if not isinstance(header, dict) or header.get("version") != VERSION:
            raise ValueError("a journal of another version")
        yield header, None
        for line in fh:
            if not line.endswith("\n"):
                return  # the last line appended as the run was killed
            yield header, json.loads(line)


def replay(site: Path, manifest: Manifest) -> Replay | None:
    """Bring `manifest` (in memory) up to date with what an interrupted run did; None without a journal."""
    path = site / JOURNAL
    if not path.is_file():
        return None
    result = Replay()
    try:
        for header, entry in _entries(path):
            result.started = int(header.get("started") or 0)
            if entry is not None:
                _replay_entry(site, manifest, str(header.get("origin", "")), entry, result)
                if result.started and entry[0] == "w":
                    _torn(site, manifest, str(header.get("origin", "")), entry, result)
    except (ValueError, TypeError, IndexError) as err:
        result.unreadable = str(err)[:80] or type(err).__name__
    except OSError as err:
        result.unreadable = err.strerror or str(err)
    return result


def _torn(site: Path, manifest: Manifest, origin: str, entry: Entry, result: Replay) -> None:
    """A file the dead run meant to write, on disk empty (or zero-filled) and changed since the run
    began: what a power cut leaves of a file renamed before the run's one sync. It is the tool's, not
    the user's (no one saves an empty post): recorded as it is, so the next plan writes it again."""
    rel = str(entry[1])
    target = site / rel
    try:
        st = target.stat()
        if manifest.sha(rel) == entry[2] or st.st_mtime < result.started - 1 or not target.is_file():
            return
        with open(target, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return
    if head.strip(b"\0"):
        return  # real bytes: an edit of the user's, kept
    manifest.record(rel, file_digest(target), origin)
    result.recorded += 1


def _replay_entry(site: Path, manifest: Manifest, origin: str, entry: Entry, result: Replay) -> None:
    kind, rel = entry[0], str(entry[1])
    if not rel or rel.startswith("/") or any(part in ("", ".", "..") for part in rel.split("/")) or "\\" in rel:
        return  # a tampered journal names nothing we would touch
    target = site / rel
    if kind == "r":
        if not target.exists():
            result.removed.append(rel)
            if manifest.wrote(rel):
                manifest.forget(rel)
                result.forgotten += 1
        return
    if kind == "t":
        result.temporary.append(rel)
        return
    if kind not in ("w", "d") or not target.is_file() or target.is_symlink():
        return
    sha = str(entry[2])
    if manifest.sha(rel) == sha and (kind == "w" or manifest.unchanged_on_disk(rel, target)):
        return  # already recorded as it is
    try:
        if kind == "w":
            if target.stat().st_size < (1 << 30) and digest(target.read_bytes()) == sha:
                manifest.record(rel, sha, origin)
                result.recorded += 1
        elif file_digest(target) == sha:  # a medium: the very bytes the dead run placed there
            manifest.record(rel, sha, origin, target, str(entry[3]))
            result.recorded += 1
    except OSError:
        return  # unreadable now: not recorded, so taken for the user's (kept), which loses nothing
