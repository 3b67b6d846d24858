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
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migrate.media.fetch import Fetcher, FetchRequest, FetchResult
from migrate.site import journal
from migrate.site.errors import SiteError
from migrate.site.journal import sync_folder
from migrate.site.lock import TMP_DIR
from migrate.site.manifest import MANIFEST, Manifest, digest, origin_key
from migrate.site.plan import Plan, PlannedFile
from migrate.site.writer import Writer, make_room, write_atomic, write_if_changed
from migrate.store import Rows, tuple_state

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
    "prune_empty_dirs",
    "safe_path",
    "unified_diff",
    "write_atomic",
]


class UnsafePath(Exception):
    """A planned path that would leave the site folder."""


def safe_path(site: Path, rel: str) -> Path:
    """`site/rel`, refusing anything that would resolve outside `site` (.., absolute, symlinks)."""
    return SitePaths(site)(rel)


class SitePaths:
    """`safe_path` for the many files of one run: each folder is resolved once, from its resolved parent
    (a component is resolved again only when it is a symbolic link), and each folder is listed once for
    the links in it, instead of resolving every component of every file."""

    def __init__(self, site: Path):
        self.site = Path(site)
        self._root: Path | None = None
        self._folders: dict[str, Path] = {}
        self._links: dict[Path, frozenset[str]] = {}  # resolved folder → the names of the symlinks in it

    def __call__(self, rel: str) -> Path:
        if (
            not rel
            or rel.startswith("/")
            or "\\" in rel
            or "\x00" in rel
            or any(part in ("..", "", ".") for part in rel.split("/"))
        ):
            raise UnsafePath(f"refusing to write {rel!r}: not a plain path inside the site")
        root = self._root or self._resolve(self.site, rel)
        self._root = root
        parent, _, name = rel.rpartition("/")
        folder = self._folder(parent, rel)
        if self._is_link(folder, name):
            self._inside(self._resolve(folder / name, rel), root, rel)
        return root / rel

    def _folder(self, parent: str, rel: str) -> Path:
        """The folder `parent` (relative to the site) resolved, checked to be inside the site."""
        folder = self._folders.get(parent)
        if folder is not None:
            return folder
        assert self._root is not None
        if not parent:
            return self._root
        up, _, name = parent.rpartition("/")
        above = self._folder(up, rel)
        folder = above / name
        if self._is_link(above, name):
            folder = self._resolve(folder, rel)
            self._inside(folder, self._root, rel)
        make_room(self._folders)
        self._folders[parent] = folder
        return folder

    def _is_link(self, folder: Path, name: str) -> bool:
        names = self._links.get(folder)
        if names is None:
            try:
                with os.scandir(folder) as entries:
                    names = frozenset(e.name for e in entries if e.is_symlink())
            except (FileNotFoundError, NotADirectoryError):
                names = frozenset()  # a folder still to be made holds no link
            except OSError:  # not listable (no read permission): ask about each name
                return os.path.islink(folder / name)
            make_room(self._links)
            self._links[folder] = names
        return name in names

    def _resolve(self, path: Path, rel: str) -> Path:
        try:
            return path.resolve()
        except (RuntimeError, OSError) as err:  # Python < 3.13 says RuntimeError for a symlink loop
            raise SiteError(f"{self.site / rel}: cannot resolve the path: {_loop_or(err)}") from None

    @staticmethod
    def _inside(target: Path, root: Path, rel: str) -> None:
        if target != root and root not in target.parents:
            raise UnsafePath(f"refusing to write {rel!r}: it resolves outside {root}")


def _loop_or(err: BaseException) -> str:
    if isinstance(err, RuntimeError) or getattr(err, "errno", None) == errno.ELOOP:
        return "a symbolic link loop"
    return getattr(err, "strerror", None) or str(err)


@tuple_state
@dataclass(slots=True)
class Change:
    path: str
    action: str  # create | change | unchanged | remove | conflict | kept | missing
    old: bytes | None = None  # None when the file does not exist, or was not read (unchanged, a medium)
    reason: str = ""
    planned: PlannedFile | None = None
    copy_from: str = ""  # a medium: a file of the site with the same origin, copied instead of fetched
    sha: str = ""  # sha256 of `new`, computed once

    @property
    def new(self) -> bytes | None:
        """The bytes planned (read when asked: the plan keeps them aside); None for removals and media."""
        if self.action == REMOVE or self.planned is None:
            return None
        return self.planned.data


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
    changes: list[Change] | Rows[Change] = field(default_factory=list)  # in memory, or kept in the plan's run store
    exports: list[str] = field(default_factory=list)  # the export file names of this run
    origin: str = ""  # the site these files come from: what a later run of the same site may remove
    kept_from_other_exports: int = 0  # files of an earlier run of other exports, left alone
    missing: list[Missing] | Rows[Missing] = field(default_factory=list)  # filled by compare (--no-download) and apply
    fetched: int = 0
    fetched_bytes: int = 0
    copied: int = 0

    tally: Counter[str] = field(default_factory=Counter)  # action → changes `add`ed with it

    def add(self, change: Change) -> None:
        """One more change, counted as it comes (a walk of a site's changes reads every one back)."""
        self.changes.append(change)
        self.tally[change.action] += 1

    def by_action(self, action: str) -> list[Change]:
        if self._counted() and not self.tally[action]:
            return []
        return [c for c in self.changes if c.action == action]

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ACTIONS}
        if self._counted():
            out.update(self.tally)
            return out
        for c in self.changes:
            out[c.action] += 1
        return out

    def _counted(self) -> bool:
        """Whether every change came through `add` (and so is in the tally)."""
        return sum(self.tally.values()) == len(self.changes)


