"""Plan + site on disk → changes; then carry them out atomically, or show them as a diff.

A file whose bytes differ from the manifest's record was edited by hand: it is a conflict, kept
as it is unless `force`. A file the tool wrote before and no longer plans is removed (if unedited).
Media files are planned by reference: those missing on disk are copied from the user's local
uploads folder or fetched (the only network access, in `migrate.media.fetch`), those present
are left alone, and those that cannot be had are listed with the pages that use them.
"""

from __future__ import annotations

import difflib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from migrate.media.fetch import Fetcher, FetchRequest, FetchResult
from migrate.site import journal
from migrate.site.errors import SiteError
from migrate.site.lock import TMP_DIR
from migrate.site.manifest import MANIFEST, Manifest, digest, file_digest, origin_key, umask_mode
from migrate.site.plan import Plan, PlannedFile

CREATE, CHANGE, UNCHANGED, REMOVE, CONFLICT, KEPT, MISSING = (
    "create",
    "change",
    "unchanged",
    "remove",
    "conflict",
    "kept",
    "missing",
)
ACTIONS = (CREATE, CHANGE, UNCHANGED, REMOVE, CONFLICT, KEPT, MISSING)
LOCAL_FATAL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}  # a fetch that failed so ends the run

__all__ = [
    "MANIFEST",
    "Change",
    "Changes",
    "Interrupted",
    "SiteError",
    "Stop",
    "UnsafePath",
    "apply",
    "compare",
    "safe_path",
    "unified_diff",
    "write_atomic",
]


class UnsafePath(Exception):
    """A planned path that would leave the site folder."""


def safe_path(site: Path, rel: str) -> Path:
    """`site/rel`, refusing anything that would resolve outside `site` (.., absolute, symlinks)."""
    pure = PurePosixPath(rel)
    if (
        pure.is_absolute()
        or not rel
        or any(part in ("..", "", ".") for part in rel.split("/"))
        or "\\" in rel
        or "\x00" in rel
    ):
        raise UnsafePath(f"refusing to write {rel!r}: not a plain path inside the site")
    try:
        root = site.resolve()
        target = (root / pure).resolve()
    except (RuntimeError, OSError) as err:  # Python < 3.13 says RuntimeError for a symlink loop
        raise SiteError(f"{site / pure}: cannot resolve the path: {_loop_or(err)}") from None
    if target != root and root not in target.parents:
        raise UnsafePath(f"refusing to write {rel!r}: it resolves outside {root}")
    return root / pure


def _loop_or(err: BaseException) -> str:
    if isinstance(err, RuntimeError) or getattr(err, "errno", None) == errno.ELOOP:
        return "a symbolic link loop"
    return getattr(err, "strerror", None) or str(err)


@dataclass
class Change:
    path: str
    action: str  # create | change | unchanged | remove | conflict | kept | missing
    new: bytes | None = None  # None for removals and for files by reference
    old: bytes | None = None  # None when the file does not exist (or is a medium, not read)
    reason: str = ""
    planned: PlannedFile | None = None
    copy_from: str = ""  # a medium: a file of the site with the same origin, copied instead of fetched


@dataclass
class Missing:
    """A medium that the site references but could not be had."""

    path: str
    url: str
    reason: str
    used_by: list[str]


@dataclass
class Changes:
    site: Path
    changes: list[Change] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)  # the export file names of this run
    origin: str = ""  # the site these files come from: what a later run of the same site may remove
    kept_from_other_exports: int = 0  # files of an earlier run of other exports, left alone
    missing: list[Missing] = field(default_factory=list)  # filled by compare (--no-download) and apply
    fetched: int = 0
    fetched_bytes: int = 0
    copied: int = 0

    def by_action(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ACTIONS}
        for c in self.changes:
            out[c.action] += 1
        return out


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except (IsADirectoryError, NotADirectoryError):
        return b""
    except OSError as err:
        raise SiteError.from_os(path, err, "cannot read") from None


