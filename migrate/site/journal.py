"""The journal (`.wp2zola/journal.jsonl`): what a run is about to write, on disk before its first file.

The manifest is the commit point: written after the last file, it records what is on disk. A run
that dies before it (kill -9, a power cut, a full disk) leaves the journal behind, and the next run
replays it: each file the journal names that is on disk with the bytes the dead run meant to write
is the tool's own (not an edit of the user's), each removal that happened is forgotten. Then the
manifest is true again, nothing is taken for the user's, and the run finishes the site.

One JSON value a line, so a journal of a million files is written and read as a stream:
a header, then `["w", path, sha256]` (a file with bytes), `["m", path, url, size, mtime_ns]` (a
medium fetched or copied; size and time of the file it replaces, or null) and `["r", path]`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from migrate.site.manifest import Manifest, digest, file_digest

JOURNAL = ".wp2zola/journal.jsonl"
VERSION = 1

Entry = list  # ["w", path, sha256] | ["m", path, url, size | None, mtime_ns | None] | ["r", path]


def write(site: Path, origin: str, entries: Iterable[Entry], tmp_dir: Path) -> None:
    """Write the journal durably (temporary file, fsync, rename, fsync of the folder)."""
    path = site / JOURNAL
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"journal.{os.getpid()}.tmp"
    header = {"version": VERSION, "origin": origin, "pid": os.getpid(), "started": int(time.time())}
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(header) + "\n")
        for entry in entries:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    sync_folder(path.parent)


def clear(site: Path) -> None:
    (site / JOURNAL).unlink(missing_ok=True)


def sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; other systems have no folder handles to sync)."""
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

    started: int
    recorded: int  # files the dead run wrote, now recorded as the tool's
    forgotten: int  # files it removed, now forgotten
    unreadable: bool = False

    def message(self) -> str:
        if self.unreadable:
            return "an interrupted run left a journal that cannot be read; it was ignored"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started)) if self.started else "earlier"
        return (
            f"a run started {when} was interrupted; {self.recorded} file(s) it wrote and "
            f"{self.forgotten} it removed are now recorded, and this run finishes the site"
        )


def _entries(path: Path) -> Iterator[tuple[dict, Entry | None]]:
    with open(path, encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        if not isinstance(header, dict) or header.get("version") != VERSION:
            raise ValueError("unknown journal version")
        yield header, None
        for line in fh:
            if not line.endswith("\n"):
                return  # cut short while being written: the run had not begun writing files
            yield header, json.loads(line)


def replay(site: Path, manifest: Manifest) -> Replay | None:
    """Bring `manifest` (in memory) up to date with what an interrupted run did; None without a journal."""
    path = site / JOURNAL
    if not path.is_file():
        return None
    result = Replay(0, 0, 0)
    try:
        for header, entry in _entries(path):
            result.started = int(header.get("started") or 0)
            if entry is not None:
                _replay_entry(site, manifest, str(header.get("origin", "")), entry, result)
    except (OSError, ValueError, TypeError, IndexError):
        result.unreadable = True
    return result


def _replay_entry(site: Path, manifest: Manifest, origin: str, entry: Entry, result: Replay) -> None:
    kind, rel = entry[0], str(entry[1])
    if any(part in ("", ".", "..") for part in rel.split("/")) or rel.startswith("/"):
        return  # a tampered journal names nothing we would record
    target = site / rel
    if kind == "r":
        if rel in manifest.files and not target.exists():
            manifest.forget(rel)
            result.forgotten += 1
        return
    if not target.is_file() or target.is_symlink():
        return
    if kind == "w":
        sha = str(entry[2])
        if manifest.files.get(rel) != sha and target.stat().st_size < (1 << 30) and digest(target.read_bytes()) == sha:
            manifest.record(rel, sha, origin)
            result.recorded += 1
    elif kind == "m":
        url, size, mtime = str(entry[2]), entry[3], entry[4]
        st = target.stat()
        if size is not None and (st.st_size, st.st_mtime_ns) == (size, mtime):
            return  # still the file that was there before: the dead run never replaced it
        if manifest.unchanged_on_disk(rel, target):
            return  # already recorded as it is
        manifest.record(rel, file_digest(target), origin, target, url)
        result.recorded += 1
