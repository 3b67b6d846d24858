"""Plan + site on disk → changes; then write them atomically, or show them as a diff.

The site keeps a manifest (`.wp2zola/manifest.json`) of the bytes the tool last wrote to each
file. A file whose bytes differ from that record was edited by hand: it is a conflict, kept as it
is unless `force`. A file the tool wrote before and no longer plans is removed (if unedited).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from migrate.site.plan import Plan, PlannedFile

MANIFEST = ".wp2zola/manifest.json"
CREATE, CHANGE, UNCHANGED, REMOVE, CONFLICT, KEPT = "create", "change", "unchanged", "remove", "conflict", "kept"


class UnsafePath(Exception):
    """A planned path that would leave the site folder."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_path(site: Path, rel: str) -> Path:
    """`site/rel`, refusing anything that would resolve outside `site` (.., absolute, symlinks)."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or not rel or any(part in ("..", "", ".") for part in rel.split("/")) or "\\" in rel or "\x00" in rel:
        raise UnsafePath(f"refusing to write {rel!r}: not a plain path inside the site")
    root = site.resolve()
    target = (root / pure).resolve()
    if target != root and root not in target.parents:
        raise UnsafePath(f"refusing to write {rel!r}: it resolves outside {root}")
    return root / pure


@dataclass
class Change:
    path: str
    action: str  # create | change | unchanged | remove | conflict | kept
    new: bytes | None = None  # None for removals
    old: bytes | None = None  # None when the file does not exist
    reason: str = ""


@dataclass
class Changes:
    site: Path
    changes: list[Change] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)  # the exports of this run: the origin of its files
    kept_from_other_exports: int = 0  # files of an earlier run of other exports, left alone

    def by_action(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in (CREATE, CHANGE, UNCHANGED, REMOVE, CONFLICT, KEPT)}
        for c in self.changes:
            out[c.action] += 1
        return out


def _manifest(site: Path) -> dict:
    try:
        data = json.loads((site / MANIFEST).read_text("utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def read_manifest(site: Path) -> dict[str, str]:
    """File → sha256 of the bytes wp2zola last wrote there."""
    files = _manifest(site).get("files", {})
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def read_manifest_origins(site: Path) -> dict[str, str]:
    """File → the export file names that produced it ("a.xml b.xml"): a run removes only files that
    the same exports produced before, never those of another site or another split file."""
    origins = _manifest(site).get("origins", {})
    return {str(k): str(v) for k, v in origins.items()} if isinstance(origins, dict) else {}


def origin_key(exports: list[str]) -> str:
    return " ".join(sorted(exports))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return b""


def compare(plan: Plan, site: Path, force: bool = False) -> Changes:
    """What applying the plan would do to the site as it is now."""
    site = Path(site)
    before = read_manifest(site)
    result = Changes(site, exports=sorted(plan.exports))
    origins = read_manifest_origins(site)
    key = origin_key(plan.exports)
    for rel in sorted(plan.files):
        planned: PlannedFile = plan.files[rel]
        target = safe_path(site, rel)
        old = _read(target)
        if old is None:
            result.changes.append(Change(rel, CREATE, planned.data))
        elif old == planned.data:
            result.changes.append(Change(rel, UNCHANGED, planned.data, old))
        elif planned.keep_existing and rel not in before:
            result.changes.append(Change(rel, KEPT, planned.data, old, "the site's own file"))
        elif before.get(rel) == digest(old) or force:
            result.changes.append(Change(rel, CHANGE, planned.data, old, "forced" if before.get(rel) != digest(old) else ""))
        else:
            why = "edited since wp2zola wrote it" if rel in before else "not written by wp2zola"
            result.changes.append(Change(rel, CONFLICT, planned.data, old, why))
    for rel in sorted(set(before) - set(plan.files)):
        if origins.get(rel, key) != key:  # written from other exports: theirs to remove
            result.kept_from_other_exports += 1
            continue
        try:
            target = safe_path(site, rel)
        except UnsafePath:
            continue  # a tampered manifest names nothing we would touch
        old = _read(target)
        if old is None:
            continue
        if digest(old) == before[rel] or force:
            result.changes.append(Change(rel, REMOVE, None, old))
        else:
            result.changes.append(Change(rel, CONFLICT, None, old, "no longer planned, but edited since wp2zola wrote it"))
    return result


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".wp2zola-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def manifest_bytes(manifest: dict[str, str], origins: dict[str, str]) -> bytes:
    data = {"version": 1, "files": dict(sorted(manifest.items())), "origins": dict(sorted(origins.items()))}
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()


def apply(changes: Changes) -> None:
    """Carry out the changes. The manifest is written last, and records only what is on disk."""
    site = changes.site
    site.mkdir(parents=True, exist_ok=True)
    done = read_manifest(site)
    origins = read_manifest_origins(site)
    key = origin_key(changes.exports)
    try:
        for change in changes.changes:
            target = safe_path(site, change.path)
            if change.action in (CREATE, CHANGE):
                write_atomic(target, change.new or b"")
                done[change.path] = digest(change.new or b"")
                origins[change.path] = key
            elif change.action == UNCHANGED:
                done[change.path] = digest(change.new or b"")
                origins[change.path] = key
            elif change.action == REMOVE:
                target.unlink(missing_ok=True)
                done.pop(change.path, None)
                origins.pop(change.path, None)
                _prune_empty_dirs(target.parent, site)
    finally:  # also on an interruption: the manifest tells which files on disk are ours
        data = manifest_bytes(done, {k: v for k, v in origins.items() if k in done})
        target = safe_path(site, MANIFEST)
        if _read(target) != data:
            write_atomic(target, data)


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