def compare(
    plan: Plan, site: Path, manifest: Manifest | None = None, force: bool = False, download: bool = True
) -> Changes:
    """What applying the plan would do to the site as it is now. `download=False`: media that are
    neither on disk nor in a local copy are listed as missing instead of fetched."""
    site = Path(site)
    manifest = manifest if manifest is not None else Manifest.read(site)
    key = plan.origin or origin_key(plan.exports)
    result = Changes(site, exports=sorted(plan.exports), origin=key)
    ours = {key, origin_key(plan.exports)}  # manifests before version 3 named the export files
    earlier = manifest.by_source()  # media already fetched, maybe to another place (the layout changed)
    for rel in sorted(plan.files):
        planned = plan.files[rel]
        target = safe_path(site, rel)
        if planned.ref is not None:
            result.changes.append(_compare_medium(planned, target, site, manifest, force, download, result, earlier))
            continue
        data = planned.data or b""
        if target.is_dir():  # never replaced, not even with --force: a folder holds files of its own
            result.changes.append(Change(rel, CONFLICT, data, None, "a folder is in its place", planned))
            continue
        old = _read(target)
        if old is None:
            result.changes.append(Change(rel, CREATE, data, planned=planned))
        elif old == data:
            result.changes.append(Change(rel, UNCHANGED, data, old, planned=planned))
        elif planned.keep_existing and not manifest.wrote(rel):
            result.changes.append(Change(rel, KEPT, data, old, "the site's own file", planned))
        elif manifest.files.get(rel) == digest(old) or force:
            reason = "forced" if manifest.files.get(rel) != digest(old) else ""
            result.changes.append(Change(rel, CHANGE, data, old, reason, planned))
        else:
            why = "edited since wp2zola wrote it" if manifest.wrote(rel) else "not written by wp2zola"
            result.changes.append(Change(rel, CONFLICT, data, old, why, planned))
    for rel in sorted(set(manifest.files) - set(plan.files)):
        if manifest.origins.get(rel, key) not in ours:  # written from another site's exports: theirs to remove
            result.kept_from_other_exports += 1
            continue
        try:
            target = safe_path(site, rel)
        except UnsafePath:
            continue  # a tampered manifest names nothing we would touch
        if not target.is_file():
            continue
        if manifest.still_ours(rel, target) or force:
            result.changes.append(Change(rel, REMOVE, None, None if rel in manifest.stats else _read(target)))
        else:
            result.changes.append(
                Change(rel, CONFLICT, None, None, "no longer planned, but edited since wp2zola wrote it")
            )
    return result


def _compare_medium(
    planned: PlannedFile,
    target: Path,
    site: Path,
    manifest: Manifest,
    force: bool,
    download: bool,
    result: Changes,
    earlier: dict[str, str],
) -> Change:
    rel, ref = planned.path, planned.ref
    assert ref is not None
    if target.is_dir():
        return Change(rel, CONFLICT, reason="a folder is in its place", planned=planned)
    if target.is_file():
        if not manifest.wrote(rel):
            return Change(rel, KEPT, reason="already in the site", planned=planned)  # the user's own copy
        if manifest.still_ours(rel, target):
            return Change(rel, UNCHANGED, planned=planned)
        if not force:
            return Change(rel, CONFLICT, reason="edited since wp2zola wrote it", planned=planned)
        action = CHANGE
    else:
        action = CREATE
    previous = earlier.get(ref.url, "")
    if previous and previous != rel and _reusable(manifest, site, previous):
        return Change(rel, action, reason=f"copy {previous}", planned=planned, copy_from=previous)
    if not ref.local and not download:
        result.missing.append(Missing(rel, ref.url, "not downloaded (--no-download)", planned.used_by))
        return Change(rel, MISSING, reason="not downloaded (--no-download)", planned=planned)
    return Change(rel, action, reason=f"copy {ref.local}" if ref.local else f"fetch {ref.url}", planned=planned)


def _reusable(manifest: Manifest, site: Path, previous: str) -> bool:
    """Whether the medium recorded at `previous` is still there, unedited, so its bytes can be copied."""
    try:
        old = safe_path(site, previous)
    except UnsafePath:
        return False
    return old.is_file() and manifest.still_ours(previous, old)


def write_atomic(path: Path, data: bytes, tmp_dir: Path | None = None) -> None:
    """Write to a temporary file, then rename: readers see old or new, never half. The temporary file
    is in `tmp_dir` (the site's private folder, which Zola never publishes) when given."""
    _replace(path, tmp_dir, lambda fh: fh.write(data))


def copy_atomic(source: Path, path: Path, tmp_dir: Path) -> None:
    """Copy a local file in, through a temporary file in the site's private folder."""
    with open(source, "rb") as src:
        _replace(path, tmp_dir, lambda fh: shutil.copyfileobj(src, fh, 1 << 20))


