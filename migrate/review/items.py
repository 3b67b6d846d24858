"""What the review shows of each item: its outcome, and for each converted item what WordPress
showed, the Markdown that was planned and what Zola will show of it, with the fidelity measures and
the flags that say what to look at.

The measures and flags are the fidelity harness's (`migrate.fidelity`, as `wp2zola fidelity` takes
them: before links are rewritten, since a link to the new site is no loss); the panes show the very
Markdown the plan writes (links rewritten, media placed) and what Zola makes of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyromark

from migrate.fidelity.compare import ZOLA_OPTIONS, ItemFidelity, compare
from migrate.fidelity.measure import site_hosts
from migrate.fidelity.stored import ShortcodeRules, stored_content
from migrate.mappings import Mappings
from migrate.site.apply import Changes
from migrate.site.content import item_body
from migrate.site.outcomes import SKIP, Outcome
from migrate.site.plan import Plan
from migrate.store import tuple_state
from migrate.wordpress.render import Renderer
from migrate.wxr.index import build_context
from migrate.wxr.markup import AUTO, stored_html
from migrate.wxr.model import Item, Notice
from migrate.wxr.reader import read_export
from migrate.zola.urls import link_path

# every flag, in the order the report offers them as filters: (key, what it says)
FLAGS = {
    "failed": "conversion failed (its HTML kept)",
    "words": "words lost",
    "structure": "structure differs",
    "raw-html": "raw HTML in the Markdown",
    "shortcodes": "unknown shortcodes (left as text) or markup left",
    "media": "missing media",
    "url": "URL changed",
}


@tuple_state
@dataclass(slots=True)
class Reviewed:
    """One item of the review."""

    id: int | None
    title: str
    type: str
    outcome: str
    reason: str
    old_url: str
    new_path: str
    file: str
    flags: list[str] = field(default_factory=list)
    measures: dict[str, Any] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    wordpress_html: str = ""
    markdown: str = ""
    zola_html: str = ""
    badness: float = 0.0  # for "worst first": errors, then the share of words lost, then the flags

    @property
    def converted(self) -> bool:
        """Whether there is a rendering of it to show (a file of the plan was measured)."""
        return bool(self.measures)


def review_items(
    exports: Sequence[str | Path], mappings: Mappings, plan: Plan, changes: Changes | None, markup: str | None = None
) -> Iterator[Reviewed]:
    """Every item the plan accounts for, in export order, reviewed."""
    quiet: list[Notice] = []
    ctx = build_context(exports, quiet.append)
    renderer = Renderer(ctx, mappings)
    names = renderer.registered
    rules = ShortcodeRules.from_tables(mappings.tables)
    hosts = site_hosts(ctx)
    markup = markup or mappings.markup()
    markup = ctx.markup if markup == AUTO else markup
    outcomes = {o.source: o for o in plan.outcomes}
    failed = {n.source: n.message for n in plan.notices if n.message.startswith("content could not be converted")}
    missing: dict[str, int] = {}
    for m in changes.missing if changes is not None else []:
        if m.reason.startswith("not downloaded"):
            continue  # not fetched by this run (--no-download, a review): not a file that cannot be had
        for label in m.used_by:
            missing[label] = missing.get(label, 0) + 1
    for n_export, path in enumerate(exports):
        for record in read_export(path, quiet.append, str(path), n_export):
            if not isinstance(record, Item):
                continue
            outcome = outcomes.get(record.source)
            if outcome is None:
                continue
            yield _review(
                record, outcome, plan, renderer, (names, rules, ctx.reusable_blocks, hosts), markup, missing, failed
            )


def _review(
    item: Item,
    outcome: Outcome,
    plan: Plan,
    renderer: Renderer,
    measure: tuple[set[str], ShortcodeRules, dict[int, str], set[str]],
    markup: str,
    missing: dict[str, int],
    failed: dict[Any, str],
) -> Reviewed:
    out = Reviewed(
        outcome.id,
        outcome.title,
        outcome.type,
        outcome.outcome,
        outcome.reason,
        outcome.link,
        outcome.path,
        outcome.file,
    )
    planned = plan.files.get(outcome.file) if outcome.file else None
    if outcome.outcome == SKIP or planned is None:
        return out
    markdown = _body(planned.data or b"")
    content = stored_html(item, markup)
    if content is not item.content:
        item = replace(item, content=content)
    names, rules, reusable, hosts = measure
    unknown: list[str] = []
    try:
        shown, notes = renderer.render(item)
        unknown = sorted(set(notes.unknown_shortcodes))
    except Exception:  # the migration kept its HTML (and said so); nothing of WordPress's to show
        shown = ""
    # measured as `wp2zola fidelity` measures, on the Markdown before its links are rewritten (a link
    # to the new site is no loss); shown as planned
    measured = item_body(item, renderer).markdown
    result = compare(shown, measured, names, stored_content(item.content, rules, reusable), hosts)
    if item.source in failed:
        result.errors.append(failed[item.source])
    out.wordpress_html, out.markdown = shown, markdown
    out.zola_html = pyromark.html(markdown, options=ZOLA_OPTIONS)
    out.measures = _measures(result) | {"unknown_shortcodes": unknown}
    out.differences = result.differences[:40]
    label = f"id {item.id} {item.link}".rstrip()
    out.flags = _flags(result, missing.get(label, 0), outcome, bool(unknown))
    if missing.get(label):
        out.measures["missing_media"] = missing[label]
    lost = 1.0 - min(result.words_ratio, result.stored_ratio if result.measured_stored else 1.0)
    out.badness = (10.0 if result.errors else 0.0) + lost + 0.01 * len(out.flags)
    return out


def _body(data: bytes) -> str:
    """The Markdown of a content file: what follows its front matter."""
    text = data.decode("utf-8", "replace")
    if text.startswith("+++"):
        end = text.find("\n+++", 3)
        if end != -1:
            return text[end + 4 :].removeprefix("\n").removeprefix("\n")
    return text


def _measures(r: ItemFidelity) -> dict[str, Any]:
    return {
        "words_wordpress": r.words_wordpress,
        "words_kept": r.words_kept,
        "words_ratio": round(r.words_ratio, 4),
        "stored_words": r.stored_words,
        "stored_kept": r.stored_kept,
        "stored_ratio": round(r.stored_ratio, 4),
        "stored_lost": r.stored_lost[:20],
        "structure_equal": r.structure_equal,
        "raw_html": sorted(r.raw_tags),
        "leftovers": r.leftovers[:20],
        "images": [r.images_stored, r.images_shown],
        "external_links": [r.external_links, r.external_kept],
        "errors": r.errors,
    }


def _flags(r: ItemFidelity, missing_media: int, outcome: Outcome, unknown_shortcodes: bool) -> list[str]:
    flags = []
    if r.errors:
        flags.append("failed")
    if r.words_kept < r.words_wordpress or (r.measured_stored and r.stored_kept < r.stored_words):
        flags.append("words")
    if not r.structure_equal:
        flags.append("structure")
    if r.raw_tags:
        flags.append("raw-html")
    if r.leftovers or unknown_shortcodes:
        flags.append("shortcodes")
    if missing_media:
        flags.append("media")
    if outcome.link.strip() and outcome.path and link_path(outcome.link) != outcome.path:
        flags.append("url")
    return flags
