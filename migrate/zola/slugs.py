"""Zola's slug of a name, to tell which taxonomy terms Zola will merge or lose.

Zola slugifies term names with the `slug` crate (deunicode, then lowercase ASCII words joined by
`-`; zola.md §4): `Café`→`cafe`, `日本語`→`ri-ben-yu`, `😀`→`grinning`, `C++`→`c`. anyascii gives the
same transliterations per character; each non-ASCII character that becomes a word is its own word,
as in deunicode.

Character references are decoded first: a title stored as `Wait&nbsp;&hellip;` is the words "Wait …",
and its slug is `wait`, never `wait-nbsp-hellip`.
"""

from __future__ import annotations

import re

from anyascii import anyascii

from migrate.zola.text import decode_entities

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def zola_slug(name: str) -> str:
    if name.isascii() and "&" not in name:  # nothing to transliterate or decode (most names)
        return _NON_ALNUM.sub("-", name.lower()).strip("-")
    parts = []
    for char in decode_entities(name) if "&" in name else name:
        if char.isascii():
            parts.append(char)
        else:
            ascii_form = anyascii(char)
            parts.append(f" {ascii_form} " if len(ascii_form.strip(" :")) > 1 else ascii_form)
    return _NON_ALNUM.sub("-", "".join(parts).lower()).strip("-")
