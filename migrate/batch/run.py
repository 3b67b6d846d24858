"""The batch: its jobs in a pool of processes, a result for every job, and the JSON report.

Processes rather than threads: a migration is CPU-bound Python, and one that crashes or is killed
takes only its own process. The pool is made with the `spawn` start method: a forked child would
inherit the parent's threads' locks (rich's, the executor's) in whatever state they were.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migrate.batch.jobs import Job
from migrate.batch.worker import FAILED, INTERRUPTED, OK, SKIPPED, JobResult, init_worker, run_job
from migrate.report import tool_version

REPORT_VERSION = 2  # 2: each job's summary is migrate's report summary of schema_version 1
STATUSES = (OK, SKIPPED, FAILED, INTERRUPTED)


def default_workers() -> int:
    """The cores this process may use (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def _sigint_ignored():
    """Processes are spawned with SIGINT ignored: a Ctrl-C while one starts up (before its
    initializer) would otherwise print a traceback there and break the pool."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Batch:
    """`run()` the jobs; `stop()` (from a signal handler) ends them as `migrate` ends on SIGTERM and
    starts no other; `kill()` ends them at once. Either way each job's site is as migrate leaves it."""

    def __init__(self, jobs: Sequence[Job], workers: int, rerun: bool = False):
        self.jobs = list(jobs)
        self.workers = max(1, min(workers, len(self.jobs)))
        self.rerun = rerun
        self.stopped = ""  # the signal's name, once stopped
        self._stopping: Any = None  # a multiprocessing Event (its class is private to the context)

    def run(self, on_result: Callable[[JobResult], None] | None = None) -> list[JobResult]:
        """A result for every job, in the jobs' order; `on_result` hears each as it ends."""
        results: dict[str, JobResult] = {}
        if not self.jobs:
            return []
        context = multiprocessing.get_context("spawn")
        self._stopping = context.Event()  # seen by a job that the pool had already handed out
        with ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=init_worker, initargs=(self._stopping,)
        ) as pool:
            with _sigint_ignored():
                futures: dict[Future[JobResult], Job] = {
                    pool.submit(run_job, job, self.rerun): job for job in self.jobs
                }
            pending = set(futures)
            cancelled = False
            while pending:
                # a timeout so that a stop asked for by a signal is acted on soon
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    result = self._result(future, futures[future])
                    results[result.name] = result
                    if on_result is not None:
                        on_result(result)
                if self.stopped and not cancelled:
                    cancelled = True
                    for future in pending:
                        future.cancel()  # not started yet: they stay as they were
        return [results[job.name] for job in self.jobs]

    def _result(self, future: Future[JobResult], job: Job) -> JobResult:
        try:
            return future.result()
        except CancelledError:
            return JobResult(job.name, INTERRUPTED, message=f"not started: the batch was stopped by {self.stopped}")
        except BrokenProcessPool:
            # a process killed from outside (out of memory, kill -9): its job and the ones then
            # running end here; the next run of the batch resumes them
            if self.stopped:
                return JobResult(
                    job.name, INTERRUPTED, message="stopped at once (its journal lets the next run finish)"
                )
            return JobResult(job.name, FAILED, message="its process died (out of memory? killed?); run the batch again")
        except Exception as err:  # e.g. a result that could not be sent back
            return JobResult(job.name, FAILED, message=f"internal error: {type(err).__name__}: {err}")

    def stop(self, name: str) -> None:
        """Stop the batch: the running jobs get SIGTERM (finish the file in hand, write the manifest),
        the others do not start. Safe in a signal handler."""
        if self.stopped:
            return
        self.stopped = name
        if self._stopping is not None:
            self._stopping.set()
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """Stop every job at once (the second Ctrl-C): each site's journal covers what was in hand."""
        self._signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)

    def _signal(self, sig: int) -> None:
        for child in multiprocessing.active_children():  # the pool's processes
            if child.pid is None:
                continue
            try:
                os.kill(child.pid, sig)
            except OSError:
                pass  # it ended meanwhile


def totals(results: Sequence[JobResult]) -> dict[str, int]:
    out = {"jobs": len(results)}
    out.update({status: sum(1 for r in results if r.status == status) for status in STATUSES})
    return out


def report_json(
    jobs_file: Path,
    jobs: Sequence[Job],
    results: Sequence[JobResult],
    shard: tuple[int, int] | None,
    stopped: str = "",
) -> str:
    """The batch's report: the same keys whatever happened (null where a value does not apply), so a
    script can read it without asking which case it is in; `schema_version` grows when keys change."""
    by_name = {r.name: r for r in results}
    data: dict[str, Any] = {
        "schema_version": REPORT_VERSION,
        "tool_version": tool_version(),
        "jobs_file": str(jobs_file),
        "shard": {"index": shard[0], "count": shard[1]} if shard else None,
        "interrupted_by": stopped or None,
        "totals": totals(results),
        "jobs": [
            {
                "name": job.name,
                "status": by_name[job.name].status,
                "message": by_name[job.name].message,
                "out": str(job.out),
                "exports": [str(p) for p in job.exports],
                "digest": by_name[job.name].digest,
                "seconds": by_name[job.name].seconds,
                "summary": by_name[job.name].summary,
            }
            for job in jobs
            if job.name in by_name
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
