"""Titles and descriptions as Zola shows them: one clean line, tags stripped, entities decoded once."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(value: str) -> str:
    """HTML-ish text as one clean line: tags stripped, entities decoded, spaces collapsed."""
    text = html.unescape(_TAG.sub(" ", value))
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


def title_text(value: str) -> str:
    """A title: tags removed without a space (a title may hold `<em>`), entities decoded."""
    text = html.unescape(_TAG.sub("", value))
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()
