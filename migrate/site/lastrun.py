"""The record of the site's last complete run (`.wp2zola/last-run.json`), so that a run of the same
inputs into a site nobody touched since can stop before planning: its plan would be the same plan,
and comparing it with the site would find every file unchanged.

Two digests decide it. The caller's `key` covers what the plan is made from (the exports' bytes, the
options, the config, the tool's own code). `site_state` covers what the comparison reads: the size,
time and inode of every file in the folders a run reads or writes (`content/`, `static/`, the
templates and themes, the config…), the files of the manifest wherever they are, and the manifest's
own bytes. A file edited, added, removed or replaced there changes it; what a run never looks at
(`public/`, `.git/`) does not.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migrate.site.errors import SiteBusy, SiteError
from migrate.site.journal import JOURNAL
from migrate.site.lock import TMP_DIR, SiteLock
from migrate.site.manifest import MANIFEST, Manifest, file_digest, read_regular
from migrate.site.writer import write_atomic
from migrate.store import StoreError

STATE = ".wp2zola/last-run.json"
VERSION = 1
# where a run reads (the existing site's config, templates and sections) or writes
ROOTS = ("config.toml", "zola.toml", "content", "templates", "themes", "static", "comments", "redirects")


@dataclass
class LastRun:
    finished: str  # when it ended (UTC, ISO 8601)
    missing: int  # files the site uses that it could not fetch or copy
    said: dict[str, Any] = field(default_factory=dict)  # what it told the user: lines and counts


def site_state(site: Path, manifest: Manifest, since_ns: int | None = None) -> tuple[str, str]:
    """(sha256 over what a comparison of a plan with `site` would read (see the module's docstring),
    the first file changed since `since_ns` that is not as the manifest records it: "" for none).
    A run writes its record only when nothing but itself changed the site while it ran (an edit made
    meanwhile is for the next run to find)."""
    h = hashlib.sha256()
    gone = ""
    check = manifest.stats_check() if since_ns is not None else None  # the files changed since then
    since = since_ns or 0

    def add(rel: str, st: os.stat_result | None) -> None:
        h.update(_line(rel, st))
        if check is None or st is None or stat.S_ISDIR(st.st_mode):
            return
        changed = max(st.st_ctime_ns, st.st_mtime_ns)  # ctime: no tool sets it back (on Windows: creation)
        if changed >= since:
            check.add(rel, st.st_size, st.st_mtime_ns)

    def walk(seen: Callable[[str], None]) -> None:
        def add_seen(rel: str, st: os.stat_result | None) -> None:
            seen(rel)
            add(rel, st)

        for root in ROOTS:
            _walk(site, root, add_seen)

    for rel in manifest.unseen(walk):  # a manifest's file outside the roots (or gone)
        try:
            add(rel, os.lstat(site / rel))
        except (OSError, ValueError):
            add(rel, None)
            gone = gone or rel  # the manifest says it was written: removed since
    stray = (check.first_unlike() if check is not None else "") or gone
    try:
        h.update(b"manifest " + file_digest(site / MANIFEST).encode())
    except OSError:
        h.update(b"no manifest")
    return h.hexdigest(), stray


def folder_state(folder: Path) -> str:
    """sha256 over the names, sizes, times and inodes of everything under `folder` (an uploads copy)."""
    h = hashlib.sha256()
    _walk(folder, ".", lambda rel, st: h.update(_line(rel, st)))
    return h.hexdigest()


def _line(rel: str, st: os.stat_result | None) -> bytes:
    name = rel.encode("utf-8", "surrogateescape")
    return name + (b"\0-\n" if st is None else f"\0{st.st_mode} {st.st_size} {st.st_mtime_ns} {st.st_ino}\n".encode())


def _walk(top: Path, rel: str, add: Callable[[str, os.stat_result | None], None]) -> None:
    """Every entry under `top/rel` in name order. A link is told as a link, with what it leads to, and
    a linked folder (a theme kept elsewhere) is walked too, once."""
    try:
        st = os.lstat(top / rel)
    except OSError:
        add(rel, None)
        return
    _entry(top / rel, rel, st, add, set(), frozenset())


_Folder = tuple[int, int]  # (device, inode)


def _entry(
    path: Path | str,
    rel: str,
    st: os.stat_result,
    add: Callable[[str, os.stat_result | None], None],
    linked: set[_Folder],
    above: frozenset[_Folder],
) -> None:
    add(rel, st)
    if stat.S_ISLNK(st.st_mode):
        _linked(path, rel, add)
    if stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode):
        _walk_folder(path, rel, add, linked, above, stat.S_ISLNK(st.st_mode))


def _walk_folder(
    path: Path | str,
    rel: str,
    add: Callable[[str, os.stat_result | None], None],
    linked: set[_Folder],
    above: frozenset[_Folder],
    via_link: bool,
) -> None:
    """The entries of a folder, in name order. Only links can make a loop or lead to a folder twice:
    the folders reached through one are remembered (walked once), and the folders above this one
    (a link back up is not followed), not every folder of the site."""
    try:
        real = os.stat(path)
        here = (real.st_dev, real.st_ino)
        if not stat.S_ISDIR(real.st_mode) or here in linked or here in above:
            return
        if via_link:
            linked.add(here)
        names = sorted(os.listdir(path))  # names, not entries: a folder may hold a page for every post
    except OSError:
        add(rel + "/?", None)  # an unreadable folder: the state cannot vouch for it, and says so
        return
    inside = above | {here}
    for entry in names:
        name = f"{rel}/{entry}"
        full = os.path.join(path, entry)
        try:
            st = os.lstat(full)
        except OSError:
            add(name, None)
            continue
        _entry(full, name, st, add, linked, inside)


def _linked(path: Path | str, rel: str, add: Callable[[str, os.stat_result | None], None]) -> None:
    """What a link leads to (a config or a template kept elsewhere changes there)."""
    try:
        add(rel + " ->", os.stat(path))
    except OSError:
        add(rel + " ->", None)


def read(site: Path) -> tuple[str, str, LastRun] | None:
    """(key, site state, record) of the site's last complete run, or None when it has none readable."""
    try:
        data = json.loads(read_regular(site / STATE).decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema_version") != VERSION:
        return None
    key, state, said = data.get("key"), data.get("site"), data.get("said")
    missing, finished = data.get("missing"), data.get("finished")
    if not (isinstance(key, str) and isinstance(state, str) and isinstance(said, dict)):
        return None
    if not isinstance(missing, int) or not isinstance(finished, str):
        return None
    return key, state, LastRun(finished, missing, said)


def why_plan(site: Path, key: str | None, download: bool) -> tuple[str | None, LastRun | None]:
    """(None, the last run) when a run of `key` into `site` would change nothing and can stop before
    planning; else (why it plans, None)."""
    if key is None:
        return "an input cannot be read", None
    found = read(site)
    if found is None:
        return "no earlier complete run", None
    recorded, state, last = found
    if recorded != key:
        return "its inputs or options changed", None
    if (site / JOURNAL).exists():
        return "an interrupted run's journal is there", None
    try:
        SiteLock.check_free(site)
        manifest = Manifest.read(site)
        changed = bool(manifest.problem) or site_state(site, manifest)[0] != state
    except SiteBusy:
        return "another run is writing it", None  # the run that plans waits for it, or says so
    except (SiteError, StoreError):
        return "its manifest cannot be read", None  # the run that plans says what is wrong with it
    if changed:
        return "its site changed since", None
    if last.missing and download:
        return f"{last.missing} file(s) were missing: fetching them again", None
    return None, last


def record(
    site: Path, key: str, missing: int, said: dict[str, Any], since_ns: int, manifest: Manifest | None = None
) -> bool:
    """Write the record of a complete run that began at `since_ns` (the caller holds the site's lock
    and has written the manifest: `manifest`, when it gives it, is not read again), atomically: a
    later run that finds it finds it whole. A run that found the site as the record says, and said
    the same, leaves it as it is, its time included.
    Nothing is recorded (and an older record goes) when something else changed the site meanwhile;
    False then."""
    state, stray = site_state(site, manifest if manifest is not None else Manifest.read(site), since_ns)
    if stray:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(site / STATE)
        return False
    found = read(site)
    if found is not None and found[:2] == (key, state) and (found[2].missing, found[2].said) == (missing, said):
        return True  # a run that changed nothing: the site is still as the recorded run left it
    data = {
        "schema_version": VERSION,
        "key": key,
        "site": state,
        "missing": missing,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "said": said,
    }
    tmp_dir = site / TMP_DIR
    tmp_dir.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(
            site / STATE, (json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode(), tmp_dir
        )
    finally:
        try:
            tmp_dir.rmdir()  # as the run left it: no private temporary folder
        except OSError:
            pass
    return True


def inputs_key(parts: dict[str, Any], files: Iterable[Path | None]) -> str | None:
    """sha256 over `parts` (JSON) and the bytes of `files` (None: no file); None if one cannot be read."""
    h = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8"))
    for path in files:
        try:  # a regular file only: a pipe would wait for a writer forever (the run says what it is)
            h.update(b"\0" + (_input_digest(path).encode() if path is not None else b"-"))
        except OSError:
            return None
    return h.hexdigest()


_digests: dict[tuple[int, int, int, int], str] = {}  # (device, inode, size, time) → sha256


def _input_digest(path: Path) -> str:
    """An input's sha256, read once per process while its size and time stay: the check before a run
    and the run itself (`migrate` after `unchanged`, a batch job) digest the same exports."""
    st = os.stat(path)
    known = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if known not in _digests:  # a pipe is refused by file_digest, and never known
        _digests[known] = file_digest(path)
    return _digests[known]
