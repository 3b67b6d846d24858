"""`wp2zola inspect`: what a site's exports hold and what the migration will make of them, read once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from migrate.audit.survey import inspect_exports
from migrate.cli import app, check_options, console
from migrate.mappings import ConfigError, Mappings
from migrate.wxr.reader import ExportError

_SHOWN = 12  # rows of a list on the terminal; --json has them all
_NUMBERS = {"items", "count", "publish", "draft", "skip", "declared", "used", "assignments"}


@app.command("inspect")
def inspect_command(
    exports: list[Path] = typer.Argument(
        ..., help="WXR export file(s) of one site; several files are read as one.", show_default=False
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the audit as JSON (stable keys, a schema_version)."),
    config: Path | None = typer.Option(
        None, "--config", "-c", help="TOML file overriding mappings/ tables (shortcodes, post types, statuses)."
    ),
    markup: str | None = typer.Option(
        None,
        "--markup",
        help="What the posts are written in, as migrate takes it; default: guessed.",
        show_default=False,
    ),
) -> None:
    """Tell what a migration would move, before it: items, authors, terms, shortcodes, blocks, hosts,
    media and problems. Reads each export once and converts nothing.

    Example: wp2zola inspect site.wordpress.xml --json > audit.json
    """
    check_options(markup)
    try:
        audit = inspect_exports(exports, Mappings.load(config), markup)
    except (ExportError, ConfigError) as err:
        typer.echo(f"wp2zola: error: {err}", err=True)
        raise typer.Exit(1) from None
    except OSError as err:  # an export that is a folder, unreadable: one line, as migrate says it
        typer.echo(f"wp2zola: error: {err.filename}: {(err.strerror or str(err)).lower()}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(audit, indent=2, ensure_ascii=False))
        return
    show(audit, console(soft_wrap=False))


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _more(out: Console, rows: list, what: str) -> None:
    if len(rows) > _SHOWN:
        out.print(f"  … and {len(rows) - _SHOWN} more {what} (all in --json)", markup=False)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_header=True)
    for name in columns:
        table.add_column(name, justify="right" if name in _NUMBERS else "left")
    return table


def show(audit: dict[str, Any], out: Console) -> None:
    """The audit as tables, in the order a user decides things: what, who, how it is written, what may go wrong."""
    site, items = audit["site"], audit["items"]
    out.print(f"wp2zola inspect: {site['title'] or '(untitled)'} {site['url']}".rstrip(), markup=False)
    repeated = f", {items['repeated']} repeated across exports (counted once)" if items["repeated"] else ""
    outcomes = items["outcomes"]
    out.print(
        f"  {items['read']} items read{repeated}: {outcomes['written']} to publish, {outcomes['draft']} drafts, "
        f"{outcomes['skipped']} skipped",
        markup=False,
    )

    table = _table("items by type", "type", "items", "statuses", "publish", "draft", "skip")
    for kind, statuses in items["by_type"].items():
        fate = items["outcomes_by_type"].get(kind, {})
        table.add_row(
            kind or "(none)",
            str(sum(statuses.values())),
            ", ".join(f"{s or '(none)'} {n}" for s, n in sorted(statuses.items(), key=lambda kv: -kv[1])),
            str(fate.get("written", 0)),
            str(fate.get("draft", 0)),
            str(fate.get("skipped", 0)),
        )
    out.print(table)

    authors = audit["authors"]
    listed = ", ".join(
        f"{a['display_name'] or a['login']} ({a['items']})" + ("" if a["declared"] else " [not in the authors list]")
        for a in authors[:_SHOWN]
    )
    out.print(f"  authors: {listed or 'none'}", markup=False)
    _more(out, authors, "authors")

    taxonomies = audit["taxonomies"]
    if taxonomies:
        table = _table("taxonomies", "taxonomy", "zola", "declared", "used", "assignments", "top terms")
        for t in taxonomies:
            top = ", ".join(f"{term['name'] or term['slug']} ({term['items']})" for term in t["terms"][:3])
            table.add_row(
                t["taxonomy"], t["zola"] or "(not kept)", str(t["declared"]), str(t["used"]), str(t["assignments"]), top
            )
        out.print(table)

    content = audit["content"]
    guessed = "" if content["markup"] == content["detected"] else f" (detected: {content['detected']})"
    out.print(
        f"  content: {content['markup']}{guessed}; {content['posts_with_content']} posts and pages with content, "
        f"{content['textile_posts']} look like Textile, {content['markdown_posts']} like Markdown; "
        f"{content['block_editor_items']} written in the block editor",
        markup=False,
    )

    for title, rows, how in (
        ("shortcodes", audit["shortcodes"], lambda s: s["how"]),
        ("blocks", audit["blocks"], _block_how),
    ):
        if not rows:
            out.print(f"  {title}: none", markup=False)
            continue
        table = _table(title, "name", "count", "items", "converted", "how")
        for row in rows[:_SHOWN]:
            table.add_row(
                row["name"], str(row["count"]), str(row["items"]), "yes" if row["converted"] else "no", how(row)
            )
        out.print(table)
        _more(out, rows, title)

    hosts = audit["hosts"]
    external = [h for h in hosts["referenced"] if not h["site"]]
    own = sum(h["urls"] for h in hosts["referenced"] if h["site"])
    out.print(
        f"  site hosts: {', '.join(hosts['site']) or 'none'}; {own} URL(s) of theirs in the content", markup=False
    )
    if external:
        listed = ", ".join(f"{h['host']} ({h['urls']})" for h in external[:_SHOWN])
        out.print(f"  other hosts referenced: {listed}", markup=False)
        _more(out, external, "hosts")
    media = audit["media"]
    kinds = ", ".join(f"{k} {n}" for k, n in media["by_kind"].items())
    known = (
        f"{_size(media['total_bytes'])} known for {media['with_size']} of them"
        if media["with_size"]
        else "sizes not recorded in the export"
    )
    out.print(f"  media: {media['attachments']} attachment(s) ({kinds or 'none'}); {known}", markup=False)

    _problems(audit["problems"], out)


def _block_how(row: dict[str, Any]) -> str:
    words = {"converted": "converted", "inner_html": "inner HTML converted", "dropped": "dropped (dynamic, no HTML)"}
    return ", ".join(f"{words.get(k, k)} {n}" for k, n in row["treatment"].items())


def _problems(problems: dict[str, Any], out: Console) -> None:
    def where(n: dict[str, Any]) -> str:
        return (f"{n['file']}:{n['line']}: " if n.get("file") else "") + (
            f"item {n['item']}: " if n.get("item") is not None else ""
        )

    sections: list[tuple[str, list[str]]] = [
        ("read (repaired or skipped)", [where(n) + n["message"] for n in problems["read"]]),
        ("planning", [where(n) + n["message"] for n in problems["planning"]]),
        (
            "duplicate slugs",
            [f"{d['type']} {d['slug']}: items {_ids(d['items'])}" for d in problems["duplicate_slugs"]],
        ),
        ("duplicate URLs", [f"{d['url']}: items {_ids(d['items'])}" for d in problems["duplicate_urls"]]),
        (
            "missing parents",
            [f"{p['type']} {p['id']}: parent {p['parent']} is not in the export" for p in problems["missing_parents"]],
        ),
        (
            "unknown post types (migrated as pages)",
            [f"{t['type']}: {t['items']} items" for t in problems["unknown_post_types"]],
        ),
        ("reusable blocks not in the export", [f"id {r}" for r in problems["missing_reusable_blocks"]]),
        (
            "not published",
            [f"{g['outcome']:<7} {g['count']:>5}  {g['reason'] or '(no reason)'}" for g in problems["not_published"]],
        ),
        (
            "URLs that change",
            [f"{c['old']} -> {c['new']} ({c['kept_by']})" for c in problems["url_changes"]],
        ),
    ]
    total = sum(len(lines) for name, lines in sections if name != "not published")
    out.print(f"problems: {total}" if total else "problems: none found", markup=False)
    held = sum(g["count"] for g in problems["not_published"])
    kept = Counter(c["kept_by"] for c in problems["url_changes"])
    heads = {
        "not published": str(held),
        "URLs that change": f"{len(problems['url_changes'])} (old URL kept by "
        + ", ".join(f"{how} {n}" for how, n in kept.most_common())
        + ")",
    }
    for name, lines in sections:
        if not lines:
            continue
        out.print(f"  {name}: {heads.get(name, len(lines))}", markup=False)
        for line in lines[:_SHOWN]:
            out.print(f"    {line}", markup=False)
        _more(out, lines, name)


def _ids(ids: list[int | None]) -> str:
    return ", ".join("?" if i is None else str(i) for i in ids)
