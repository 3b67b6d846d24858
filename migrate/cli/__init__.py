"""The `wp2zola` command: a thin layer over the library (`migrate.migrate`)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from migrate.mappings import ConfigError, Mappings
from migrate.pipeline import migrate
from migrate.report import as_json, conflicts, kept, skipped_by_reason
from migrate.site.apply import CHANGE, CREATE, REMOVE, UnsafePath, unified_diff
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
) -> None:
    """Migrate WordPress export(s) into a Zola site that builds.

    Example: wp2zola migrate site.wordpress.xml --out mysite --report migration.json
    """
    stdout = Console(highlight=False, soft_wrap=True)
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    show_progress = not quiet and stderr.is_terminal
    try:
        if show_progress:
            with Progress(
                TextColumn("converting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr,
                transient=True,
            ) as bar:
                task = bar.add_task("items", total=None)
                result = migrate(
                    exports,
                    out,
                    dry_run=dry_run,
                    force=force,
                    config=config,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        else:
            result = migrate(exports, out, dry_run=dry_run, force=force, config=config)
    except (ExportError, ConfigError, UnsafePath) as err:
        _fail(str(err))
        return
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
            if change.action in (CREATE, CHANGE, REMOVE):
                diff = unified_diff(change)
                sys.stdout.write(_colour_diff(diff) if colour else diff)
        sys.stdout.flush()
    if quiet:
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
    if plan.plain_urls:
        stderr.print(
            f"note: {len(plan.plain_urls)} item(s) had plain ?p= URLs that only server redirects can keep "
            "(listed in --report)",
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

    Example: wp2zola fidelity site.wordpress.xml --worst 5
    """
    from migrate.fidelity.compare import diff_report, format_table, summarize
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
    for text in reports:
        typer.echo("")
        typer.echo(text)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
