"""WordPress's shortcode grammar (wp-includes/shortcodes.php), as pure functions.

What WordPress does, and so what this module does (wordpress.md §3.1–3.2):

- Only *registered* names are shortcodes; `[foo]` with an unknown name is plain text. A name is
  taken only where it is not followed by a word character or `-` (`[gallery-x]` is not
  `[gallery]`), and only if the text has `[name` followed by a character that cannot be part of a
  name (WordPress first collects the names written in the text and keeps the registered ones).
  Matching is case-sensitive.
- The opening tag runs to the first `]`; a `/` right before that `]` makes it self-closing
  (`[tag /]`), any other `/` is part of the attributes (`[tag url=a/b]`).
- Unless self-closing, the content runs to the *first* `[/name]` after the opening tag. With no
  such closer the tag stands alone (content None). So `[foo] a [foo]b[/foo]` is ONE shortcode whose
  content is ` a [foo]b`: a shortcode cannot hold one of the same name.
- `[[tag]]` and `[[tag]…[/tag]]` are escapes: WordPress prints them minus one bracket pair and does
  not run them. A lone extra bracket (`[[tag]`, `[tag]]`) is printed as it is, around the output.
- Only the top level is run; a shortcode inside another one's content is run only if the outer
  one's handler runs the content again (WordPress's caption does).
- Attributes (`shortcode_parse_atts`): see `parse_attrs`.

HTML (`skip_html=True`, the default, as `do_shortcode` does through `do_shortcodes_in_html_tags`):
the text is split into HTML markup and text the way WordPress's `wp_html_split` does (a comment
`<!-- … -->`, a CDATA section, or a tag: `<` up to the next `>` — also a stray `<` in text, up to
the next `>` or the end). Square brackets inside that markup are not seen by the matcher, so a
shortcode is never found inside a comment, and no opening tag, attribute list or closer can begin
or end inside a tag. A shortcode may still *enclose* tags (`[caption]<a><img/></a> text[/caption]`).
One deliberate difference: WordPress runs shortcodes found inside a tag's attribute values
(`<a href="[url]">`, checked by KSES afterwards); here they are left exactly as written, because a
converter should not write handler output into attribute values. `&#91;`/`&#93;` written by authors
are left alone too (WordPress rewrites them to `&#091;`/`&#093;`, which displays the same).

Offsets: `start`/`end` cover what WordPress replaces — the whole `[[…]]` for an escape, and for a
normal shortcode the tag without a lone extra bracket (WordPress keeps that bracket). So
`text[:s.start] + output + text[s.end:]` is what `do_shortcode` prints.

Written from the behaviour of WordPress (GPL); no code is copied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Shortcode", "find_shortcodes", "parse_attrs", "replace_shortcodes", "stripcslashes"]


@dataclass(frozen=True)
class Shortcode:
    name: str
    attrs: dict[str | int, str] = field(hash=False)  # named (lower-cased) and positional (0, 1, …)
    content: str | None  # None: self-closing, or no closer later in the text
    raw: str  # the exact text from start to end
    start: int  # offsets in the scanned text
    end: int
    escaped: bool  # [[tag]] / [[tag]…[/tag]]: printed as raw minus one bracket pair, never run


# -- attributes --------------------------------------------------------------------------------------

# One token of an attribute list, tried in this order: name="v", name='v', name=v, "v", 'v', v.
# Each must be followed by whitespace or the end. ASCII classes: PHP runs this regex on bytes.
_ATTR_TOKEN = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)"""
    r"""|"([^"]*)"(?:\s|$)"""
    r"""|'([^']*)'(?:\s|$)"""
    r"""|(\S+)(?:\s|$)""",
    re.ASCII,
)
# A value holding '<' is kept only if every '<' has its '>' (no half-open tag).
_BALANCED_ANGLES = re.compile(r"[^<]*+(?:<[^>]*+>[^<]*+)*+")
_PHP_INT_KEY = re.compile(r"-?[1-9][0-9]*|0")
_PHP_INT_MAX = 2**63 - 1
_SIMPLE_ESCAPES = {
    ord("n"): 10,
    ord("r"): 13,
    ord("a"): 7,
    ord("t"): 9,
    ord("v"): 11,
    ord("b"): 8,
    ord("f"): 12,
    ord("\\"): 92,
}
_HEX = b"0123456789abcdefABCDEF"
_OCT = b"01234567"


