"""Which comments of a post are shown, in which order, with what: the data file's records.

WordPress shows the approved comments (`comment_approved` "1"; the export also holds pending ones,
"0", and trashed ones; spam is never exported but is left out if it is there), threaded by
`comment_parent` and in date order at each level; a reply whose parent is not shown is shown at the
top level, as WordPress's walker does with orphans. Pingbacks and trackbacks are kept apart (and can be
left out: `[comments] pings` in `mappings/comments.toml`). What a comment's author typed besides
the name and the address of a web site (email, IP address, browser) is never read into the model.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from migrate.comments.content import comment_markdown
from migrate.store import tuple_state
from migrate.wxr.index import parse_wp_date, utc_offset
from migrate.wxr.model import Comment, Item

PINGS = ("pingback", "trackback")
LEFT_OUT = {  # comment_approved → the reason the report gives
    "0": "awaiting moderation",
    "spam": "spam",
    "trash": "in the trash",
    "post-trashed": "in the trash",
}


@tuple_state
@dataclass(slots=True)
class Thread:
    """A post's comments as its data file holds them, with the count of each kind left out."""

    comments: list[dict[str, Any]] = field(default_factory=list)  # in thread order, with their depth
    pings: list[dict[str, Any]] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)  # reason → comments

    @property
    def written(self) -> int:
        return len(self.comments) + len(self.pings)


def post_thread(
    item: Item,
    offset: timedelta | None,
    *,
    pings: bool = True,
    resolve: Callable[[str], str | None] | None = None,
    page: str = "",
) -> Thread:
    """The comments of a published post to show. `offset`: the site's UTC offset, for comments whose
    GMT date is missing; `resolve`: an old-site link → its path on the new site; `page`: the post's
    path on the new site (where links to `#comment-N` point)."""
    thread = Thread()
    shown: list[Comment] = []
    for c in item.comments:
        if c.approved != "1":
            thread.left_out[LEFT_OUT.get(c.approved, f"status {c.approved or 'empty'}")] += 1
        elif c.type in PINGS and not pings:
            thread.left_out[f"{c.type} (left out by the mappings)"] += 1
        elif c.type not in ("", "comment", *PINGS):
            thread.left_out[f"type {c.type}"] += 1  # notes of plugins (order notes, webmentions' own)
        else:
            shown.append(c)
    shown.sort(key=lambda c: (_sort_date(c), c.id or 0))
    first: dict[int, int] = {}  # comment id → the position of the first shown comment with it
    for n, c in enumerate(shown):
        if c.id is not None and c.type not in PINGS:
            first.setdefault(c.id, n)
    children: dict[int, list[int]] = {}
    top: list[int] = []
    for n, c in enumerate(shown):
        if c.type in PINGS:
            ping = _record(c, 0, offset, resolve, page)
            del ping["replies"]  # no one replies to a pingback in WordPress's threads
            thread.pings.append(ping | {"type": c.type})
        elif c.parent and c.parent in first and first[c.parent] != n:
            children.setdefault(first[c.parent], []).append(n)
        else:
            top.append(n)
    pinged = {n for n, c in enumerate(shown) if c.type in PINGS}
    seen: set[int] = set()

    def walk(roots: list[int]) -> None:
        stack = [(n, 0) for n in reversed(roots)]
        while stack:  # depth first, each level in date order; a loop of parents cannot recur
            n, depth = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            thread.comments.append(_record(shown[n], depth, offset, resolve, page))
            stack.extend((r, depth + 1) for r in reversed(children.get(n, [])))

    walk(top)
    # what no walk from the top reaches (parents in a loop): shown at the top level, in date order
    walk([n for n in range(len(shown)) if n not in seen and n not in pinged])
    above: list[dict[str, Any]] = []  # the nesting, as each comment's direct replies (ids, in date order)
    for record in thread.comments:
        while above and above[-1]["depth"] >= record["depth"]:
            above.pop()
        if above:
            above[-1]["replies"].append(record["id"])
        above.append(record)
    return thread


def _sort_date(c: Comment) -> datetime:
    return parse_wp_date(c.date_gmt) or parse_wp_date(c.date) or datetime.min


def _record(
    c: Comment, depth: int, offset: timedelta | None, resolve: Callable[[str], str | None] | None, page: str
) -> dict:
    return {
        "id": c.id,
        "parent": c.parent if depth else 0,
        "depth": depth,
        "author": " ".join(c.author.split()) or "Anonymous",
        "author_url": _web_address(c.author_url),
        "date": comment_date(c, offset),
        "content": comment_markdown(c.content, resolve, page),
        "replies": [],
    }


def _web_address(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def comment_date(c: Comment, offset: timedelta | None) -> str:
    """The comment's date with its UTC offset (RFC 3339), as its post's dates are written."""
    local, gmt = parse_wp_date(c.date), parse_wp_date(c.date_gmt)
    told = utc_offset(local, gmt) if local is not None and gmt is not None else None
    if local is not None and told is not None:
        return local.replace(tzinfo=timezone(told)).isoformat()
    if gmt is not None:
        return gmt.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    if local is not None:
        return local.replace(tzinfo=timezone(offset or timedelta(0))).isoformat()
    return ""


def data_file(content_file: str) -> str:
    """The site file of a post's comments: `comments/` + its content file's path, as `.json`
    (`content/blog/2023/hello.md` → `comments/blog/2023/hello.json`). Outside `content/` and
    `static/`, so Zola publishes it only as the page that shows it."""
    return "comments/" + content_file.removeprefix("content/").removesuffix(".md") + ".json"


def data_bytes(item: Item, path: str, thread: Thread) -> bytes:
    data = {
        "post": {"wp_id": item.id, "path": path},
        "comments": thread.comments,
        "pings": thread.pings,
    }
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