SPECIAL = "a pipe, a device or a socket is in its place"


def _special(path: Path) -> bool:
    """Whether something that is neither a file nor a folder is at `path` (a pipe, a device, a socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


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
    paths = SitePaths(site)
    manifest = manifest if manifest is not None else Manifest.read(site)
    key = plan.origin or origin_key(plan.exports)
    result = Changes(site, exports=sorted(plan.exports), origin=key)
    if plan.store is not None:  # one change per file (and without --download, one missing per medium): on disk
        result.changes, result.missing = plan.store.rows(), plan.store.rows()
    ours = {key, origin_key(plan.exports)}  # manifests before version 3 named the export files
    for rel, planned in plan.files_in_order():
        target = paths(rel)
        if planned.ref is not None:
            result.add(_compare_medium(planned, target, site, manifest, force, download, result))
            continue
        sha = planned.sha
        if manifest.sha(rel) == sha and manifest.unchanged_on_disk(rel, target):
            # the bytes wp2zola wrote last, untouched since (size and time): not read again
            result.add(Change(rel, UNCHANGED, planned=planned, sha=sha))
            continue
        try:  # one look: most files of a first run are not there yet
            mode: int | None = os.stat(target).st_mode
        except FileNotFoundError:
            result.add(Change(rel, CREATE, planned=planned, sha=sha))
            continue
        except OSError:
            mode = None  # a file in the way of its folders, a link loop: reading says which
        if mode is not None and stat.S_ISDIR(mode):  # never replaced, not even with --force: a folder holds files
            result.add(Change(rel, CONFLICT, None, "a folder is in its place", planned))
            continue
        if mode is not None and not stat.S_ISREG(mode):  # reading a pipe would wait forever; a device is not ours
            result.add(Change(rel, CONFLICT, None, SPECIAL, planned))
            continue
        old = _read(target)
        old_sha = digest(old) if old is not None else ""
        if old is None:
            result.add(Change(rel, CREATE, planned=planned, sha=sha))
        elif old_sha == sha:
            result.add(Change(rel, UNCHANGED, planned=planned, sha=sha))
        elif planned.keep_existing and not manifest.wrote(rel):
            result.add(Change(rel, KEPT, old, "the site's own file", planned))
        elif manifest.wrote(rel) and manifest.origin(rel, key) not in ours and not force:
            # another site's exports wrote it (two sites in one folder): theirs, as their files are
            result.add(Change(rel, KEPT, old, "written from another site's exports", planned))
        elif manifest.sha(rel) == old_sha or force:
            reason = "forced" if manifest.sha(rel) != old_sha else ""
            result.add(Change(rel, CHANGE, old, reason, planned, sha=sha))
        else:
            why = "edited since wp2zola wrote it" if manifest.wrote(rel) else "not written by wp2zola"
            result.add(Change(rel, CONFLICT, old, why, planned))
    for rel in manifest.paths():
        if rel in plan.files:
            continue
        if manifest.origin(rel, key) not in ours:  # written from another site's exports: theirs to remove
            result.kept_from_other_exports += 1
            continue
        try:
            target = paths(rel)
        except UnsafePath:
            continue  # a tampered manifest names nothing we would touch
        if not target.is_file():
            continue
        if manifest.still_ours(rel, target) or force:
            medium = manifest.is_medium(rel)  # a medium's bytes are not shown in a diff; a page's are
            result.add(Change(rel, REMOVE, None if medium else _read(target)))
        else:
            result.add(Change(rel, CONFLICT, None, "no longer planned, but edited since wp2zola wrote it"))
    return result


def _compare_medium(
    planned: PlannedFile,
    target: Path,
    site: Path,
    manifest: Manifest,
    force: bool,
    download: bool,
    result: Changes,
) -> Change:
    rel, ref = planned.path, planned.ref
    assert ref is not None
    if target.is_dir():
        return Change(rel, CONFLICT, reason="a folder is in its place", planned=planned)
    if _special(target):
        return Change(rel, CONFLICT, reason=SPECIAL, planned=planned)
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
    previous = manifest.file_from(ref.url)  # fetched before, maybe to another place (the layout changed)
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
    finished: bool = False  # every change made and the manifest written: nothing left to stop
    deferred: bool = False  # planning with worker processes: stop at the next item, not inside the pool's locks

    def check(self) -> None:
        """While planning: end the run here if a stop was asked for (nothing is written yet)."""
        if self.requested and not self.writing:
            raise Interrupted(self.requested, 0, 0)


class Interrupted(Exception):
    """The run stopped on request; the manifest records what was written."""

    def __init__(self, signal: str, done: int, total: int, between_files: bool = False):
        super().__init__(f"interrupted by {signal} after {done} of {total} file changes")
        self.signal, self.done, self.total, self.between_files = signal, done, total, between_files


def _intents(changes: Changes) -> Iterator[journal.Entry]:
    """What apply is about to do, as far as it is known before any file is written (media follow as placed)."""
    for change in changes.changes:
        planned = change.planned
        if change.action in (CREATE, CHANGE) and (planned is None or planned.ref is None):
            yield ["w", change.path, change.sha]
        elif change.action == REMOVE:
            yield ["r", change.path]


@dataclass
class _Run:
    """One apply: where it writes, what it records, how far it got."""

    site: Path
    manifest: Manifest
    key: str
    changes: Changes
    writer: Writer
    stop: Stop
    total: int
    done: int = 0
    paths: SitePaths | None = None

    def path(self, rel: str) -> Path:
        if self.paths is None:
            self.paths = SitePaths(self.site)
        return self.paths(rel)


def apply(
    changes: Changes, manifest: Manifest | None = None, fetch: FetchSettings | None = None, stop: Stop | None = None
) -> None:
    """Carry out the changes: files with bytes, then local copies, then fetches.

    The journal of what is about to happen is on disk before the first file; the manifest is written
    last (also on an interruption or an error, when it can be) and records only what is on disk; then
    the journal goes. A run killed in between leaves the journal, and the next run replays it.
    Errors of the file system come out as one SiteError that names the file.
    """
    site = changes.site
    stop = stop or Stop()
    manifest = manifest if manifest is not None else Manifest.read(site)
    key = changes.origin or origin_key(changes.exports)
    tmp_dir = safe_path(site, TMP_DIR)
    counts = changes.counts()
    todo = counts[CREATE] + counts[CHANGE] + counts[REMOVE]
    log = journal.Journal(tmp_dir.parent.parent)
    try:
        site.mkdir(parents=True, exist_ok=True)
        if todo:  # a run that only confirms what is there needs no journal
            log.begin(key, _intents(changes), tmp_dir)
    except OSError as err:
        log.close()
        raise SiteError.from_os(site / journal.JOURNAL, err, "cannot write the journal") from None
    run = _Run(site, manifest, key, changes, Writer(tmp_dir, log, tmp_dir.parent.parent, sync_each=False), stop, todo)
    stop.writing = True
    try:
        _carry_out(run, fetch or FetchSettings())
    except Interrupted as stopped:
        # Between two files, the manifest is the whole truth; during the fetches a worker may have placed a
        # file not yet recorded, so then the journal stays for the next run to replay.
        _commit(run, tmp_dir, log, clear_journal=stopped.between_files, quiet=True)
        raise
    except BaseException:
        _commit(run, tmp_dir, log, clear_journal=False, quiet=True)  # the error in hand says what went wrong
        raise
    else:
        _commit(run, tmp_dir, log, clear_journal=True, quiet=False)
        stop.finished = True
    finally:
        stop.writing = False
        log.close()


def _carry_out(run: _Run, fetch: FetchSettings) -> None:
    remote: list[Change] = []
    for change in run.changes.changes:
        if run.stop.requested:
            raise Interrupted(run.stop.requested, run.done, run.total, between_files=True)
        target = run.path(change.path)
        try:
            _apply_one(run, change, target, remote)
        except OSError as err:
            raise SiteError.from_os(change.path, err) from None
    if remote:
        _fetch(run, remote, fetch)


def _apply_one(run: _Run, change: Change, target: Path, remote: list[Change]) -> None:
    """Carry out one change (a fetch is only queued)."""
    planned, manifest = change.planned, run.manifest
    if change.action in (CREATE, CHANGE) and planned is not None and planned.ref is not None:
        local = run.path(change.copy_from) if change.copy_from else planned.ref.local
        if not local:
            remote.append(change)
            return
        try:
            source = open(local, "rb")  # noqa: SIM115 - closed below; opened apart to tell its errors apart
        except OSError as err:  # the local copy went away since the plan: the file is missing, the run goes on
            reason = f"could not read {local}: {(err.strerror or str(err)).lower()}"
            run.changes.missing.append(Missing(change.path, planned.ref.url, reason, planned.used_by))
            return
        with source:
            sha = run.writer.copy(source, target, planned.ref.url)
        manifest.record(change.path, sha, run.key, target, planned.ref.url)
        run.changes.copied += 1
        run.done += 1
    elif change.action in (CREATE, CHANGE):
        written = run.writer.write(target, planned.pieces() if planned is not None else b"", change.action == CREATE)
        manifest.record(change.path, change.sha, run.key, known=written)
        run.done += 1
    elif change.action == UNCHANGED:
        if planned is not None and planned.ref is not None:
            manifest.record(change.path, manifest.sha(change.path) or "", run.key, target, planned.ref.url)
        else:
            if manifest.sha(change.path) == change.sha and manifest.stat(change.path) is not None:
                manifest.set_origin(change.path, run.key)  # size and time already recorded, and still true
            else:
                manifest.record(change.path, change.sha, run.key, target)
    elif change.action == REMOVE:
        run.writer.remove(target)
        manifest.forget(change.path)
        prune_empty_dirs(target.parent, run.site)
        run.done += 1


def commit_recovery(site: Path, manifest: Manifest, replayed: journal.Replay) -> None:
    """After replaying a journal: remove what the dead run left half done (temporary files beside site
    files, folders its removals emptied), write the manifest it corrected, and drop the journal (the next
    journal names only the next run's changes). Raises SiteError when the manifest cannot be written."""
    tmp_dir = safe_path(site, TMP_DIR)
    root = tmp_dir.parent.parent
    for rel in replayed.temporary:
        (root / rel).unlink(missing_ok=True)
    for rel in replayed.removed:
        prune_empty_dirs((root / rel).parent, site)
    log = journal.Journal(root)
    _commit(_Run(site, manifest, "", Changes(site), Writer(tmp_dir, None, root), Stop(), 0), tmp_dir, log, True, False)


def _commit(run: _Run, tmp_dir: Path, log: journal.Journal, clear_journal: bool, quiet: bool) -> None:
    """Make the changed folders durable, write the manifest (the commit point), then drop the journal and
    the private temporary folder. When the manifest cannot be written (a full disk), the journal stays for
    the next run to replay; that is an error of its own unless another one is in hand (`quiet`)."""
    target = safe_path(run.site, MANIFEST)
    try:
        run.writer.sync()  # every file written is durable before the manifest says so
        if write_if_changed(target, run.manifest.chunks(), tmp_dir):  # in pieces: never all in memory
            sync_folder(target.parent)
    except OSError as err:
        if quiet:
            return
        raise SiteError.from_os(MANIFEST, err) from None
    if clear_journal:
        log.clear()
    try:
        tmp_dir.rmdir()
    except OSError:
        pass


def _fetch(run: _Run, remote: list[Change], settings: FetchSettings) -> None:
    requests = []
    for change in remote:
        assert change.planned is not None and change.planned.ref is not None
        requests.append(FetchRequest(change.planned.ref.url, run.path(change.path)))
    by_dest = {r.dest: c for r, c in zip(requests, remote)}
    changes, manifest = run.changes, run.manifest

    def done(result: FetchResult) -> None:
        change = by_dest[result.request.dest]
        if result.local_errno in LOCAL_FATAL:  # our disk, not the server: every other file would fail too
            error = OSError(result.local_errno, os.strerror(result.local_errno or 0))
            raise SiteError.from_os(change.path, error)
        if result.ok:
            manifest.record(change.path, result.sha256, run.key, result.request.dest, result.request.url)
            changes.fetched += 1
            changes.fetched_bytes += result.size
            run.done += 1
        else:
            assert change.planned is not None
            changes.missing.append(Missing(change.path, result.request.url, result.error, change.planned.used_by))
        if settings.on_result:
            settings.on_result(result)
        if run.stop.requested:  # the fetcher stops its workers; the files already in place stay
            raise Interrupted(run.stop.requested, run.done, run.total)

    def place(request: FetchRequest, tmp: Path, sha: str) -> None:
        run.writer.place(tmp, request.dest, sha, request.url)

    if settings.on_start:
        settings.on_start(len(requests))
    tmp_dir = run.writer.tmp_dir
    with settings.fetcher(settings.hosts, tmp_dir=tmp_dir, workers=settings.workers, place=place) as fetcher:
        fetcher.fetch_all(requests, on_result=done, on_bytes=settings.on_bytes)


def prune_empty_dirs(folder: Path, site: Path) -> None:
    root = site.resolve()
    folder = folder.resolve()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass  # gone already (a run killed while it pruned): the folders above may be empty still
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