def stripcslashes(value: str) -> str:
    """PHP's stripcslashes: C escapes become characters (\\n \\t \\r \\a \\v \\b \\f \\\\, \\xHH with
    one or two hex digits, \\ooo with one to three octal digits); a backslash before any other
    character is dropped; a final lone backslash stays. Works on the UTF-8 bytes like PHP does, so
    `\\xc3\\xa9` is "é"; a byte that does not decode becomes U+FFFD."""
    if "\\" not in value:
        return value
    data = value.encode("utf-8", "surrogatepass")
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c != 0x5C or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        i += 1
        c = data[i]
        if c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
            i += 1
        elif c == ord("x") and i + 1 < n and data[i + 1] in _HEX:
            j = i + 1
            k = j + 1 if j + 1 < n and data[j + 1] in _HEX else j
            out.append(int(data[j : k + 1], 16))
            i = k + 1
        else:
            j = i
            while j < n and j - i < 3 and data[j] in _OCT:
                j += 1
            if j > i:
                out.append(int(data[i:j], 8) & 0xFF)
                i = j
            else:
                out.append(c)  # unknown escape: the character itself
                i += 1
    return out.decode("utf-8", "replace")


def _php_key(name: str) -> str | int:
    """PHP array keys: a canonical decimal integer string becomes an int key."""
    if _PHP_INT_KEY.fullmatch(name):
        number = int(name)
        if -_PHP_INT_MAX - 1 <= number <= _PHP_INT_MAX:
            return number
    return name


def parse_attrs(text: str) -> dict[str | int, str]:
    """The attribute list of a shortcode as `shortcode_parse_atts` gives it.

    U+00A0 and U+200B count as spaces. Named values get lower-cased names; unnamed ones are
    numbered 0, 1, … in order (PHP `$a[]`: one past the largest integer key so far). Every value
    goes through `stripcslashes`; a value with a `<` that is never closed by `>` becomes ''. Only
    straight quotes delimit values (`ids=”1,2”` keeps its curly quotes). PHP quirks kept: an
    empty quoted positional value (`""`) is dropped, so is an attribute named `0`, and a name that
    is a decimal integer (`5="x"`) gets an int key. An empty or blank list gives {} (WordPress
    returns '' there)."""
    text = re.sub("[\u00a0\u200b]+", " ", text)
    attrs: dict[str | int, str] = {}
    next_free: int | None = None  # PHP's next free integer key; None = no integer key yet

    def put(key: str | int, value: str) -> None:
        nonlocal next_free
        if isinstance(key, int) and (next_free is None or key >= next_free):
            next_free = key + 1
        attrs[key] = value

    for m in _ATTR_TOKEN.finditer(text):
        g = m.groups()
        for name_i in (0, 2, 4):
            if m.start(name_i + 1) != -1:  # one of the three named forms
                if g[name_i] and g[name_i] != "0":  # PHP empty(): "0" is empty
                    put(_php_key(g[name_i].lower()), stripcslashes(g[name_i + 1]))
                break
        else:
            value = g[6] or g[7] or g[8]  # "v", 'v', bare v; empty quoted values are dropped
            if value:
                index = 0 if next_free is None else next_free
                if index <= _PHP_INT_MAX:
                    put(index, stripcslashes(value))
    for key, value in attrs.items():
        if "<" in value and not _BALANCED_ANGLES.fullmatch(value):
            attrs[key] = ""
    return attrs


# -- finding ------------------------------------------------------------------------------------------

# `[` + a name as WordPress collects them from the text: a run of characters a name may hold.
_NAME_IN_TEXT = re.compile(r"\[([^<>&/\[\]\x00-\x20=]++)")

# HTML markup as wp_html_split cuts it: a comment (to `-->` or the end), a CDATA section (to `]]>`
# or the end), else `<` up to the next `>` (or the end).
_HTML_MARKUP = re.compile(
    r"<(?:"
    r"(?=!--)!(?:-(?!->)[^-]*+)*+(?:-->)?"
    r"|(?=!\[CDATA\[)!\[CDATA\[[^\]]*+(?:\](?!\]>)[^\]]*+)*+(?:\]\]>)?"
    r"|[^>]*+>?"
    r")"
)
_BRACKETS_OUT = str.maketrans("[]", "\x00\x00")


