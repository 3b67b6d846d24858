"""The run's account: counts, warnings, the fate of every item, file changes (JSON and a table)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from migrate.site.apply import CHANGE, CONFLICT, CREATE, KEPT, UNCHANGED, Changes
from migrate.site.outcomes import SKIP
from migrate.site.plan import Plan


def skipped_by_reason(plan: Plan) -> dict[str, int]:
    # per-item detail (which line, which first copy) is in the items list; here, the kind
    reasons = Counter(
        o.reason.split(":")[0] if o.reason.startswith(("damaged", "duplicate")) else o.reason
        for o in plan.outcomes
        if o.outcome == SKIP
    )
    return dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))


def media_counts(plan: Plan, changes: Changes | None) -> dict[str, int]:
    """Media files the site references, and what this run did about them."""
    planned = plan.media()
    out = {
        "files": len(planned),
        "used_by_pages": sum(1 for f in planned if any(not u.startswith("attachment ") for u in f.used_by)),
    }
    if changes is not None:
        media = [c for c in changes.changes if c.planned is not None and c.planned.ref is not None]
        out["already_there"] = sum(1 for c in media if c.action in (UNCHANGED, KEPT))
        out["to_fetch_or_copy"] = sum(1 for c in media if c.action in (CREATE, CHANGE))
        out["fetched"], out["fetched_bytes"], out["copied"] = changes.fetched, changes.fetched_bytes, changes.copied
        out["missing"] = len(changes.missing)
    out["external_not_fetched"] = len(plan.external_media)
    return out


def summary(plan: Plan, changes: Changes | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "items": plan.counts(),
        "skipped_by_reason": skipped_by_reason(plan),
        "taxonomies": plan.taxonomies,
        "new_site": plan.new_site,
        "media": media_counts(plan, changes),
        "links": dict(plan.links.most_common()),
        "redirects": dict(Counter(r.kind for r in plan.redirects)),
    }
    if changes is not None:
        out["files"] = changes.counts()
    return out


def missing_media(changes: Changes) -> list[dict[str, Any]]:
    return [{"file": m.path, "url": m.url, "reason": m.reason, "used_by": m.used_by} for m in changes.missing]


def as_json(plan: Plan, changes: Changes | None, dry_run: bool) -> str:
    data = {
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
            {"path": c.path, "action": c.action, "reason": c.reason} for c in changes.changes if c.action != "unchanged"
        ]
        if changes
        else [],
        "config_required": plan.config_required,
        "server_redirects_needed": [{"from": old, "to": new} for old, new in plan.plain_urls],
        "redirects": [{"kind": r.kind, "from": r.old, "to": r.new} for r in plan.redirects],
        "media": {
            "missing": missing_media(changes) if changes else [],
            "external": [{"url": url, "used_by": used} for url, used in sorted(plan.external_media.items())],
        },
        "content": {
            "unknown_shortcodes": dict(plan.unknown_shortcodes.most_common()),
            "plugin_blocks": dict(plan.plugin_blocks.most_common()),
            "dropped": dict(plan.dropped.most_common()),
            "nextpage_items": plan.nextpage_items,
        },
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def conflicts(changes: Changes) -> list[str]:
    return [f"{c.path}: {c.reason}" for c in changes.by_action(CONFLICT)]


def kept(changes: Changes) -> list[str]:
    return [c.path for c in changes.by_action(KEPT)]
