"""What becomes of each item read: written (published), draft, or skipped with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.mappings import Mappings
from migrate.store import tuple_state
from migrate.wxr.model import Item, Notice, Source
from migrate.wxr.reader import Warn

PUBLISH, DRAFT, SKIP = "written", "draft", "skipped"


@tuple_state
@dataclass(slots=True)
class Outcome:
    """What became of one item read."""

    source: Source
    id: int | None
    type: str
    status: str
    title: str
    outcome: str  # written | draft | skipped
    reason: str = ""
    file: str = ""  # relative to the site
    path: str = ""  # URL path on the new site
    link: str = ""  # its URL on the old site

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source.file,
            "line": self.source.line,
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "title": self.title,
            "outcome": self.outcome,
            "reason": self.reason,
            "output": self.file,
            "path": self.path,
            "old_url": self.link,
        }


def classify(item: Item, mappings: Mappings, warn: Warn) -> tuple[str, str]:
    """(outcome, reason) for one item, before any conversion."""
    if item.damage:
        reason = "damaged XML: " + "; ".join(item.damage)
        warn(Notice(item.source, f"skipped: {reason}", item.id))
        return SKIP, reason
    post_type = item.type
    if not post_type:
        warn(Notice(item.source, "no post type; read as a post", item.id))
        post_type = item.type = "post"
    skip = mappings.skip_reason(post_type)
    if skip:
        return SKIP, skip
    status = item.status or "publish"
    action = mappings.status_action(status)
    if action is None:
        warn(Notice(item.source, f"unknown status {status!r}; kept as a draft", item.id))
        action = "draft"
    if action == "skip":
        return SKIP, f"status {status}"
    if item.password:
        protected = mappings.status_action("password-protected") or "draft"
        if protected == "skip":
            warn(Notice(item.source, "password-protected: not migrated", item.id))
            return SKIP, "password-protected"
        warn(Notice(item.source, "password-protected: kept as a draft, never published", item.id))
        return DRAFT, "password-protected"
    if status == "private" and action != "publish":
        warn(Notice(item.source, "private: kept as a draft, never published", item.id))
    if action == "publish":
        return PUBLISH, ""
    return DRAFT, f"status {status}"