def _mask_html(text: str) -> str:
    """The text with every `[` and `]` inside HTML markup turned into NUL; same length."""
    if "<" not in text:
        return text
    parts: list[str] = []
    last = 0
    for m in _HTML_MARKUP.finditer(text):
        markup = m.group()
        if "[" in markup or "]" in markup:
            parts.append(text[last : m.start()])
            parts.append(markup.translate(_BRACKETS_OUT))
            last = m.end()
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


@lru_cache(maxsize=64)
def _opening_regex(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(
        r"\[(\[?)"  # 1: a second `[` (escape)
        rf"({alternatives})(?![A-Za-z0-9_-])"  # 2: the name, not followed by a word character or `-`
        r"([^\]/]*+(?:/(?!\])[^\]/]*+)*?)"  # 3: attributes: up to `]`, `/` only when not before `]`
        r"(?:(/)\]|\])"  # 4: `/]` self-closing, or `]`
    )


def _names_in(text: str, names: Collection[str]) -> list[str]:
    if isinstance(names, str):
        names = (names,)
    present = set(_NAME_IN_TEXT.findall(text))
    # Longest first, so a name that holds another one plus punctuation (`a.b` and `a`) wins.
    return sorted(present.intersection(names), key=lambda n: (-len(n), n))


def find_shortcodes(text: str, names: Collection[str], *, skip_html: bool = True) -> list[Shortcode]:
    """The top-level shortcodes of `names` in `text`, left to right (see the module docstring).

    `skip_html=False` matches on the raw text, like `get_shortcode_regex` alone; the default does
    what `do_shortcode` does with HTML comments and tags."""
    if "[" not in text or not names:
        return []
    wanted = _names_in(text, names)
    if not wanted:
        return []
    scan = _mask_html(text) if skip_html else text
    last_close = scan.rfind("]")
    if last_close < 0:
        return []
    opening = _opening_regex(tuple(wanted))
    closers: dict[str, tuple[int, int]] = {}  # name → (searched from, index of `[/name]` or -1)
    found: list[Shortcode] = []
    pos = 0
    length = len(text)
    while True:
        m = opening.search(scan, pos, last_close + 1)  # an opening tag needs a `]`
        if m is None:
            break
        lead, name, self_closing = m.group(1, 2, 4)
        attr_text = text[m.start(3) : m.end(3)]  # from the text itself, not the masked copy
        end = m.end()
        content: str | None = None
        if not self_closing:
            closer = f"[/{name}]"
            searched_from, at = closers.get(name, (-1, -1))
            # The first `[/name]` at or after `searched_from` is still the first after `end` when
            # the search began no later than `end` and found nothing, or found it past `end`.
            if searched_from < 0 or searched_from > end or (at != -1 and at < end):
                at = scan.find(closer, end)
                closers[name] = (end, at)
            if at != -1:
                content = text[end:at]
                end = at + len(closer)
        trail = "]" if end < length and scan[end] == "]" else ""
        full_end = end + len(trail)
        escaped = bool(lead and trail)
        start = m.start() if escaped else m.start() + len(lead)
        stop = full_end if escaped else end
        found.append(
            Shortcode(
                name=name,
                attrs=parse_attrs(attr_text),
                content=content,
                raw=text[start:stop],
                start=start,
                end=stop,
                escaped=escaped,
            )
        )
        pos = full_end
        if pos > last_close:
            break
    return found


def replace_shortcodes(
    text: str, names: Collection[str], handler: Callable[[Shortcode], str | None], *, skip_html: bool = True
) -> str:
    """`do_shortcode`: each top-level shortcode of `names` is replaced by `handler(shortcode)`;
    None leaves its text as it is. Escapes (`[[tag]]`) become their text minus one bracket pair and
    the handler is not called for them. The handler's output is not scanned again."""
    pieces: list[str] = []
    last = 0
    for code in find_shortcodes(text, names, skip_html=skip_html):
        if code.escaped:
            out = code.raw[1:-1]
        else:
            result = handler(code)
            if result is None:
                out = code.raw
            elif isinstance(result, str):  # checked: handlers are user code, their hints unenforced
                out = result
            else:
                raise TypeError(f"shortcode handler for [{code.name}] returned {type(result).__name__}, not str")
        pieces.append(text[last : code.start])
        pieces.append(out)
        last = code.end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)
