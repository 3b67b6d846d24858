"""The `wp2zola` command: a thin layer over the library (`migrate.migrate`)."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import zip_longest
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperArgument, TyperCommand, TyperGroup

from migrate.mappings import MARKUP_CHOICES, ConfigError, Mappings
from migrate.media.fetch import FetchResult
from migrate.media.options import MediaOptions
from migrate.pipeline import MISSING_SHOWN, Result, migrate, unchanged
from migrate.report import LINKS, SCHEMA, as_json, conflicts, content, kept, summary, tool_version
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
from migrate.site.lastrun import LastRun
from migrate.site.plan import Plan
from migrate.site.writer import check_writable, write_atomic
from migrate.store import StoreError
from migrate.wxr.hosts import host_of
from migrate.wxr.reader import ExportError


def no_colour() -> bool:
    """NO_COLOR set to anything but "" turns colour off (no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def console(stderr: bool = False, **options: Any) -> Console:
    """A rich console for a command's output: coloured on a terminal only, never under NO_COLOR (rich
    alone honours NO_COLOR by dropping colours but keeps bold and italics, escape codes all the same)."""
    settings: dict[str, Any] = {"highlight": False, "soft_wrap": True, **options}
    return Console(stderr=stderr, color_system=None if no_colour() else "auto", **settings)


# one vocabulary of help labels for every command, those of modules of their own too ("--out SITE",
# "EXPORT..."), instead of typer's "{exports}..." and "<list[Path]>"; a flag has none
_LABELS = {
    "exports": "EXPORT...",
    "jobs_file": "JOBS.toml",
    "out": "SITE",
    "config": "FILE",
    "report": "FILE.json",
    "uploads_dir": "FOLDER",
    "allow_host": "HOST",
    "markup": "html|textile|markdown",
    "shard": "I/N",
    "downloads": "N",
    "jobs": "N",
    "worst": "N",
}


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the label says it ("EXPORT..."); typer would add "<list[Path]>"


def _label(params: list[Any]) -> None:
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.metavar is None:
            param.metavar = _LABELS.get(param.name or "") or (param.type.name or "value").split()[0].upper()
        if type(param) is TyperArgument:  # typer makes its arguments itself: no other way in
            param.__class__ = _Argument


class _Labelled:
    """Help labels for a command or group's own parameters and for its help option."""

    params: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _label(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            _label([option])
        return option


class _Command(_Labelled, TyperCommand):
    """A command whose help reads `wp2zola migrate [OPTIONS] EXPORT...`, with `--out SITE`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                label = param.metavar or (param.name or "").upper()
                pieces.append(label if param.required else f"[{label}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


class _Group(_Labelled, TyperGroup):
    pass


app = typer.Typer(
    name="wp2zola",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # the subcommands' contexts inherit it
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wp2zola {tool_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version of wp2zola and exit."
    ),
) -> None:
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
        False,
        "--quiet",
        "-q",
        help="Print only what needs you, to stderr: errors, conflicts and config lines (--report has everything).",
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
    no_comments: bool = typer.Option(
        False, "--no-comments", help="Write none of the comments (by default the approved ones go beside each post)."
    ),
    review: Path | None = typer.Option(
        None,
        "--review",
        help="Also write REVIEW.html: every item, WordPress's rendering beside Zola's, with measures and flags.",
        metavar="REVIEW.html",
    ),
    rerun: bool = typer.Option(
        False,
        "--rerun",
        help="Plan and compare the whole site even when its inputs and files are as the last run left them.",
    ),
) -> None:
    """Migrate WordPress export(s) into a Zola site that builds, with its media.

    Example: wp2zola migrate site.wordpress.xml --out mysite --uploads-dir backup/wp-content/uploads
    """
    check_options(markup, uploads_dir)
    media = MediaOptions(
        download=not no_download,
        uploads_dir=uploads_dir,
        originals=originals,
        bundles=bundles,
        fetch_external=fetch_external,
        allow_hosts=tuple(allow_host),
        workers=downloads,
    )
    with _handled_signals() as signals:
        _migrate_and_report(
            exports,
            out,
            dry_run,
            force,
            config,
            quiet,
            report,
            no_download,
            strict,
            media,
            signals,
            markup,
            jobs,
            comments=not no_comments,
            review=review,
            rerun=rerun,
        )


@contextmanager
def _handled_signals() -> Iterator[_Signals]:
    """Ctrl-C and SIGTERM handled as the run needs while it runs, and given back after."""
    signals = _Signals(Stop())
    try:
        yield signals
    finally:
        signals.finished = True
        signals.restore()


def check_options(markup: str | None, uploads_dir: Path | None = None) -> None:
    """The options a command checks before it reads anything: a usage error, or one line."""
    if uploads_dir is not None and not uploads_dir.is_dir():
        _fail(f"{uploads_dir}: --uploads-dir is not a folder")
    if markup is not None and markup not in MARKUP_CHOICES:
        raise typer.BadParameter(f"{markup!r}: one of {', '.join(MARKUP_CHOICES)}", param_hint="--markup")


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
    comments: bool = True,
    review: Path | None = None,
    show_diff: bool = True,
    rerun: bool = False,
) -> None:
    stop = signals.stop
    try:  # before anything is done: a report that cannot be written must not wait for the whole run
        for path, doing in ((report, "cannot write the report"), (review, "cannot write the review")):
            if path is not None:
                check_writable(path, doing)
    except SiteError as err:
        _fail(str(err))
        return
    stdout, stderr = console(), console(stderr=True)
    if not rerun and report is None and review is None:  # a report or a review needs the whole plan
        _, last = unchanged(exports, out, config=config, force=force, media=media, markup=markup, comments=comments)
        if last is not None:
            _said_again(stdout, stderr, last, quiet, dry_run, no_download, strict)
            return
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
                comments=comments,
                review=review,
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
    try:  # what the run noted is read back from its store in the temporary folder, which can fail too
        _tell_run(stdout, stderr, result, out, dry_run, quiet, report, review, no_download, strict, show_diff)
    except StoreError as err:
        done = "nothing was written" if dry_run else "the site's files were written"
        _fail(f"{err.folder}: cannot read back what the run noted ({err.said}); {done}: free some space and run again")


def _tell_run(
    stdout: Console,
    stderr: Console,
    result: Result,
    out: Path,
    dry_run: bool,
    quiet: bool,
    report: Path | None,
    review: Path | None,
    no_download: bool,
    strict: bool,
    show_diff: bool,
) -> None:
    """The report, the dry run's diff, the warnings and the summary of a run that planned."""
    plan, changes = result.plan, result.changes
    if report is not None:
        try:
            report.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(report, as_json(plan, changes, dry_run).encode("utf-8"))
        except SiteError as err:
            _fail(str(err))
        except OSError as err:
            _fail(
                str(SiteError.from_os(report, err, "cannot write the report", then="free some space and run it again"))
            )

    if dry_run and not quiet and show_diff:
        colour = stdout.color_system is not None  # as the console decides: a terminal, and no NO_COLOR
        for change in changes.changes:
            if change.planned is not None and change.planned.ref is not None:
                if change.action in (CREATE, CHANGE):  # media: what would be fetched or copied, not bytes
                    ref = change.planned.ref
                    sys.stdout.write(f"{'copy' if ref.local else 'fetch'} {ref.local or ref.url} -> {change.path}\n")
            elif change.action in (CREATE, CHANGE, REMOVE):
                diff = unified_diff(change)
                sys.stdout.write(_colour_diff(diff) if colour else diff)
        sys.stdout.flush()
    _warnings(stderr, quiet, ((n.message, str(n)) for n in plan.notices), conflicts(changes), plan.config_required)
    if quiet:
        if strict and changes.missing:
            raise typer.Exit(3)
        return
    _other_exports(stderr, changes.kept_from_other_exports)
    counts = summary(plan, changes)  # the report's summary: the table and the report cannot disagree
    items, files = counts["items"], counts["files"]
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
        ("read", items["read"]),
        ("published", items["written"]),
        ("drafts", items["draft"]),
        ("skipped", items["skipped"]),
        ("warnings", items["warnings"]),
    ]
    verb = "would be " if dry_run else ""
    right = [
        (f"{verb}created", files["create"]),
        (f"{verb}changed", files["change"]),
        ("unchanged", files["unchanged"]),
        (f"{verb}removed", files["remove"]),
        ("conflicts", files["conflict"]),
        ("kept", files["kept"]),  # the site's own file where wp2zola would write one: not a conflict
    ]
    for (a, x), (b, y) in zip_longest(left, right, fillvalue=("", "")):
        table.add_row(a, str(x), b, str(y))
    stdout.print(table)
    for skipped in counts["skipped_by_reason"]:
        stdout.print(f"  skipped {skipped['count']:>5}  {skipped['reason']}", markup=False)
    found = content(plan)
    for label, key in (
        ("shortcodes left as text (map them in --config)", "unknown_shortcodes"),
        ("plugin blocks (inner HTML converted)", "plugin_blocks"),
        ("rendered to nothing", "dropped"),
    ):
        if found[key]:
            listed = ", ".join(f"{named['name']} ({named['items']})" for named in found[key][:12])
            stdout.print(f"  {label}: {listed}", markup=False)
    if kept(changes):
        stdout.print(f"  kept the site's own {', '.join(kept(changes))}", markup=False)
    said = counts["comments"]
    if said["read"]:
        reasons = ", ".join(f"{r['reason']} {r['count']}" for r in said["left_out"])
        stdout.print(
            f"  comments: {said['read']} read, {said['written']} written beside their posts (comments/)"
            + (f"; left out: {reasons}" if reasons else ""),
            markup=False,
        )
    if review is not None:
        stdout.print(f"  review: {review} (open it in a browser)", markup=False)
    _media_summary(stdout, stderr, plan, changes, counts, dry_run, no_download)
    if strict and changes.missing:
        raise typer.Exit(3)


def _said_again(
    stdout: Console, stderr: Console, last: LastRun, quiet: bool, dry_run: bool, no_download: bool, strict: bool
) -> None:
    """A run that stops before planning: its plan would be the last run's, and would find every file
    as that run left it. What the last run said that is still true is said again."""

    def lines(key: str) -> list[str]:
        value = last.said.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    said = last.said.get("notices")
    notices = [(str(n[0]), str(n[1])) for n in said or [] if isinstance(n, list) and len(n) == 2]  # (kind, line)
    _warnings(stderr, quiet, notices, lines("conflicts"), lines("config"))
    if not quiet:
        files, items = last.said.get("files"), last.said.get("items")
        stdout.print(
            f"wp2zola: nothing {'would change' if dry_run else 'to do'}: the exports, options and config are those "
            f"of the run of {last.finished}, and the site is as it left it ({items} items read, {files} files, all "
            "unchanged); --rerun plans it again",
            markup=False,
        )
        other = last.said.get("kept_from_other_exports")
        _other_exports(stderr, other if isinstance(other, int) else 0)
        shown = [
            r for r in last.said.get("missing") or [] if isinstance(r, list) and len(r) == 4 and isinstance(r[3], list)
        ]
        rows = [(str(p), str(u), str(r), [str(x) for x in used]) for p, u, r, used in shown]
        _missing(stderr, rows, last.missing, no_download)
    if strict and last.missing:
        raise typer.Exit(3)


_OF_A_KIND = 5  # warnings of one kind (the same message) shown before the rest of that kind are counted
_SHOWN = 100  # warnings shown in all
_KINDS = 1000  # kinds counted apart; beyond, counted together (the messages are not kept without end)


def _warnings(
    stderr: Console, quiet: bool, notices: Iterable[tuple[str, str]], conflicted: list[str], config: list[str]
) -> None:
    """A run's warnings (not with --quiet): of each kind (`notices` are (message, line) pairs) the
    first few, and how many more (a big site has tens of thousands of private posts, each a warning:
    --report lists every one); then what needs the user's hand (every one, even with --quiet)."""
    if not quiet:
        seen: Counter[str] = Counter()
        more: Counter[str] = Counter()
        shown = 0
        for kind, line in notices:
            if kind not in seen and len(seen) >= _KINDS:
                kind = ""
            seen[kind] += 1
            if seen[kind] <= _OF_A_KIND and shown < _SHOWN and kind:
                shown += 1
                stderr.print(f"warning: {line}", markup=False)
            else:
                more[kind] += 1
        lumped = more.pop("", 0)
        counted = more.most_common()
        for kind, n in counted[:10]:
            stderr.print(f"warning: {n} more like this: {kind}", markup=False)
        lumped += sum(n for _, n in counted[10:])
        if lumped:
            stderr.print(f"warning: {lumped} more of other kinds", markup=False)
        if more or lumped:
            stderr.print("note: --report FILE lists every warning, with its item", markup=False)
    for line in conflicted:
        stderr.print(f"conflict: {line} (kept; --force overwrites)", markup=False)
    for line in config:
        stderr.print(f"config: {line}", markup=False)


def _other_exports(stderr: Console, kept: int) -> None:
    if kept:
        stderr.print(f"note: {kept} file(s) written earlier from other exports were left as they are", markup=False)


def _missing(stderr: Console, shown: list[tuple[str, str, str, list[str]]], total: int, no_download: bool) -> None:
    """The files the site uses that could not be had: the first few, how many more, and how to get them."""
    for path, url, reason, used_by in shown:
        used = ", ".join(used_by[:3]) + (f" and {len(used_by) - 3} more" if len(used_by) > 3 else "")
        stderr.print(f"missing: {path} <- {url}: {reason} (used by {used or 'no page'})", markup=False)
    if total > len(shown):
        stderr.print(f"missing: … and {total - len(shown)} more (all in --report)", markup=False)
    if total and no_download:
        stderr.print("note: run again without --no-download (or with --uploads-dir) to fetch them", markup=False)


_LINK_LABELS = {key: label for label, key in LINKS.items()}


def _media_summary(
    stdout: Console,
    stderr: Console,
    plan: Plan,
    changes: Changes,
    summary: dict[str, Any],
    dry_run: bool,
    no_download: bool,
) -> None:
    counts = summary["media"]
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
    links = sorted(((n, _LINK_LABELS[key]) for key, n in summary["links"].items() if n), key=lambda nl: -nl[0])
    if links:
        listed = ", ".join(f"{label} {n}" for n, label in links)
        stdout.print(f"  old-site URLs rewritten: {listed}", markup=False)
    redirects = sum(summary["redirects"].values())
    if redirects:
        stdout.print(
            f"  redirects: {redirects} for what aliases cannot keep: redirects/ (nginx, Apache), "
            "static/_redirects (Netlify, Cloudflare) and static pages",
            markup=False,
        )
    rows = [(m.path, m.url, m.reason, m.used_by) for m in changes.missing[:MISSING_SHOWN]]
    _missing(stderr, rows, len(changes.missing), no_download)
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
    """Progress bars on a terminal: items converted, then files fetched (count and bytes).

    They are redrawn when a count moves, at most 10 times a second, never by a thread of their own:
    the converter forks its workers, and a fork while another thread writes to the terminal gives the
    worker that thread's locks, held for ever."""

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
                auto_refresh=False,
            )
            if show
            else None
        )
        self.item_task: TaskID | None = None
        self.fetch_task: TaskID | None = None
        self.received = 0
        self.drawn = 0.0

    def __enter__(self) -> _Bars:
        if self.progress is not None:
            self.progress.__enter__()
            self.item_task = self.progress.add_task("converting", total=None, bytes="")
            self._draw()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)

    def _draw(self) -> None:
        now = time.monotonic()
        if self.progress is not None and now - self.drawn >= 0.1:
            self.drawn = now
            self.progress.refresh()

    def items(self, done: int, total: int) -> None:
        if self.progress is not None and self.item_task is not None:
            self.progress.update(self.item_task, completed=done, total=total)
            self._draw()

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(on_result=self._fetched, on_bytes=self._bytes, on_start=self._start)

    def _start(self, files: int) -> None:
        if self.progress is not None:
            self.fetch_task = self.progress.add_task("fetching", total=files, bytes="")
            self._draw()

    def _fetched(self, result: FetchResult) -> None:
        if self.progress is not None and self.fetch_task is not None:
            self.progress.advance(self.fetch_task)
            self._draw()

    def _bytes(self, n: int) -> None:
        self.received += n
        if self.progress is not None and self.fetch_task is not None:
            self.progress.update(self.fetch_task, bytes=_size(self.received))
            self._draw()


