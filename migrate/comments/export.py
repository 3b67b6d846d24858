"""The shown comments of every post as a WordPress export that comment systems import, so that the
new site can keep taking comments: Remark42 (`import -p wordpress`) and Isso (`isso import`) both
read this format (each item's `<link>` names the page, each `<wp:comment>` one comment).

It differs from the site's own export in what makes it safe to hand over: each `<link>` is the page's
URL on the new site; only the comments the site showed are in it (approved, not spam, not in the
trash); and no commenter's email, IP address or browser — the elements Isso requires are there, empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from html import escape as _escape

from migrate.comments.thread import Thread
from migrate.wxr.model import Comment, Item


def escape(text: str) -> str:
    """`&`, `<` and `>` as XML text needs them (what xml.sax.saxutils.escape does, whose module brings
    urllib.request, http.client and ssl with it: 5 MB of every run's memory)."""
    return _escape(text, quote=False)


FILE = "comments/import.wordpress.xml"
_WP = "%Y-%m-%d %H:%M:%S"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by wp2zola: the comments the new site shows, for the import of a comment system. -->
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>{title}</title>
<link>{link}</link>
<wp:wxr_version>1.2</wp:wxr_version>
"""


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml_text(text: str) -> str:
    """Text that XML 1.0 accepts: the characters it cannot hold at all are left out."""
    return _NOT_XML.sub("", text)


def item_xml(item: Item, url: str, title: str, thread: Thread) -> str:
    """One post's `<item>` with the comments it shows ("" when it shows none). Each comment id once
    (Isso's importer fails on a repeated one), every date there (it fails on an empty one)."""
    records = {r["id"]: r for r in [*thread.comments, *thread.pings] if r["id"] is not None}
    comments: list[Comment] = []
    for c in item.comments:
        if c.id in records and all(c.id != kept.id for kept in comments):
            comments.append(c)
    if not comments:
        return ""
    parts = [
        "<item>\n",
        f"<title>{escape(_xml_text(title) or url)}</title>\n",  # Isso skips a thread without a title
        f"<link>{escape(url)}</link>\n",
        f"<wp:post_id>{item.id or 0}</wp:post_id>\n",
        f"<wp:post_type>{escape(item.type)}</wp:post_type>\n",
        "<wp:status>publish</wp:status>\n",
    ]
    parts.extend(_comment(c, records[c.id]) for c in comments)
    parts.append("</item>\n")
    return "".join(parts)


def _comment(c: Comment, shown: dict) -> str:
    """One comment as the site shows it: its parent as shown (an orphan's reply is at the top) and its
    dates from the shown date, which has its offset (local and GMT, never empty nor zero)."""
    url = shown["author_url"]
    local, gmt = _dates(shown["date"])
    return (
        "<wp:comment>"
        f"<wp:comment_id>{c.id}</wp:comment_id>"
        f"<wp:comment_author>{_cdata(_xml_text(c.author))}</wp:comment_author>"
        "<wp:comment_author_email></wp:comment_author_email>"
        f"<wp:comment_author_url>{escape(_xml_text(url))}</wp:comment_author_url>"
        "<wp:comment_author_IP></wp:comment_author_IP>"
        f"<wp:comment_date>{local}</wp:comment_date>"
        f"<wp:comment_date_gmt>{gmt}</wp:comment_date_gmt>"
        f"<wp:comment_content>{_cdata(_xml_text(c.content))}</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved>"
        f"<wp:comment_type>{escape(c.type or 'comment')}</wp:comment_type>"
        f"<wp:comment_parent>{shown.get('parent', 0)}</wp:comment_parent>"
        "</wp:comment>\n"
    )


def _dates(shown: str) -> tuple[str, str]:
    """(local, GMT) as WordPress writes them, from an RFC 3339 date; the epoch for a comment without one."""
    try:
        when = datetime.fromisoformat(shown.replace("Z", "+00:00"))
    except ValueError:
        when = datetime(1970, 1, 1, tzinfo=UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.strftime(_WP), when.astimezone(UTC).strftime(_WP)


def export_bytes(title: str, link: str, items: Iterable[bytes]) -> Iterator[bytes]:
    """The export's bytes in pieces: its head, each of `items` (UTF-8 pieces of the items' XML), its end."""
    yield _HEAD.format(title=escape(_xml_text(title)), link=escape(link)).encode("utf-8")
    yield from items
    yield b"</channel>\n</rss>\n"
