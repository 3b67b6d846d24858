"""The jobs file: one `[jobs.NAME]` table a site, `[defaults]` under them all; checked whole before
anything runs, each problem one line naming the file and the job.

    [defaults]
    no_download = true

    [jobs.blog]
    exports = ["exports/blog.xml"]
    out = "sites/blog"
    uploads_dir = "backups/blog/uploads"

Paths are relative to the jobs file's folder, so the file means the same from any working folder (a
CI checkout, another host of a shard).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate.mappings import MARKUP_CHOICES


class JobsError(Exception):
    """A jobs file that cannot be used; the message names the file (and the job)."""


BOOL, TEXT, PATH, PATHS, HOSTS, COUNT = (
    "true or false",
    "a string",
    "a path",
    "a list of paths",
    "a list of hosts",
    "a whole number",
)

# option → (kind, default); the names are those of `wp2zola migrate`'s options, with _ for -
OPTIONS: dict[str, tuple[str, Any]] = {
    "exports": (PATHS, None),
    "out": (PATH, None),
    "config": (PATH, None),
    "force": (BOOL, False),
    "dry_run": (BOOL, False),
    "no_download": (BOOL, False),
    "uploads_dir": (PATH, None),
    "originals": (BOOL, False),
    "bundles": (BOOL, False),
    "allow_host": (HOSTS, []),
    "fetch_external": (BOOL, False),
    "downloads": (COUNT, 4),
    "strict": (BOOL, False),
    "markup": (TEXT, None),
    "report": (PATH, None),
    "no_comments": (BOOL, False),
    "review": (PATH, None),
}
REQUIRED = ("exports", "out")
DOWNLOADS = range(1, 33)  # as `migrate --downloads`


@dataclass(frozen=True)
class Job:
    """One migration of the batch, its paths resolved against the jobs file's folder.

    `options` holds every option's effective value as written in the file (defaults included): what
    the job's digest covers, independent of where the file sits on this machine."""

    name: str
    exports: tuple[Path, ...]
    out: Path
    config: Path | None = None
    uploads_dir: Path | None = None
    report: Path | None = None
    force: bool = False
    dry_run: bool = False
    no_download: bool = False
    originals: bool = False
    bundles: bool = False
    fetch_external: bool = False
    strict: bool = False
    allow_host: tuple[str, ...] = ()
    downloads: int = 4
    markup: str | None = None
    no_comments: bool = False
    review: Path | None = None
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def load_jobs(path: Path) -> list[Job]:
    """The jobs of `path`, in the file's order; JobsError (one line) for anything wrong in it."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise JobsError(f"{path}: no such jobs file") from None
    except OSError as err:
        raise JobsError(f"{path}: cannot read the jobs file: {(err.strerror or str(err)).lower()}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise JobsError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(data) - {"defaults", "jobs"})
    if unknown:
        raise JobsError(f"{path}: unknown table {unknown[0]!r} (a jobs file has [defaults] and [jobs.NAME] tables)")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise JobsError(f"{path}: defaults must be a table ([defaults])")
    _check(path, "[defaults]", defaults)
    tables = data.get("jobs")
    if not isinstance(tables, dict) or not tables:
        raise JobsError(f"{path}: no job: add a [jobs.NAME] table with exports and out")
    base = path.parent
    jobs = []
    for name, table in tables.items():
        where = f"job {name!r}"
        if not isinstance(table, dict):
            raise JobsError(f"{path}: {where} must be a table ([jobs.{name}])")
        if not name.strip():
            raise JobsError(f"{path}: a job has an empty name")
        _check(path, where, table)
        merged = {**defaults, **table}
        for key in REQUIRED:
            if key not in merged:
                raise JobsError(f"{path}: {where} has no {key} ({OPTIONS[key][0]})")
        jobs.append(_job(name, merged, base))
    _check_outs(path, jobs)
    return jobs


def _check(path: Path, where: str, table: dict[str, Any]) -> None:
    for key, value in table.items():
        if key not in OPTIONS:
            raise JobsError(f"{path}: {where}: unknown option {key!r} (known: {', '.join(OPTIONS)})")
        kind = OPTIONS[key][0]
        if not _fits(kind, value):
            raise JobsError(f"{path}: {where}: {key} must be {kind}, not {value!r}")
        if key == "exports" and not value:
            raise JobsError(f"{path}: {where}: exports names no file")
        if key == "downloads" and value not in DOWNLOADS:
            raise JobsError(f"{path}: {where}: downloads must be from 1 to 32, not {value}")
        if key == "markup" and value not in MARKUP_CHOICES:
            raise JobsError(f"{path}: {where}: markup must be one of {', '.join(MARKUP_CHOICES)}, not {value!r}")


def _fits(kind: str, value: Any) -> bool:
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == COUNT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in (TEXT, PATH):
        return isinstance(value, str) and (kind == TEXT or bool(value.strip()))
    # a list, or one string for a single export or host
    values = [value] if isinstance(value, str) else value
    return isinstance(values, list) and all(isinstance(v, str) and v.strip() for v in values)


def _job(name: str, merged: dict[str, Any], base: Path) -> Job:
    options = {key: merged.get(key, default) for key, (_kind, default) in OPTIONS.items()}
    for key in ("exports", "allow_host"):
        if isinstance(options[key], str):
            options[key] = [options[key]]

    def resolve(value: str | None) -> Path | None:
        return None if value is None else base / Path(value).expanduser()

    out = resolve(options["out"])
    assert out is not None  # required, checked above
    return Job(
        name=name,
        exports=tuple(base / Path(p).expanduser() for p in options["exports"]),
        out=out,
        config=resolve(options["config"]),
        uploads_dir=resolve(options["uploads_dir"]),
        report=resolve(options["report"]),
        force=options["force"],
        dry_run=options["dry_run"],
        no_download=options["no_download"],
        originals=options["originals"],
        bundles=options["bundles"],
        fetch_external=options["fetch_external"],
        strict=options["strict"],
        allow_host=tuple(options["allow_host"]),
        downloads=options["downloads"],
        markup=options["markup"],
        no_comments=options["no_comments"],
        review=resolve(options["review"]),
        options=options,
    )


def _check_outs(path: Path, jobs: list[Job]) -> None:
    """Two jobs on one site would refuse each other (its lock) and overwrite each other's record."""
    seen: dict[Path, str] = {}
    for job in jobs:
        key = Path(job.out).resolve()
        if key in seen:
            raise JobsError(
                f"{path}: jobs {seen[key]!r} and {job.name!r} both write {job.out}: give each job its own out "
                "(the exports of one site go in one job)"
            )
        seen[key] = job.name


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` → (I, N), 1 ≤ I ≤ N: the I-th of N shares, numbered from 1 as CI matrices count."""
    index, sep, count = text.partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise ValueError(f"{text!r}: write I/N, e.g. 2/4")
    i, n = int(index), int(count)
    if not 1 <= i <= n:
        raise ValueError(f"{text!r}: I must be from 1 to N")
    return i, n


def shard_of(name: str, count: int) -> int:
    """Which shard (1..count) runs the job `name`. A stable hash of the name, the same on every machine
    and Python (not `hash()`, which is salted per process), so no host needs to know the others; adding,
    removing or reordering jobs moves no other job to another shard (and away from its record)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") % count + 1


def in_shard(jobs: list[Job], index: int, count: int) -> list[Job]:
    return [job for job in jobs if shard_of(job.name, count) == index]
