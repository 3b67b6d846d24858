"""TOML front matter for a content item (pure: item + context in, text out).

Rules from zola.md §1–4: single-line strings (tomli-w escapes newlines and control characters),
top-level keys before tables (tomli-w writes tables last), dates as TOML datetimes with offset,
terms deduplicated by Zola's slug, a newline after the closing `+++`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import tomli_w

from migrate.mappings import Mappings
from migrate.wxr.index import SiteContext, aware_date
from migrate.wxr.model import Attachment, Item, Notice, ascii_int
from migrate.wxr.reader import Warn
from migrate.zola.portable import toml_int
from migrate.zola.taxonomies import item_terms
from migrate.zola.tera import escape_toml
from migrate.zola.text import plain_text, title_text
from migrate.zola.urls import Placement

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def item_date(item: Item, ctx: SiteContext, which: str = "date") -> datetime | None:
    """post_date (or post_modified) with the site's offset at that time, from the GMT field when it exists."""
    local_raw, gmt_raw = (item.date, item.date_gmt) if which == "date" else (item.modified, item.modified_gmt)
    when = aware_date(local_raw, gmt_raw, ctx.site_offset)
    if when is not None:
        return when
    if which == "date" and item.pub_date:
        try:
            return parsedate_to_datetime(item.pub_date)
        except (TypeError, ValueError, IndexError):
            return None
    return None


def front_matter(
    item: Item,
    place: Placement,
    ctx: SiteContext,
    mappings: Mappings,
    draft: bool,
    warn: Warn,
    media_url: Callable[[Attachment], str] = lambda att: att.url,
) -> dict[str, Any]:
    """The page's front matter; `media_url` gives the URL a file has on the new site (featured image)."""
    fm: dict[str, Any] = {"title": title_text(item.title)}
    description = plain_text(item.excerpt) or _seo_description(item, mappings)
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
    for what in dropped:
        warn(Notice(item.source, f"{what}: Zola would give it an empty URL", item.id))
    if taxonomies:
        fm["taxonomies"] = taxonomies
    fm["extra"] = _extra(item, ctx, media_url)
    beyond = [key for key, value in fm["extra"].items() if isinstance(value, int) and toml_int(value) != value]
    if beyond:
        warn(Notice(item.source, f"{', '.join(beyond)} beyond 64 bits: written as a string", item.id))
        fm["extra"].update((key, toml_int(fm["extra"][key])) for key in beyond)
    return fm


def _seo_description(item: Item, mappings: Mappings) -> str:
    """The description an SEO plugin gave the page (Yoast, Rank Math, All in One SEO): what search
    engines showed of it. Their template variables (`%%sitename%%`, `%title%`) are no text of it."""
    for key in mappings.description_meta_keys():
        value = item.meta_value(key)
        text = plain_text(_SEO_VARIABLE.sub(" ", value)) if value else ""
        if text:
            return text
    return ""


# Yoast's %%title%%, Rank Math's %title%, AIOSEO's #post_title: filled in by the plugin at display time
_SEO_VARIABLE = re.compile(r"%%[\w-]+%%|%[a-z_]+%|#(?:post|site|tagline|separator)_?[a-z_]*\b")


def _channel_date(ctx: SiteContext) -> datetime | None:
    try:
        return parsedate_to_datetime(ctx.channel.pub_date) if ctx.channel.pub_date else None
    except (TypeError, ValueError, IndexError):
        return None


def _extra(item: Item, ctx: SiteContext, media_url: Callable[[Attachment], str]) -> dict[str, Any]:
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
    thumb_id = ascii_int(thumb)
    if thumb_id is not None and thumb_id in ctx.attachments:
        att = ctx.attachments[thumb_id]
        url = media_url(att)
        if url:
            extra["featured_image"] = url
        if att.alt:
            extra["featured_image_alt"] = plain_text(att.alt)
    template = item.meta_value("_wp_page_template")
    if template and template != "default":
        extra["wp_page_template"] = template
    return extra


def render(fm: dict[str, Any]) -> str:
    """`+++`-delimited TOML, with datetimes written as RFC 3339 (`T`, explicit offset)."""
    try:
        body = _toml(fm)
    except _Unusual:
        body = _DATETIME_SPACE.sub(r"\1T\2", tomli_w.dumps(fm))
    return f"+++\n{escape_toml(body) if '{' in body else body}+++\n"


# tomli-w's output (its `date` and `updated` then given their `T`) for what front matter holds:
# keys and literals, then tables of them; written without tomli-w's character-by-character string
# loop and its generators. Anything else is left to tomli-w itself.
class _Unusual(Exception):
    pass


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_ESCAPES = {i: f"\\u{i:04x}" for i in (*range(32), 127)}
_TOML_ESCAPES.update({8: "\\b", 9: "\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\"})
_TOML_NEEDS_ESCAPE = re.compile(r'[\x00-\x08\x0a-\x1f\x7f"\\]')


def _toml(fm: Mapping[str, Any]) -> str:
    lines: list[str] = []
    tables = []
    for key, value in fm.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(_toml_line(key, value))
    for key, table in tables:
        if lines:
            lines.append("\n")
        lines.append(f"[{_toml_key(key)}]\n")
        for k, v in table.items():
            if isinstance(v, Mapping):
                raise _Unusual
            lines.append(_toml_line(k, v))
    return "".join(lines)


def _toml_line(key: object, value: object) -> str:
    if type(value) is datetime and key in ("date", "updated"):
        return f"{key} = {value.isoformat()}\n"  # what _DATETIME_SPACE makes of tomli-w's line
    return f"{_toml_key(key)} = {_toml_value(value, 0)}\n"


def _toml_key(key: object) -> str:
    if not isinstance(key, str):
        raise _Unusual
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    return '"' + (text.translate(_TOML_ESCAPES) if _TOML_NEEDS_ESCAPE.search(text) else text) + '"'


def _toml_value(value: Any, level: int) -> str:
    kind = type(value)
    if kind is str:
        return _toml_string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is datetime:
        return str(value)
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        if all(isinstance(v, Mapping) for v in value):
            raise _Unusual  # an array of tables
        indent = "    " * (level + 1)
        items = ",\n".join(indent + _toml_value(v, level + 1) for v in value)
        return f"[\n{items},\n{'    ' * level}]"
    raise _Unusual  # floats, dates without time, inline tables, subclasses: tomli-w's own rules


# tomli-w writes "2018-11-26 10:20:30+02:00"; Zola reads both forms, RFC 3339's `T` is the usual one.
_DATETIME_SPACE = re.compile(r"^((?:date|updated) = \d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})", re.M)