def _replace(path: Path, tmp_dir: Path | None, fill: Callable[[BinaryIO], object]) -> None:
    """Fill a temporary file, fsync it, rename it over `path`: a crash or a power cut leaves the old file
    or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="write-", suffix=".part")
    else:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".wp2zola-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; a site's files are readable like any other
        try:
            os.replace(tmp, path)
        except OSError as err:
            if err.errno != errno.EXDEV or tmp_dir is None:
                raise
            with open(tmp, "rb") as filled:  # a folder of the site is on another file system: go through one there
                _replace(path, None, lambda fh: shutil.copyfileobj(filled, fh, 1 << 20))
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777  # keep the mode of the file replaced
    except FileNotFoundError:
        return umask_mode()


MediaProgress = Callable[[FetchResult], None]


@dataclass
class FetchSettings:
    """How media are fetched: the hosts that may be contacted, and the worker count."""

    hosts: set[str] = field(default_factory=set)
    workers: int = 4
    on_result: MediaProgress | None = None
    on_bytes: Callable[[int], None] | None = None
    on_start: Callable[[int], None] | None = None  # how many files are about to be fetched
    fetcher: Callable[..., Fetcher] = Fetcher  # tests give a fetcher of their own


@dataclass
class Stop:
    """Asked to stop (a signal handler sets `requested` to the signal's name): `apply` finishes the
    file in hand, records what was written, and raises Interrupted. `writing` tells the handler
    whether there is a file in hand (while planning, nothing needs finishing)."""

    requested: str = ""
    writing: bool = False


class Interrupted(Exception):
    """The run stopped on request between two files; the manifest records what was written."""

    def __init__(self, signal: str, done: int, total: int):
        super().__init__(f"interrupted by {signal} after {done} of {total} file changes")
        self.signal, self.done, self.total = signal, done, total


def _intents(changes: Changes, site: Path) -> Iterator[journal.Entry]:
    """What apply is about to do, for the journal: enough for a later run to tell its files from the user's."""
    for change in changes.changes:
        planned = change.planned
        if change.action in (CREATE, CHANGE):
            if planned is not None and planned.ref is not None:
                try:
                    st = (site / change.path).stat()
                    before: tuple[int | None, int | None] = (st.st_size, st.st_mtime_ns)
                except OSError:
                    before = (None, None)
                yield ["m", change.path, planned.ref.url, *before]
            else:
                yield ["w", change.path, digest(change.new or b"")]
        elif change.action == REMOVE:
            yield ["r", change.path]


def apply(
    changes: Changes, manifest: Manifest | None = None, fetch: FetchSettings | None = None, stop: Stop | None = None
) -> None:
    """Carry out the changes: files with bytes, then local copies, then fetches.

    The journal of what is about to happen is on disk before the first file; the manifest is written
    last (also on an interruption or an error) and records only what is on disk; then the journal
    goes. A run killed in between leaves the journal, and the next run replays it.
    Errors of the file system come out as one SiteError that names the file.
    """
    site = changes.site
    stop = stop or Stop()
    manifest = manifest if manifest is not None else Manifest.read(site)
    key = changes.origin or origin_key(changes.exports)
    tmp_dir = safe_path(site, TMP_DIR)
    todo = [c for c in changes.changes if c.action in (CREATE, CHANGE, REMOVE)]
    try:
        site.mkdir(parents=True, exist_ok=True)
        if todo:  # a run that only confirms what is there needs no journal
            journal.write(site, key, _intents(changes, site), tmp_dir)
    except OSError as err:
        raise SiteError.from_os(site / journal.JOURNAL, err, "cannot write the journal") from None
    done = 0
    complete = False
    stop.writing = True
    try:
        remote: list[Change] = []
        for change in changes.changes:
            if stop.requested:
                complete = True  # stopped between two files: the manifest below is the whole truth
                raise Interrupted(stop.requested, done, len(todo))
            target = safe_path(site, change.path)
            try:
                done += _apply_one(change, target, site, manifest, key, tmp_dir, changes, remote)
            except OSError as err:
                raise SiteError.from_os(change.path, err) from None
        if remote:
            _fetch(remote, site, manifest, key, tmp_dir, changes, fetch or FetchSettings(), stop)
        # A stop asked for during the fetches raises out of _fetch, before this line: a worker may have
        # saved a file not yet recorded, so the journal stays for the next run to replay.
        complete = True
    finally:  # also on an interruption: the manifest tells which files on disk are ours
        _commit(site, manifest, tmp_dir, clear_journal=complete)
        stop.writing = False


def _apply_one(
    change: Change,
    target: Path,
    site: Path,
    manifest: Manifest,
    key: str,
    tmp_dir: Path,
    changes: Changes,
    remote: list[Change],
) -> int:
    """Carry out one change (a fetch is only queued); 1 when a file was written or removed."""
    planned = change.planned
    if change.action in (CREATE, CHANGE) and planned is not None and planned.ref is not None:
        local = safe_path(site, change.copy_from) if change.copy_from else planned.ref.local
        if not local:
            remote.append(change)
            return 0
        copy_atomic(Path(local), target, tmp_dir)
        manifest.record(change.path, file_digest(target), key, target, planned.ref.url)
        changes.copied += 1
        return 1
    if change.action in (CREATE, CHANGE):
        write_atomic(target, change.new or b"", tmp_dir)
        manifest.record(change.path, digest(change.new or b""), key)
        return 1
    if change.action == UNCHANGED:
        _record_one(change, target, manifest, key)
    elif change.action == REMOVE:
        target.unlink(missing_ok=True)
        manifest.forget(change.path)
        _prune_empty_dirs(target.parent, site)
        return 1
    return 0


def _record_one(change: Change, target: Path, manifest: Manifest, key: str) -> None:
    planned = change.planned
    if planned is not None and planned.ref is not None:
        manifest.record(change.path, manifest.files[change.path], key, target, planned.ref.url)
    else:
        manifest.record(change.path, digest(change.new or b""), key)


def commit_recovery(site: Path, manifest: Manifest) -> None:
    """After replaying a journal: write the manifest it corrected, and drop the journal (the next
    journal will name only the next run's changes)."""
    _commit(site, manifest, safe_path(site, TMP_DIR), clear_journal=True)


def _commit(site: Path, manifest: Manifest, tmp_dir: Path, clear_journal: bool) -> None:
    """Write the manifest (the commit point), then drop the journal and the private temporary folder.
    When the manifest cannot be written (a full disk), the journal stays for the next run to replay."""
    data = manifest.to_bytes()
    target = safe_path(site, MANIFEST)
    try:
        if _read(target) != data:
            write_atomic(target, data, tmp_dir)
            journal.sync_folder(target.parent)
    except OSError:
        return  # the error in hand (if any) says what went wrong; the journal is the record now
    if clear_journal:
        journal.clear(site)
    try:
        tmp_dir.rmdir()
    except OSError:
        pass


def _fetch(
    remote: list[Change],
    site: Path,
    manifest: Manifest,
    key: str,
    tmp_dir: Path,
    changes: Changes,
    settings: FetchSettings,
    stop: Stop,
) -> None:
    requests = []
    for change in remote:
        assert change.planned is not None and change.planned.ref is not None
        requests.append(FetchRequest(change.planned.ref.url, safe_path(site, change.path)))
    by_dest = {r.dest: c for r, c in zip(requests, remote)}

    def done(result: FetchResult) -> None:
        change = by_dest[result.request.dest]
        if result.local_errno in LOCAL_FATAL:  # our disk, not the server: every other file would fail too
            error = OSError(result.local_errno, os.strerror(result.local_errno or 0))
            raise SiteError.from_os(change.path, error)
        if result.ok:
            manifest.record(change.path, result.sha256, key, result.request.dest, result.request.url)
            changes.fetched += 1
            changes.fetched_bytes += result.size
        else:
            assert change.planned is not None
            changes.missing.append(Missing(change.path, result.request.url, result.error, change.planned.used_by))
        if settings.on_result:
            settings.on_result(result)
        if stop.requested:  # the fetcher stops its workers; the files already in place stay, recorded
            raise Interrupted(stop.requested, changes.fetched + changes.copied, len(remote) + changes.copied)

    if settings.on_start:
        settings.on_start(len(requests))
    with settings.fetcher(settings.hosts, tmp_dir=tmp_dir, workers=settings.workers) as fetcher:
        fetcher.fetch_all(requests, on_result=done, on_bytes=settings.on_bytes)


def _prune_empty_dirs(folder: Path, site: Path) -> None:
    root = site.resolve()
    folder = folder.resolve()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def unified_diff(change: Change) -> str:
    old = (change.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    new = (change.new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    a = f"a/{change.path}" if change.old is not None else "/dev/null"
    b = f"b/{change.path}" if change.new is not None and change.action != REMOVE else "/dev/null"
    lines = difflib.unified_diff(old, new, a, b)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