@app.command("review")
def review_command(
    exports: list[Path] = typer.Argument(
        ..., help="WXR export file(s) of one site; several files are read as one.", show_default=False
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder of the Zola site it would go into (nothing is written there)."
    ),
    page: Path = typer.Option(
        ..., "--html", help="The review to write: one HTML file, to open in a browser.", metavar="REPORT.html"
    ),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML file whose tables override the defaults in mappings/."
    ),
    uploads_dir: Path | None = typer.Option(
        None, "--uploads-dir", help="A local copy of wp-content/uploads: what it lacks is listed as missing."
    ),
    markup: str | None = typer.Option(
        None, "--markup", help="What the posts are written in: html, textile or markdown.", show_default=False
    ),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", "-j", min=1, help="Processes converting items."),
) -> None:
    """Write a review of the migration: every item with its outcome, and each converted one as
    WordPress showed it beside what Zola will show, with the measures and flags. Writes nothing else.

    Example: wp2zola review site.wordpress.xml --out mysite --html review.html
    """
    check_options(markup, uploads_dir)
    media = MediaOptions(download=False, uploads_dir=uploads_dir)
    with _handled_signals() as signals:
        _migrate_and_report(
            exports,
            out,
            True,
            False,
            config,
            False,
            None,
            True,
            False,
            media,
            signals,
            markup,
            jobs,
            review=page,
            show_diff=False,
        )


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


@app.command("report-schema")
def report_schema_command() -> None:
    """Print the path of the JSON Schema (draft 2020-12) of the migrate --report file.

    Example: wp2zola report-schema
    """
    typer.echo(str(SCHEMA))


# the other commands, each in a module of its own, register on `app` as they are imported
from migrate.cli import batch as _batch  # noqa: E402, F401 - registers `wp2zola batch` on app
from migrate.cli import inspect as _inspect  # noqa: E402, F401 - registers `wp2zola inspect` on app

for _info in app.registered_commands:  # every command, wherever defined, gets the same help labels
    if _info.cls in (None, TyperCommand):  # typer gives TyperCommand where a command names no class
        _info.cls = _Command


def main() -> None:
    if no_colour():  # typer's help and error boxes: rich would keep their bold under NO_COLOR
        import typer.rich_utils  # typer imports it only to show help or an error: 4 MB a run does not need

        typer.rich_utils.COLOR_SYSTEM = None
    app()


if __name__ == "__main__":
    main()
