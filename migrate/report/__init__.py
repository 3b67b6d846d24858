"""The run's account: counts, warnings, the fate of every item, file changes (JSON and a table).

`summary` is the one source of every count: the terminal's table and lines, the JSON report and a
batch's per-job counts all read it. The report's keys are fixed names (never data or sentences);
`schema.json` beside this module describes each one, and `SCHEMA_VERSION` changes only when a key
changes meaning or goes away.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

from migrate.site.apply import CHANGE, CONFLICT, CREATE, KEPT, UNCHANGED, Changes
from migrate.site.outcomes import SKIP
from migrate.site.plan import Plan
from migrate.zola.redirects import FILE, PATH, QUERY

SCHEMA_VERSION = 1
SCHEMA = Path(__file__).with_name("schema.json")

# what old-site links became: the rewriter's label of each kind → the report's key for it
LINKS = {
    "links to pages": "pages",
    "links within the page": "within_page",
    "links to archives": "archives",
    "links to the home page": "home_page",
    "links to files": "files",
    "links to unpublished pages": "unpublished_pages",
    "links to items not migrated": "items_not_migrated",
    "site links not in the export": "site_links_not_in_export",
    "media": "media",
    "media found by id": "media_found_by_id",
    "media not in the export": "media_not_in_export",
    "external media": "external_media",
    "external media, fetched": "external_media_fetched",
    "server scripts left where they were": "server_scripts_left",
}
REDIRECT_KINDS = (QUERY, PATH, FILE)


def tool_version() -> str:
    try:
        return metadata.version("wp2zola")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def skipped_by_reason(plan: Plan) -> list[dict[str, Any]]:
    # per-item detail (which line, which first copy) is in the items list; here, the kind
    reasons = Counter(
        o.reason.split(":")[0] if o.reason.startswith(("damaged", "duplicate")) else o.reason
        for o in plan.outcomes
        if o.outcome == SKIP
    )
    return [{"reason": r, "count": n} for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]


def media_counts(plan: Plan, changes: Changes) -> dict[str, int]:
    """Media files the site references, and what this run did about them."""
    files = used_by_pages = 0
    for f in plan.media():  # one walk of each (both may be kept on disk)
        files += 1
        used_by_pages += any(not u.startswith("attachment ") for u in f.used_by)
    actions = Counter(c.action for c in changes.changes if c.planned is not None and c.planned.ref is not None)
    return {
        "files": files,
        "used_by_pages": used_by_pages,
        "already_there": actions[UNCHANGED] + actions[KEPT],
        "to_fetch_or_copy": actions[CREATE] + actions[CHANGE],
        "fetched": changes.fetched,
        "fetched_bytes": changes.fetched_bytes,
        "copied": changes.copied,
        "missing": len(changes.missing),
        "external_not_fetched": len(plan.external_media),
    }


def summary(plan: Plan, changes: Changes) -> dict[str, Any]:
    """Every count of the run, by fixed names (each kind present, 0 when none)."""
    links = dict.fromkeys(LINKS.values(), 0)
    for label, n in plan.links.items():
        links[LINKS[label]] += n  # tests/test_report_schema.py checks that every label has its key
    redirects = dict.fromkeys(REDIRECT_KINDS, 0)
    for r in plan.redirects:
        redirects[r.kind] += 1
    return {
        "items": plan.counts(),
        "skipped_by_reason": skipped_by_reason(plan),
        "taxonomies": plan.taxonomies,
        "new_site": plan.new_site,
        "files": changes.counts(),
        "media": media_counts(plan, changes),
        "links": links,
        "redirects": redirects,
        "comments": comment_counts(plan),
    }


def comment_counts(plan: Plan) -> dict[str, Any]:
    """The comments read, written (comments and pingbacks beside their posts) and left out, by reason."""
    left_out = sorted(plan.comments_left_out.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "read": plan.comments["read"],
        "written": plan.comments["written"],
        "left_out": [{"reason": r, "count": n} for r, n in left_out],
    }


def _named(counter: Counter) -> list[dict[str, Any]]:
    """A count by data names (shortcodes, blocks, …) as a list: the names are values, never keys."""
    return [{"name": name, "items": n} for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def content(plan: Plan) -> dict[str, Any]:
    """What the content holds that the converter could not map: names, with the items using each."""
    return {
        "unknown_shortcodes": _named(plan.unknown_shortcodes),
        "plugin_blocks": _named(plan.plugin_blocks),
        "dropped": _named(plan.dropped),
        "nextpage_items": plan.nextpage_items,
    }


def missing_media(changes: Changes) -> list[dict[str, Any]]:
    return [{"file": m.path, "url": m.url, "reason": m.reason, "used_by": m.used_by} for m in changes.missing]


def report(plan: Plan, changes: Changes, dry_run: bool) -> dict[str, Any]:
    """The report as data: the same keys whatever happened (empty lists, zero counts)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": tool_version(),
        "dry_run": dry_run,
        "summary": summary(plan, changes),
        "warnings": [
            {
                "file": n.source.file if n.source else None,
                "line": n.source.line if n.source else None,
                "item": n.item_id,
                "message": n.message,
            }
            for n in plan.notices
        ],
        "items": [o.as_dict() for o in plan.outcomes],
        "files": [
            {"path": c.path, "action": c.action, "reason": c.reason} for c in changes.changes if c.action != UNCHANGED
        ],
        "config_required": plan.config_required,
        "server_redirects_needed": [{"from": old, "to": new} for old, new in plan.plain_urls],
        "redirects": [{"kind": r.kind, "from": r.old, "to": r.new} for r in plan.redirects],
        "media": {
            "missing": missing_media(changes),
            "external": [{"url": url, "used_by": used} for url, used in sorted(plan.external_media.items())],
        },
        "content": content(plan),
    }


def as_json(plan: Plan, changes: Changes, dry_run: bool) -> str:
    return json.dumps(report(plan, changes, dry_run), indent=2, ensure_ascii=False) + "\n"


def conflicts(changes: Changes) -> list[str]:
    return [f"{c.path}: {c.reason}" for c in changes.by_action(CONFLICT)]


def kept(changes: Changes) -> list[str]:
    return [c.path for c in changes.by_action(KEPT)]
