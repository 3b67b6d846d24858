"""Plan + site on disk → changes; then carry them out atomically, or show them as a diff.

A file whose bytes differ from the manifest's record was edited by hand: it is a conflict, kept
as it is unless `force`. A file the tool wrote before and no longer plans is removed (if unedited).
Media files are planned by reference: those missing on disk are copied from the user's local
uploads folder or fetched (the only network access, in `migrate.media.fetch`), those present
are left alone, and those that cannot be had are listed with the pages that use them.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from migrate.media.fetch import Fetcher, FetchRequest, FetchResult
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
TMP_DIR = ".wp2zola/tmp"  # inside the site, never published by Zola, same file system as the site

__all__ = [
    "MANIFEST",
    "Change",
    "Changes",
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
    root = site.resolve()
    target = (root / pure).resolve()
    if target != root and root not in target.parents:
        raise UnsafePath(f"refusing to write {rel!r}: it resolves outside {root}")
    return root / pure


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
    exports: list[str] = field(default_factory=list)  # the exports of this run: the origin of its files
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


def compare(
    plan: Plan, site: Path, manifest: Manifest | None = None, force: bool = False, download: bool = True
) -> Changes:
    """What applying the plan would do to the site as it is now. `download=False`: media that are
    neither on disk nor in a local copy are listed as missing instead of fetched."""
    site = Path(site)
    manifest = manifest if manifest is not None else Manifest.read(site)
    result = Changes(site, exports=sorted(plan.exports))
    key = origin_key(plan.exports)
    earlier = manifest.by_source()  # media already fetched, maybe to another place (the layout changed)
    for rel in sorted(plan.files):
        planned = plan.files[rel]
        target = safe_path(site, rel)
        if planned.ref is not None:
            result.changes.append(_compare_medium(planned, target, site, manifest, force, download, result, earlier))
            continue
        data = planned.data or b""
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
        if manifest.origins.get(rel, key) != key:  # written from other exports: theirs to remove
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


def _compare_medium(planned: PlannedFile, target: Path, site: Path, manifest: Manifest, force: bool,
                    download: bool, result: Changes, earlier: dict[str, str]) -> Change:
    rel, ref = planned.path, planned.ref
    assert ref is not None
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


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: readers see old or new, never half."""
    _replace(path, path.parent, f".{path.name[:40]}.", ".wp2zola-tmp", lambda fh: fh.write(data), sync=True)


def copy_atomic(source: Path, path: Path, tmp_dir: Path) -> None:
    """Copy a local file in, through a temporary file in the site's private folder."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src:
        _replace(path, tmp_dir, "copy-", ".part", lambda fh: shutil.copyfileobj(src, fh, 1 << 20), sync=False)


def _replace(path: Path, tmp_dir: Path, prefix: str, suffix: str, fill: Callable[[BinaryIO], object],
             sync: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; a site's files are readable like any other
        os.replace(tmp, path)
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


def apply(changes: Changes, manifest: Manifest | None = None, fetch: FetchSettings | None = None) -> None:
    """Carry out the changes: files with bytes, then local copies, then fetches. The manifest is
    written last, also on an interruption, and records only what is on disk."""
    site = changes.site
    site.mkdir(parents=True, exist_ok=True)
    manifest = manifest if manifest is not None else Manifest.read(site)
    key = origin_key(changes.exports)
    tmp_dir = safe_path(site, TMP_DIR)
    try:
        remote: list[Change] = []
        for change in changes.changes:
            target = safe_path(site, change.path)
            planned = change.planned
            if change.action in (CREATE, CHANGE) and planned is not None and planned.ref is not None:
                local = safe_path(site, change.copy_from) if change.copy_from else planned.ref.local
                if local:
                    copy_atomic(Path(local), target, tmp_dir)
                    manifest.record(change.path, file_digest(target), key, target, planned.ref.url)
                    changes.copied += 1
                else:
                    remote.append(change)
            elif change.action in (CREATE, CHANGE):
                write_atomic(target, change.new or b"")
                manifest.record(change.path, digest(change.new or b""), key)
            elif change.action == UNCHANGED:
                if planned is not None and planned.ref is not None:
                    manifest.record(change.path, manifest.files[change.path], key, target, planned.ref.url)
                else:
                    manifest.record(change.path, digest(change.new or b""), key)
            elif change.action == REMOVE:
                target.unlink(missing_ok=True)
                manifest.forget(change.path)
                _prune_empty_dirs(target.parent, site)
        if remote:
            _fetch(remote, site, manifest, key, tmp_dir, changes, fetch or FetchSettings())
    finally:  # also on an interruption: the manifest tells which files on disk are ours
        data = manifest.to_bytes()
        target = safe_path(site, MANIFEST)
        if _read(target) != data:
            write_atomic(target, data)


def _fetch(
    remote: list[Change],
    site: Path,
    manifest: Manifest,
    key: str,
    tmp_dir: Path,
    changes: Changes,
    settings: FetchSettings,
) -> None:
    requests = []
    for change in remote:
        assert change.planned is not None and change.planned.ref is not None
        requests.append(FetchRequest(change.planned.ref.url, safe_path(site, change.path)))
    by_dest = {r.dest: c for r, c in zip(requests, remote)}

    def done(result: FetchResult) -> None:
        change = by_dest[result.request.dest]
        if result.ok:
            manifest.record(change.path, result.sha256, key, result.request.dest, result.request.url)
            changes.fetched += 1
            changes.fetched_bytes += result.size
        else:
            assert change.planned is not None
            changes.missing.append(Missing(change.path, result.request.url, result.error, change.planned.used_by))
        if settings.on_result:
            settings.on_result(result)

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
