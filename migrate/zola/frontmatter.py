"""TOML front matter for a content item (pure: item + context in, text out).

Rules from zola.md §1–4: single-line strings (tomli-w escapes newlines and control characters),
top-level keys before tables (tomli-w writes tables last), dates as TOML datetimes with offset,
terms deduplicated by Zola's slug, a newline after the closing `+++`.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import tomli_w

from migrate.wxr.index import SiteContext, parse_wp_date
from migrate.markdown.html2md import TEMPLATE_OPENER
from migrate.mappings import Mappings
from migrate.wxr.model import Item, Notice
from migrate.wxr.reader import Warn
from migrate.zola.slugs import zola_slug
from migrate.zola.urls import Placement

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def plain_text(value: str) -> str:
    """HTML-ish text as one clean line: tags stripped, entities decoded, spaces collapsed."""
    text = html.unescape(_TAG.sub(" ", value))
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


def title_text(value: str) -> str:
    text = html.unescape(_TAG.sub("", value))
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def _aware(local: datetime, offset: timedelta) -> datetime:
    return local.replace(tzinfo=timezone(offset))


def item_date(item: Item, ctx: SiteContext, which: str = "date") -> datetime | None:
    """post_date (or post_modified) with the site's offset at that time, from the GMT field when it exists."""
    local_raw, gmt_raw = (item.date, item.date_gmt) if which == "date" else (item.modified, item.modified_gmt)
    local, gmt = parse_wp_date(local_raw), parse_wp_date(gmt_raw)
    if local is not None and gmt is not None:
        offset = local - gmt
        if abs(offset) <= timedelta(hours=14) and offset % timedelta(minutes=15) == timedelta(0):
            return _aware(local, offset)
        return gmt.replace(tzinfo=timezone.utc)
    if gmt is not None:
        return gmt.replace(tzinfo=timezone.utc)
    if local is not None:  # drafts: no GMT date; the site's usual offset is the best guess
        return _aware(local, ctx.site_offset or timedelta(0))
    if which == "date" and item.pub_date:
        try:
            return parsedate_to_datetime(item.pub_date)
        except (TypeError, ValueError, IndexError):
            return None
    return None


def item_terms(item: Item, ctx: SiteContext, mappings: Mappings) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """The item's terms by Zola taxonomy, one per Zola slug; and the (taxonomy, name) pairs dropped
    because Zola would give them an empty URL (their page would replace the taxonomy's list)."""
    names: list[tuple[str, str]] = [(mappings.taxonomy(t.taxonomy), t.name or _term_name(t, ctx)) for t in item.terms]
    if item.creator:
        names.append((mappings.taxonomy("author"), ctx.author_name(item.creator)))
    out: dict[str, list[str]] = {}
    dropped: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for taxonomy, name in names:
        name = title_text(name)
        if not taxonomy or not name:
            continue
        slug = zola_slug(name)
        if not slug:
            dropped.append((taxonomy, name))
        elif (taxonomy, slug) not in seen:
            seen.add((taxonomy, slug))
            out.setdefault(taxonomy, []).append(name)
    return out, dropped


def _term_name(term, ctx: SiteContext) -> str:
    known = ctx.terms.get((term.taxonomy, term.slug))
    return known.name if known else term.slug


def front_matter(item: Item, place: Placement, ctx: SiteContext, mappings: Mappings, draft: bool, warn: Warn) -> dict[str, Any]:
    fm: dict[str, Any] = {"title": title_text(item.title)}
    description = plain_text(item.excerpt)
    if description:
        fm["description"] = description
    date = item_date(item, ctx, "date")
    if date is None:
        date = item_date(item, ctx, "modified") or _channel_date(ctx) or EPOCH
        warn(Notice(item.source, f"no date; using {date.isoformat()} so that Zola lists it", item.id))
    fm["date"] = date
    updated = item_date(item, ctx, "modified")
    if updated is not None and updated > date:
        fm["updated"] = updated
    fm["path"] = place.path
    if place.aliases:
        fm["aliases"] = list(place.aliases)
    if draft:
        fm["draft"] = True
    taxonomies, dropped = item_terms(item, ctx, mappings)
    for taxonomy, name in dropped:
        warn(Notice(item.source, f"{taxonomy} term {name!r} dropped: Zola would give it an empty URL", item.id))
    if taxonomies:
        fm["taxonomies"] = taxonomies
    fm["extra"] = _extra(item, ctx)
    return fm


def _channel_date(ctx: SiteContext) -> datetime | None:
    try:
        return parsedate_to_datetime(ctx.channel.pub_date) if ctx.channel.pub_date else None
    except (TypeError, ValueError, IndexError):
        return None


def _extra(item: Item, ctx: SiteContext) -> dict[str, Any]:
    extra: dict[str, Any] = {"wp_id": item.id if item.id is not None else 0, "wp_type": item.type or "post"}
    if item.status and item.status != "publish":
        extra["wp_status"] = item.status
    if item.password:
        extra["wp_password_protected"] = True  # never the password itself
    if item.sticky:
        extra["sticky"] = True
    if item.parent and item.type != "attachment":
        extra["wp_parent"] = item.parent
    if item.menu_order:
        extra["wp_menu_order"] = item.menu_order
    formats = [t.slug.removeprefix("post-format-") for t in item.terms if t.taxonomy == "post_format" and t.slug]
    if formats:
        extra["format"] = formats[0]
    thumb = item.meta_value("_thumbnail_id").strip()
    if thumb.isdigit() and int(thumb) in ctx.attachments:
        att = ctx.attachments[int(thumb)]
        if att.url:
            extra["featured_image"] = att.url
        if att.alt:
            extra["featured_image_alt"] = plain_text(att.alt)
    template = item.meta_value("_wp_page_template")
    if template and template != "default":
        extra["wp_page_template"] = template
    if item.link:
        extra["wp_link"] = item.link
    return extra


def render(fm: dict[str, Any]) -> str:
    """`+++`-delimited TOML, with datetimes written as RFC 3339 (`T`, explicit offset)."""
    body = tomli_w.dumps(fm)
    body = _DATETIME_SPACE.sub(r"\1T\2", body)
    return f"+++\n{escape_templates(body)}+++\n"


def escape_templates(toml_text: str) -> str:
    """No `{{` or `{%` in the file, strings included (zola.md §6): TOML's `\\u007B` is the same `{`."""
    return TEMPLATE_OPENER.sub(r"\\u007B", toml_text)



# tomli-w writes "2018-11-26 10:20:30+02:00"; Zola reads both forms, RFC 3339's `T` is the usual one.
_DATETIME_SPACE = re.compile(r"^((?:date|updated) = \d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})", re.M)
