"""The `wp2zola` command: a thin layer over the library (`migrate.migrate`)."""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from migrate.mappings import MARKUP_CHOICES, ConfigError, Mappings
from migrate.media.fetch import FetchResult
from migrate.media.options import MediaOptions
from migrate.pipeline import migrate
from migrate.report import as_json, conflicts, kept, media_counts, skipped_by_reason
from migrate.site.apply import (
    CHANGE,
    CREATE,
    MANIFEST,
    REMOVE,
    Changes,
    FetchSettings,
    Interrupted,
    SiteError,
    Stop,
    UnsafePath,
    unified_diff,
)
from migrate.site.plan import Plan
from migrate.wxr.hosts import host_of
from migrate.wxr.reader import ExportError

app = typer.Typer(
    name="wp2zola",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main() -> None:
    """Move a WordPress site (WXR export files) to the Zola static site generator.

    Example: wp2zola migrate site.wordpress.xml --out mysite
    """


_COLOURS = {"+": "32", "-": "31", "@": "36"}


def _colour_diff(text: str) -> str:
    """ANSI colours for one file's unified diff: bold header, green/red lines, cyan hunks."""
    out = []
    in_header = True  # the ---/+++ lines before the first hunk; later "+++" is content
    for line in text.splitlines():
        if line.startswith("@@"):
            in_header = False
        code = "1" if in_header else _COLOURS.get(line[:1], "")
        out.append(f"\x1b[{code}m{line}\x1b[0m" if code else line)
    return "\n".join(out) + "\n" if out else ""


_EXIT = {"SIGINT": 130, "SIGTERM": 143}


class _Signalled(BaseException):
    """SIGINT or SIGTERM while nothing is being written: the run ends at once."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class _Signals:
    """SIGINT and SIGTERM during a migration. While files are written: finish the file in hand, then
    stop (a second signal stops at once; the journal covers it). While planning: stop at once. Once
    the manifest is written (`stop.finished`), ignored: the site is complete, the summary is all that
    is left."""

    def __init__(self, stop: Stop):
        self.stop = stop
        self.finished = False
        self.pid = os.getpid()
        self.previous = {sig: signal.signal(sig, self.handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self.pid:
            # a worker forked before it set its own handlers: the signal (the pool ending it) ends it,
            # as it would have without ours; ignoring it would leave the pool waiting for it forever
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        name = signal.Signals(signum).name
        if self.finished or self.stop.finished:
            return
        if not self.stop.writing:
            if self.stop.deferred and not self.stop.requested:
                self.stop.requested = name  # worker processes are running: the run stops at its next item
                return
            raise _Signalled(name)
        if self.stop.requested:
            raise KeyboardInterrupt
        self.stop.requested = name

    def restore(self) -> None:
        for sig, old in self.previous.items():
            signal.signal(sig, old)


def _fail(message: str) -> None:
    typer.echo(f"wp2zola: error: {message}", err=True)
    raise typer.Exit(1)


@app.command("migrate")
def migrate_command(
    exports: list[Path] = typer.Argument(
        ..., help="WXR export file(s) of one site; several files are read as one.", show_default=False
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder of the Zola site (created, or an existing site to add to)."
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        "-n",
        help="Write nothing: print a diff of every file that would be created, changed or removed.",
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML file whose tables override the defaults in mappings/."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files edited by hand since wp2zola wrote them."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print only errors (the --report file still gets everything)."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write the summary, warnings and each item's outcome as JSON to this file."
    ),
    no_download: bool = typer.Option(
        False, "--no-download", help="Rewrite every media URL but fetch nothing; list the files that are missing."
    ),
    uploads_dir: Path | None = typer.Option(
        None,
        "--uploads-dir",
        help="A local copy of wp-content/uploads (from a backup): files are copied from it, only missing ones fetched.",
    ),
    originals: bool = typer.Option(
        False, "--originals", help="Reference each image's full-size file everywhere (and fetch only those)."
    ),
    bundles: bool = typer.Option(
        False, "--bundles", help="Put a page's own files beside it (page bundles); shared files stay in static/."
    ),
    allow_host: list[str] = typer.Option(
        [], "--allow-host", help="Another host that files may be fetched from (repeat for more).", show_default=False
    ),
    fetch_external: bool = typer.Option(
        False, "--fetch-external", help="Also fetch images hosted on other sites (into static/external/)."
    ),
    downloads: int = typer.Option(4, "--downloads", min=1, max=32, help="Files fetched in parallel."),
    strict: bool = typer.Option(
        False, "--strict", help="Exit with status 3 when a file the site references could not be had."
    ),
    markup: str | None = typer.Option(
        None,
        "--markup",
        help="What the posts are written in: html, textile or markdown (a plugin's); default: guessed per site.",
        show_default=False,
    ),
    jobs: int = typer.Option(
        os.cpu_count() or 1,
        "--jobs",
        "-j",
        min=1,
        help="Processes converting items (default: the cores); the output is the same for any number.",
    ),
) -> None:
    """Migrate WordPress export(s) into a Zola site that builds, with its media.

    Example: wp2zola migrate site.wordpress.xml --out mysite --uploads-dir backup/wp-content/uploads
    """
    if uploads_dir is not None and not uploads_dir.is_dir():
        _fail(f"{uploads_dir}: --uploads-dir is not a folder")
    if markup is not None and markup not in MARKUP_CHOICES:
        raise typer.BadParameter(f"{markup!r}: one of {', '.join(MARKUP_CHOICES)}", param_hint="--markup")
    media = MediaOptions(
        download=not no_download,
        uploads_dir=uploads_dir,
        originals=originals,
        bundles=bundles,
        fetch_external=fetch_external,
        allow_hosts=tuple(allow_host),
        workers=downloads,
    )
    signals = _Signals(Stop())
    try:
        _migrate_and_report(
            exports, out, dry_run, force, config, quiet, report, no_download, strict, media, signals, markup, jobs
        )
    finally:
        signals.finished = True
        signals.restore()


def _migrate_and_report(
    exports: list[Path],
    out: Path,
    dry_run: bool,
    force: bool,
    config: Path | None,
    quiet: bool,
    report: Path | None,
    no_download: bool,
    strict: bool,
    media: MediaOptions,
    signals: _Signals,
    markup: str | None = None,
    jobs: int = 1,
) -> None:
    stop = signals.stop
    stdout = Console(highlight=False, soft_wrap=True)
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    show_progress = not quiet and stderr.is_terminal
    try:
        with _Bars(stderr, show_progress) as bars:
            result = migrate(
                exports,
                out,
                dry_run=dry_run,
                force=force,
                config=config,
                media=media,
                progress=bars.items,
                fetch=bars.fetch_settings(),
                stop=stop,
                markup=markup,
                jobs=jobs,
            )
    except (ExportError, ConfigError, UnsafePath, SiteError) as err:
        _fail(str(err))
        return
    except OSError as err:  # what no stage turned into a message of its own still gets one line
        _fail(f"{err.filename or out}: {(err.strerror or str(err)).lower()}")
        return
    except Interrupted as err:  # between two files: the manifest records what was written
        if not err.total:  # stopped while planning, at a safe point: nothing was written
            typer.echo(f"wp2zola: interrupted by {err.signal} before writing anything; the site is as it was", err=True)
            raise typer.Exit(_EXIT[err.signal]) from None
        typer.echo(
            f"wp2zola: interrupted by {err.signal} after {err.done} of {err.total} file changes; what was written "
            f"is recorded in {out / MANIFEST}, and the same command again finishes the site",
            err=True,
        )
        raise typer.Exit(_EXIT[err.signal]) from None
    except _Signalled as err:  # before the first file: nothing was written
        typer.echo(f"wp2zola: interrupted by {err.name} before writing anything; the site is as it was", err=True)
        raise typer.Exit(_EXIT[err.name]) from None
    except KeyboardInterrupt:  # a second Ctrl-C in the middle of a file: the journal covers it
        typer.echo(
            f"wp2zola: interrupted; the same command again finishes the site (its journal in {out / '.wp2zola'} "
            "says what this run was writing)",
            err=True,
        )
        raise typer.Exit(130) from None
    plan, changes = result.plan, result.changes

    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(as_json(plan, changes, dry_run), "utf-8")
        except OSError as err:
            _fail(f"{report}: cannot write the report: {err.strerror or err}")

    if dry_run and not quiet:
        colour = sys.stdout.isatty()
        for change in changes.changes:
            if change.planned is not None and change.planned.ref is not None:
                if change.action in (CREATE, CHANGE):  # media: what would be fetched or copied, not bytes
                    ref = change.planned.ref
                    sys.stdout.write(f"{'copy' if ref.local else 'fetch'} {ref.local or ref.url} -> {change.path}\n")
            elif change.action in (CREATE, CHANGE, REMOVE):
                diff = unified_diff(change)
                sys.stdout.write(_colour_diff(diff) if colour else diff)
        sys.stdout.flush()
    if quiet:
        if strict and changes.missing:
            raise typer.Exit(3)
        return
    for notice in plan.notices:
        stderr.print(f"warning: {notice}", markup=False)
    for line in conflicts(changes):
        stderr.print(f"conflict: {line} (kept; --force overwrites)", markup=False)
    for line in plan.config_required:
        stderr.print(f"config: {line}", markup=False)
    if changes.kept_from_other_exports:
        stderr.print(
            f"note: {changes.kept_from_other_exports} file(s) written earlier from other exports were left as they are",
            markup=False,
        )
    counts, files = plan.counts(), changes.counts()
    table = Table(
        title="wp2zola " + ("dry run: nothing written" if dry_run else f"migrated into {out}"),
        show_header=True,
        title_justify="left",
    )
    table.add_column("items", justify="left")
    table.add_column("", justify="right")
    table.add_column("files", justify="left")
    table.add_column("", justify="right")
    left = [
        ("read", counts["read"]),
        ("published", counts["written"]),
        ("drafts", counts["draft"]),
        ("skipped", counts["skipped"]),
        ("warnings", counts["warnings"]),
    ]
    verb = "would be " if dry_run else ""
    right = [
        (f"{verb}created", files["create"]),
        (f"{verb}changed", files["change"]),
        ("unchanged", files["unchanged"]),
        (f"{verb}removed", files["remove"]),
        ("conflicts", files["conflict"] + files["kept"]),
    ]
    for (a, x), (b, y) in zip(left, right):
        table.add_row(a, str(x), b, str(y))
    stdout.print(table)
    for reason, n in skipped_by_reason(plan).items():
        stdout.print(f"  skipped {n:>5}  {reason}", markup=False)
    for label, counter in (
        ("shortcodes left as text (map them in --config)", plan.unknown_shortcodes),
        ("plugin blocks (inner HTML converted)", plan.plugin_blocks),
        ("rendered to nothing", plan.dropped),
    ):
        if counter:
            listed = ", ".join(f"{name} ({n})" for name, n in counter.most_common(12))
            stdout.print(f"  {label}: {listed}", markup=False)
    if kept(changes):
        stdout.print(f"  kept the site's own {', '.join(kept(changes))}", markup=False)
    _media_summary(stdout, stderr, plan, changes, dry_run, no_download)
    if strict and changes.missing:
        raise typer.Exit(3)


def _media_summary(
    stdout: Console, stderr: Console, plan: Plan, changes: Changes, dry_run: bool, no_download: bool
) -> None:
    counts = media_counts(plan, changes)
    if counts["files"]:
        if dry_run:
            done = f"{counts['to_fetch_or_copy']} to fetch or copy"
        else:
            done = f"fetched {counts['fetched']} ({_size(counts['fetched_bytes'])}), copied {counts['copied']}"
        stdout.print(
            f"  media: {counts['files']} files ({counts['used_by_pages']} used by pages); {done}, "
            f"{counts['already_there']} already there, {counts['missing']} missing",
            markup=False,
        )
    if plan.links:
        listed = ", ".join(f"{kind} {n}" for kind, n in plan.links.most_common())
        stdout.print(f"  old-site URLs rewritten: {listed}", markup=False)
    if plan.redirects:
        stdout.print(
            f"  redirects: {len(plan.redirects)} for what aliases cannot keep: redirects/ (nginx, Apache), "
            "static/_redirects (Netlify, Cloudflare) and static pages",
            markup=False,
        )
    for m in changes.missing[:20]:
        used = ", ".join(m.used_by[:3]) + (f" and {len(m.used_by) - 3} more" if len(m.used_by) > 3 else "")
        stderr.print(f"missing: {m.path} <- {m.url}: {m.reason} (used by {used or 'no page'})", markup=False)
    if len(changes.missing) > 20:
        stderr.print(f"missing: … and {len(changes.missing) - 20} more (all in --report)", markup=False)
    if changes.missing and no_download:
        stderr.print("note: run again without --no-download (or with --uploads-dir) to fetch them", markup=False)
    if plan.external_media:
        hosts = Counter(host_of(url) or "?" for url in plan.external_media)
        listed = ", ".join(f"{host} ({n})" for host, n in hosts.most_common(5))
        stderr.print(
            f"note: {len(plan.external_media)} image(s) of other sites are still linked there: {listed}; "
            "--allow-host HOST if one serves this site's files, --fetch-external to fetch them all "
            "(every one is in --report)",
            markup=False,
        )


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class _Bars:
    """Progress bars on a terminal: items converted, then files fetched (count and bytes)."""

    def __init__(self, console: Console, show: bool):
        self.show = show
        self.progress = (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[bytes]}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            if show
            else None
        )
        self.item_task: TaskID | None = None
        self.fetch_task: TaskID | None = None
        self.received = 0

    def __enter__(self) -> _Bars:
        if self.progress is not None:
            self.progress.__enter__()
            self.item_task = self.progress.add_task("converting", total=None, bytes="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)

    def items(self, done: int, total: int) -> None:
        if self.progress is not None and self.item_task is not None:
            self.progress.update(self.item_task, completed=done, total=total)

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(on_result=self._fetched, on_bytes=self._bytes, on_start=self._start)

    def _start(self, files: int) -> None:
        if self.progress is not None:
            self.fetch_task = self.progress.add_task("fetching", total=files, bytes="")

    def _fetched(self, result: FetchResult) -> None:
        if self.progress is not None and self.fetch_task is not None:
            self.progress.advance(self.fetch_task)

    def _bytes(self, n: int) -> None:
        self.received += n
        if self.progress is not None and self.fetch_task is not None:
            self.progress.update(self.fetch_task, bytes=_size(self.received))


@app.command("fidelity")
def fidelity_command(
    exports: list[Path] = typer.Argument(
        ..., help="WXR export file(s); each is measured as one site.", show_default=False
    ),
    worst: int = typer.Option(3, "--worst", help="How many of the worst items of each site to show with a diff."),
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML file overriding mappings/ tables."),
) -> None:
    """Measure the converter: what WordPress showed against what Zola will show.

    For each post it compares the HTML WordPress rendered (wpautop, blocks, shortcodes) with our
    Markdown rendered by pulldown-cmark: words kept, and structure (headings, list items and their
    depth, links, images, code blocks, table cells, block quotes); raw HTML and shortcodes left.
    Independently of our renderer, it also reads the stored content itself (block comments, shortcode
    brackets and tags removed) and counts its words, bold and italic runs, <!--more--> marker, link
    targets and images that Zola shows; and in the Markdown, needless backslashes and every raw HTML
    tag by name. A post keeping under 90% of its stored words is flagged; one that shows nothing is
    an error, listed after the tables.

    Example: wp2zola fidelity site.wordpress.xml --worst 5
    """
    from migrate.fidelity.compare import diff_report, format_errors, format_table, summarize
    from migrate.fidelity.measure import measure_export

    try:
        mappings = Mappings.load(config)
        sites = {}
        reports = []
        for path in exports:
            measured = list(measure_export(path, mappings))
            by_name = {m.name: m for m in measured}
            site = summarize(((m.name, m.result) for m in measured), worst=worst)
            sites[path.name] = site
            for name, result in site.worst:
                m = by_name[name]
                reports.append(diff_report(f"{path.name}: {name}", m.wordpress_html, m.markdown, result))
    except (ExportError, ConfigError) as err:
        _fail(str(err))
        return
    typer.echo(format_table(sites))
    errors = format_errors(sites)
    if errors:
        typer.echo(errors)
    for text in reports:
        typer.echo("")
        typer.echo(text)


# the other commands, each in a module of its own, register on `app` as they are imported
from migrate.cli import batch as _batch  # noqa: E402, F401 - registers `wp2zola batch` on app
from migrate.cli import inspect as _inspect  # noqa: E402, F401 - registers `wp2zola inspect` on app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
