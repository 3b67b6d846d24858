"""The run's account: counts, warnings, the fate of every item, file changes (JSON and a table)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from migrate.site.apply import CONFLICT, KEPT, Changes
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


def summary(plan: Plan, changes: Changes | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "items": plan.counts(),
        "skipped_by_reason": skipped_by_reason(plan),
        "taxonomies": plan.taxonomies,
        "new_site": plan.new_site,
    }
    if changes is not None:
        out["files"] = changes.counts()
    return out


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
