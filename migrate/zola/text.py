"""Titles and descriptions as Zola shows them: one clean line, tags stripped, entities decoded.

Entities are decoded until none is left: a title stored twice escaped (`&amp;hellip;`, from an
importer or a `the_title_rss` export re-imported) showed `…` on WordPress's pages, never `&hellip;`.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def decode_entities(value: str) -> str:
    """Character references decoded, again while decoding leaves one (at most a few rounds)."""
    for _ in range(4):
        if "&" not in value:
            break
        decoded = html.unescape(value)
        if decoded == value or not _ENTITY.search(value):
            break
        value = decoded
    return value


def plain_text(value: str) -> str:
    """HTML-ish text as one clean line: tags stripped, entities decoded, spaces collapsed."""
    text = decode_entities(_TAG.sub(" ", value))
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


def title_text(value: str) -> str:
    """A title: tags removed without a space (a title may hold `<em>`), entities decoded."""
    text = decode_entities(_TAG.sub("", value))
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()
