"""Embeds: what a URL WordPress would embed becomes (plain HTML), from `mappings/embeds.toml`."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from migrate.mappings import Mappings
from migrate.wxr.hosts import parse_url

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Provider:
    name: str
    patterns: tuple[re.Pattern, ...]
    html: str | None
    movies: tuple[re.Pattern, ...] = ()  # its old Flash player's movie URLs (<object>/<embed> only)


class Embeds:
    def __init__(self, mappings: Mappings):
        self.providers = [
            Provider(
                p["name"],
                tuple(re.compile(rx, re.I) for rx in p.get("patterns", [])),
                p.get("html"),
                tuple(re.compile(rx, re.I) for rx in p.get("movies", [])),
            )
            for p in mappings.tables.get("providers", [])
        ]
        self.widget_scripts = [
            (str(w["name"]), re.compile(w["src"], re.I)) for w in mappings.tables.get("widget_scripts", [])
        ]
        media = mappings.tables.get("media", {})
        self.audio = {e.lower() for e in media.get("audio", [])}
        self.video = {e.lower() for e in media.get("video", [])}

    def provider(self, url: str) -> tuple[Provider, dict[str, str]] | None:
        for provider in self.providers:
            for pattern in provider.patterns:
                m = pattern.search(url)
                if m:
                    return provider, {k: v or "" for k, v in m.groupdict().items()}
        return None

    def media_kind(self, url: str) -> str | None:
        parts = parse_url(url)
        path = parts.path if parts is not None else ""
        ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        return "audio" if ext in self.audio else "video" if ext in self.video else None

    def html_for(self, url: str) -> tuple[str, str] | None:
        """(provider name, HTML) for a URL WordPress would embed; None when it would stay text."""
        url = html.unescape(url.strip())
        kind = self.media_kind(url)
        if kind:
            return kind, media_html(kind, url)
        found = self.provider(url)
        if found is None:
            return None
        provider, fields = found
        if not provider.html:
            return provider.name, link_html(url)
        return provider.name, _fill(provider.html, fields)

    def movie_html(self, url: str) -> tuple[str, str] | None:
        """(provider name, HTML) for a Flash `<object>`/`<embed>` movie URL of a known provider
        (its `movies` patterns, e.g. vimeo.com/moogaloop.swf?clip_id=N, or its embed patterns,
        e.g. youtube.com/v/ID) or a media file; None for any other movie."""
        url = html.unescape(url.strip())
        for provider in self.providers:
            m = next((m for rx in provider.movies if (m := rx.search(url))), None)
            if m and provider.html:
                return provider.name, _fill(provider.html, {k: v or "" for k, v in m.groupdict().items()})
        return self.html_for(url)

    def widget_script(self, src: str) -> str | None:
        """The name of the embed widget whose script `src` is (`widget_scripts`), else None."""
        src = html.unescape(src.strip())
        return next((name for name, rx in self.widget_scripts if rx.search(src)), None)


def _fill(template: str, fields: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: html.escape(fields.get(m.group(1), ""), quote=True), template)


def link_html(url: str, text: str | None = None) -> str:
    return f'<p><a href="{html.escape(url, quote=True)}">{html.escape(text or url, quote=False)}</a></p>'


def media_html(kind: str, src: str, **attrs: str) -> str:
    """`<audio controls>`/`<video controls>` for a media file; WordPress's `?_=N` instance query dropped."""
    src = re.sub(r"[?&]_=\d+$", "", src)
    extra = "".join(f' {k}="{html.escape(v, quote=True)}"' for k, v in attrs.items() if v)
    return f'<{kind} controls src="{html.escape(src, quote=True)}"{extra}></{kind}>'
