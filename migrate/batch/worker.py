"""One job, in a process of its own: skip it when nothing changed since its last success, else migrate.

`run_job` is the entry function of the pool's processes: a module-level function of picklable
arguments, so that it works with the `spawn` start method (the only one on Windows and macOS, and
the safe one beside threads). Whatever goes wrong in one job becomes its result, never an exception
that would reach the other jobs.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from migrate.batch.jobs import Job
from migrate.mappings import ConfigError
from migrate.media.options import MediaOptions
from migrate.pipeline import migrate, run_key
from migrate.report import as_json, summary
from migrate.site import lastrun
from migrate.site.apply import Interrupted, SiteError, Stop, UnsafePath
from migrate.site.lastrun import LastRun
from migrate.wxr.reader import ExportError

OK, SKIPPED, FAILED, INTERRUPTED = "ok", "skipped", "failed", "interrupted"


@dataclass
class JobResult:
    name: str
    status: str
    seconds: float = 0.0
    message: str = ""  # why it failed, was skipped or stopped; empty when it ran to the end
    digest: str | None = None  # of its inputs; None when one could not be read
    summary: dict[str, Any] | None = field(default=None)  # migrate's counts, when it ran


def _media(job: Job) -> MediaOptions:
    return MediaOptions(
        download=not job.no_download,
        uploads_dir=job.uploads_dir,
        originals=job.originals,
        bundles=job.bundles,
        fetch_external=job.fetch_external,
        allow_hosts=job.allow_host,
        workers=job.downloads,
    )


def why_run(job: Job) -> tuple[str | None, str | None, LastRun | None]:
    """(None when the job can be skipped, else why it runs; the digest of its inputs; the site's last
    complete run, when it is skipped). The record is the site's last complete run, whoever ran it: a
    site migrated by hand with the job's options is not migrated again."""
    if job.dry_run:
        return "a dry run", None, None
    key = run_key(
        job.exports,
        config=job.config,
        force=job.force,
        media=_media(job),
        markup=job.markup,
        comments=not job.no_comments,
    )
    if job.report is not None or job.review is not None:  # made from the whole plan, as `migrate` makes them
        return f"it writes a {'report' if job.report is not None else 'review'}", key, None
    reason, last = lastrun.why_plan(job.out, key, not job.no_download)
    return reason, key, last


def _strict_failure(missing: int) -> str:
    return f"{missing} file(s) the site uses are missing (strict)"


_batch_stopping: Any = None  # the batch's Event, in a process of its pool


def init_worker(stopping: Any) -> None:
    """The pool's initializer. Ctrl-C reaches every process of the terminal's group; only the batch
    acts on it, and stops the running jobs itself (SIGTERM, handled while a job runs), so that each
    stops once and cleanly."""
    global _batch_stopping
    _batch_stopping = stopping
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


class _Stopped(BaseException):
    """SIGTERM from the batch while nothing is being written: this job ends at once."""

    def __init__(self, message: str = "stopped before writing anything"):
        super().__init__(message)
        self.message = message


def run_job(job: Job, rerun: bool = False) -> JobResult:
    """Run one job to its result. The batch stops a job with SIGTERM: as `wp2zola migrate` does, the
    file in hand is finished and the manifest written (or, while planning, the job ends at once)."""
    started = time.monotonic()
    stop = Stop()

    def on_term(signum: int, frame: FrameType | None) -> None:
        if stop.finished:
            return  # the manifest is written: the site is complete
        if not stop.writing:
            raise _Stopped
        if stop.requested:
            raise KeyboardInterrupt  # a second signal: at once (the journal covers it)
        stop.requested = signal.Signals(signum).name

    previous = signal.signal(signal.SIGTERM, on_term)
    result = JobResult(job.name, FAILED)
    try:
        # checked once the handler is in place: a stop that came earlier was ignored (SIG_IGN)
        if _batch_stopping is not None and _batch_stopping.is_set():
            raise _Stopped("not started: the batch was stopped")
        result = _run(job, rerun, stop)
    except _Stopped as stopped:
        result = JobResult(job.name, INTERRUPTED, message=stopped.message)
    except KeyboardInterrupt:
        result = JobResult(job.name, INTERRUPTED, message="stopped within a file; its journal lets the next run finish")
    finally:
        stop.finished = True
        signal.signal(signal.SIGTERM, previous)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _run(job: Job, rerun: bool, stop: Stop) -> JobResult:
    if job.uploads_dir is not None and not job.uploads_dir.is_dir():
        return JobResult(job.name, FAILED, message=f"{job.uploads_dir}: uploads_dir is not a folder")
    reason, digest, last = why_run(job)
    if rerun:
        reason = "run again (--rerun)"
    elif last is not None and job.strict and last.missing:  # as its last run ended: failed, strict
        return JobResult(job.name, FAILED, message=_strict_failure(last.missing), digest=digest)
    elif last is not None:
        return JobResult(job.name, SKIPPED, message="unchanged since its last success", digest=digest)
    media = _media(job)
    try:
        result = migrate(
            job.exports,
            job.out,
            dry_run=job.dry_run,
            force=job.force,
            config=job.config,
            media=media,
            stop=stop,
            markup=job.markup,
            comments=not job.no_comments,
            review=job.review,
        )
    except (ExportError, ConfigError, UnsafePath, SiteError) as err:
        return JobResult(job.name, FAILED, message=str(err), digest=digest)
    except Interrupted as err:
        return JobResult(
            job.name,
            INTERRUPTED,
            message=f"stopped after {err.done} of {err.total} file changes (recorded in its manifest)",
            digest=digest,
        )
    except OSError as err:  # what no stage turned into a message of its own, as `migrate` says it
        reason = (err.strerror or str(err)).lower()
        return JobResult(job.name, FAILED, message=f"{err.filename or job.out}: {reason}", digest=digest)
    except Exception as err:  # a bug of ours in one site must not take the batch down with it
        return JobResult(job.name, FAILED, message=f"internal error: {type(err).__name__}: {err}", digest=digest)
    plan, changes = result.plan, result.changes
    counts = summary(plan, changes)
    if job.report is not None:
        try:
            job.report.parent.mkdir(parents=True, exist_ok=True)
            job.report.write_text(as_json(plan, changes, job.dry_run), "utf-8")
        except OSError as err:
            return JobResult(
                job.name, FAILED, message=f"{job.report}: cannot write the report: {err.strerror or err}", digest=digest
            )
    missing = len(changes.missing)
    if job.strict and missing:
        return JobResult(
            job.name,
            FAILED,
            message=_strict_failure(missing),
            digest=digest,
            summary=counts,
        )
    return JobResult(job.name, OK, message=f"ran: {reason}", digest=digest, summary=counts)
