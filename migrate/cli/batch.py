"""`wp2zola batch JOBS.toml`: many migrations at once, a line as each ends, a table and a report."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console
from rich.table import Table

from migrate.batch.jobs import Job, JobsError, in_shard, load_jobs, parse_shard, shard_of
from migrate.batch.run import Batch, default_workers, report_json, totals
from migrate.batch.worker import FAILED, INTERRUPTED, OK, SKIPPED, JobResult, why_run
from migrate.cli import app, console

_EXIT = {"SIGINT": 130, "SIGTERM": 143}
_STYLE = {OK: "green", SKIPPED: "cyan", FAILED: "bold red", INTERRUPTED: "yellow"}


def _usage(message: str) -> None:
    typer.echo(f"wp2zola: error: {message}", err=True)
    raise typer.Exit(2)


@app.command("batch")
def batch_command(
    jobs_file: Path = typer.Argument(
        ...,
        help="TOML file of the jobs: a jobs.NAME table each (exports, out, and any option of migrate), "
        "a defaults table for them all.",
        show_default=False,
    ),
    jobs: int | None = typer.Option(
        None,
        "--jobs",
        "-j",
        min=1,
        help="Jobs run at once, each in a process (default: the cores).",
        show_default=False,
    ),
    shard: str | None = typer.Option(
        None,
        "--shard",
        help="Run only the I-th of N shares of the jobs (I/N, I from 1), to spread a batch over machines.",
        show_default=False,
    ),
    report: Path | None = typer.Option(None, "--report", help="Write every job's status and counts as JSON here."),
    rerun: bool = typer.Option(False, "--rerun", help="Run every job, also those unchanged since their last success."),
    list_only: bool = typer.Option(
        False, "--list", help="Print the jobs (of the shard) and whether each would run or be skipped; run nothing."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only failures (the --report file gets everything)."),
) -> None:
    """Run the migrations of a jobs file in parallel, skipping the jobs unchanged since their last success.

    One failing job does not stop the others; the exit status is 1 when any failed. With --shard I/N
    several machines share a batch (a CI matrix), with no coordinator.

    Example: wp2zola batch jobs.toml --jobs 4 --report batch.json
    """
    try:
        all_jobs = load_jobs(jobs_file)
    except JobsError as err:
        _usage(str(err))
        return
    share: tuple[int, int] | None = None
    if shard is not None:
        try:
            share = parse_shard(shard)
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--shard") from None
    selected = in_shard(all_jobs, *share) if share else all_jobs
    stdout, stderr = console(), console(stderr=True)
    of_shard = f" in shard {share[0]}/{share[1]} (of {len(all_jobs)})" if share else ""
    if list_only:
        _list(stdout, selected, share, rerun, of_shard)
        return

    batch = Batch(selected, jobs or default_workers(), rerun)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if batch.stopped:
            batch.kill()  # a second one: at once; each site's journal covers the file in hand
        else:
            batch.stop(signal.Signals(signum).name)

    def on_result(result: JobResult) -> None:
        if batch.stopped:
            return  # the one line below says it all
        if result.status == FAILED:
            stderr.print(f"wp2zola: job {result.name!r} failed: {result.message}", markup=False)
        elif not quiet:
            stderr.print(f"{result.status:<11} {result.name}  {result.seconds:.1f} s  {result.message}", markup=False)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        results = batch.run(on_result)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(report_json(jobs_file, selected, results, share, batch.stopped), "utf-8")
        except OSError as err:
            typer.echo(f"wp2zola: error: {report}: cannot write the report: {err.strerror or err}", err=True)
            raise typer.Exit(1) from None
    count = totals(results)
    if batch.stopped:
        typer.echo(
            f"wp2zola: batch interrupted by {batch.stopped}: {count[OK] + count[SKIPPED]} of {count['jobs']} jobs done, "
            f"{count[FAILED]} failed, {count[INTERRUPTED]} stopped or not started; each site is as migrate leaves it, "
            "and the same command again resumes them",
            err=True,
        )
        raise typer.Exit(_EXIT.get(batch.stopped, 130))
    if not quiet:
        _table(stdout, results, of_shard)
    if count[FAILED]:
        raise typer.Exit(1)


def _table(stdout: Console, results: list[JobResult], of_shard: str) -> None:
    count = totals(results)
    table = Table(title=f"wp2zola batch: {count['jobs']} job(s){of_shard}", title_justify="left")
    table.add_column("job", overflow="fold")
    table.add_column("status", min_width=len(INTERRUPTED))
    for name in ("published", "drafts", "warnings", "changed", "missing", "time"):
        table.add_column(name, justify="right", no_wrap=True)
    for result in results:
        s = result.summary
        items, files, media = (s["items"], s.get("files", {}), s["media"]) if s else ({}, {}, {})

        def cell(d: dict, key: str) -> str:
            return str(d[key]) if key in d else ""

        # files created, changed or removed: what this run did to the site
        changed = str(sum(files.get(k, 0) for k in ("create", "change", "remove"))) if files else ""
        table.add_row(
            result.name,
            f"[{_STYLE[result.status]}]{result.status}[/]",
            cell(items, "written"),
            cell(items, "draft"),
            cell(items, "warnings"),
            changed,
            cell(media, "missing"),
            f"{result.seconds:.1f} s",
        )
    stdout.print(table)
    for result in results:
        if result.status in (SKIPPED, FAILED):
            stdout.print(f"  {result.status} {result.name}: {result.message}", markup=False)
    stdout.print(f"  {count[OK]} ran, {count[SKIPPED]} skipped (unchanged), {count[FAILED]} failed", markup=False)


def _list(stdout: Console, jobs: list[Job], share: tuple[int, int] | None, rerun: bool, of_shard: str) -> None:
    table = Table(title=f"wp2zola batch: {len(jobs)} job(s){of_shard}", title_justify="left")
    for name in ("job", "shard", "would", "why", "out"):
        table.add_column(name)
    count = share[1] if share else 1
    for job in jobs:
        reason = "--rerun" if rerun else why_run(job)[0]
        would = "skip" if reason is None else "run"
        table.add_row(job.name, f"{shard_of(job.name, count)}/{count}", would, reason or "unchanged", str(job.out))
    stdout.print(table)
