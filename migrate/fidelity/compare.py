"""Fidelity harness: what WordPress showed (its HTML) against what Zola will show (our Markdown).

The Markdown side is rendered with pyromark, the Python binding of pulldown-cmark, with the
extensions Zola turns on (`ZOLA_OPTIONS`). Both sides are then measured the same way:

- `visible_words`: the words a reader sees (not alt text, scripts, styles, comments or hidden
  elements), Unicode-aware, each Han/Kana/Hangul character one word;
- `structure`: headings, list items with depth, links, images, code blocks, table cells,
  blockquotes, footnotes and ordered-list starts, compared item by item (`compare`);
- `raw_html_tags` / `leftovers`: raw HTML and WordPress shortcodes or block comments left in the
  Markdown source, outside code.

`summarize` and `format_table` add items up per site; `diff_report` explains one item.
Everything here is a pure function: no I/O, and nothing raises on odd input.
"""

from __future__ import annotations

import difflib
import enum
import functools
import html as htmllib
import math
import re
import sys
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from os.path import commonprefix
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import lxml.html
import pyromark
from lxml import etree

if TYPE_CHECKING:  # stored.py reads its words with this module's helpers
    from migrate.fidelity.stored import Stored

ZOLA_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_HEADING_ATTRIBUTES
)
"""The pulldown-cmark options Zola (0.17–0.22) always turns on; smart punctuation and the rest are off."""

# --------------------------------------------------------------------------------------------------
# Input hygiene and parsing

_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")  # not shown, and not XML-safe
_DOC_TAGS = re.compile(r"</?(?:html|head|body)(?:\s[^>]*)?/?>|<!doctype[^>]*>", re.I)
_PARSER = lxml.html.HTMLParser(huge_tree=True, remove_blank_text=False)


def _clean(text: str | None) -> str:
    """Any str, even with lone surrogates, as text both parsers accept."""
    if not text:
        return ""
    return _SURROGATES.sub("\ufffd", str(text))


def _parse(html: str) -> etree._Element:
    """A tolerant parse of an HTML fragment, wrapped in a <div>; never raises.

    `<html>`, `<head>`, `<body>` tags are dropped first: libxml2 discards whatever follows a stray
    `</body>`, where a browser still shows it. Markup nested deeper than libxml2 goes (2048 levels
    even with `huge_tree`, after which it drops the rest of the document) is flattened first.
    """
    html = _DOC_TAGS.sub(" ", _CONTROL.sub("", _clean(html)).replace("\x0c", " "))
    html = _flatten_deep(html)
    if html.strip():
        try:
            root = lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)
            # stray end tags can hide depth from `_flatten_deep`; libxml2 then stops and says so
            if not any(e.type_name == "ERR_RESOURCE_LIMIT" for e in _PARSER.error_log):
                return root
        except Exception:
            pass
    div = lxml.html.Element("div")
    div.text = _plain_text(html)
    return div


_UNSEEN = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style|template)\b.*?(?:</\1\s*>|\Z)", re.I | re.S)
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>|<[!?][^>]*>")


def _plain_text(html: str) -> str:
    """The last resort for markup libxml2 cannot parse: its text, without comments and scripts, inline
    tags joined, other tags a space, entities decoded (structure is lost, words are not)."""
    text = _ANY_TAG.sub(lambda m: "" if (m.group(2) or "").lower() in _INLINE_TAGS else " ", _UNSEEN.sub(" ", html))
    return htmllib.unescape(text)


_DEPTH_LIMIT = 1000  # well below libxml2's 2048: the count below ignores the parser's implied closings
_NESTING = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>", re.S)


def _flatten_deep(html: str, limit: int = _DEPTH_LIMIT) -> str:
    """`html` without the tags nested deeper than `limit`: inline ones vanish, others become a space, so
    their text stays and still splits where it did. Unchanged (and cheap) when nothing is that deep.

    The depth is counted naively (every start tag that is not void opens, every end tag closes), which
    over-estimates the parser's depth where end tags are implied: flattening too early loses only
    structure, never text."""
    if html.count("<") <= limit:
        return html
    out: list[str] = []
    pos = depth = 0
    for m in _NESTING.finditer(html):
        if m.group(2) is None:
            continue  # a comment
        name = m.group(2).lower()
        if not m.group(1):
            if name in _VOID_TAGS or m.group(3):
                continue
            depth += 1
            deep = depth > limit
        else:
            deep = depth > limit
            depth = max(0, depth - 1)
        if deep:
            out.append(html[pos : m.start()])
            out.append("" if name in _INLINE_TAGS else " ")
            pos = m.end()
    if not out:
        return html
    out.append(html[pos:])
    return "".join(out)


def render_markdown(markdown: str) -> str:
    """Markdown → HTML as Zola's engine (pulldown-cmark) renders it, with Zola's extensions."""
    return pyromark.html(_clean(markdown), options=ZOLA_OPTIONS)


# --------------------------------------------------------------------------------------------------
# Visibility and text

_INVISIBLE_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "title", "head", "meta", "link"})
_INLINE_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font",
        "i", "ins", "kbd", "label", "mark", "nobr", "q", "s", "samp", "small", "span", "strike", "strong",
        "sub", "sup", "time", "tt", "u", "var", "wbr",
    }
)  # fmt: skip
_LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
_DISPLAY_NONE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


class _Break(enum.Enum):
    BREAK = enum.auto()


_BREAK: Final = _Break.BREAK  # a block boundary in the text stream; an enum so `is` narrows
_Piece = tuple[str, bool] | _Break  # (text, in_pre) or _BREAK


def _invisible(el) -> bool:
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions, entities
        return True
    tag = tag.lower()
    if tag in _INVISIBLE_TAGS or el.get("hidden") is not None:
        return True
    if tag == "input" and (el.get("type") or "").strip().lower() == "hidden":
        return True
    style = el.get("style")
    return bool(style and _DISPLAY_NONE.search(style))


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _classes(el) -> set[str]:
    return set((el.get("class") or "").lower().split())


def _pieces(root: etree._Element, skip: Callable[[object], bool] | None = None) -> Iterator[_Piece]:
    """The visible text under root, in order: (text, in_pre) pairs and _BREAK at block boundaries.

    Iterative, so deeply nested input cannot hit the recursion limit. `skip` leaves out descendant
    subtrees (their tails, which belong to the parent, are kept).
    """
    # (item, in_pre): an element to walk, a str of text, or None for the end of a block
    stack: list[tuple[etree._Element | str | None, bool]] = [(root, False)]
    while stack:
        item, in_pre = stack.pop()
        if isinstance(item, str):
            yield item, in_pre
            continue
        if item is None:
            yield _BREAK
            continue
        el = item
        if _invisible(el) or (skip is not None and el is not root and skip(el)):
            continue
        tag = _tag(el)
        if tag == "br":
            yield ("\n", True) if in_pre else _BREAK
            continue
        block = tag not in _INLINE_TAGS and not in_pre
        child_pre = in_pre or tag in ("pre", "listing", "xmp", "plaintext", "textarea")
        if block:
            yield _BREAK
            stack.append((None, in_pre))
        for child in reversed(el):
            if child.tail:
                stack.append((child.tail, child_pre))
            stack.append((child, child_pre))
        if el.text:
            stack.append((el.text, child_pre))


def _ws(text: str) -> str:
    """Whitespace-normalised text (NBSP and other Unicode spaces included), NFC, no zero-width chars."""
    return " ".join(unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", text)).split())


def _text(el: etree._Element, skip: Callable[[object], bool] | None = None) -> str:
    parts: list[str] = []
    for piece in _pieces(el, skip):
        parts.append(" " if piece is _BREAK else piece[0])
    return _ws("".join(parts))


def _segments(root: etree._Element) -> list[str]:
    """Raw visible text split into blocks: block elements, <br>, blank lines, and lines inside <pre>."""
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append("".join(buf))
            buf.clear()

    for piece in _pieces(root):
        if piece is _BREAK:
            flush()
            continue
        text, in_pre = piece
        parts = text.split("\n") if in_pre else re.split(r"\n[ \t\r\f\v\u00a0]*\n", text)
        for i, part in enumerate(parts):
            if i:
                flush()
            buf.append(part)
    flush()
    return out


# --------------------------------------------------------------------------------------------------
# Words

_ZERO_WIDTH = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\ufe00-\ufe0f\U000e0000-\U000e01ef]")
_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    }
)  # fmt: skip
# Han (with radicals, compatibility ideographs and the supplementary planes), Kana, Hangul.
_CJK = (
    "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b"  # radicals, 々 〇, Hangzhou numerals
    "\u3041-\u3096\u3099-\u309f\u30a1-\u30fa\u30fc-\u30ff"  # Hiragana, Katakana (not ・ ゠)
    "\u3100-\u312f\u3130-\u318f\u31a0-\u31ff"  # Bopomofo, Hangul compatibility Jamo, Katakana extension
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\u1100-\u11ff"
    "\U0001b000-\U0001b16f\U00020000-\U0003ffff"
)


@functools.cache
def _word_pattern() -> re.Pattern:
    """A word: one CJK character, or a run of letters/digits/marks (inner apostrophes allowed)."""
    ranges: list[tuple[int, int]] = []
    start: int | None = None  # first code point of the current run of marks
    prev = -1
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp))[0] == "M":
            if start is None:
                start = cp
            elif cp != prev + 1:
                ranges.append((start, prev))
                start = cp
            prev = cp
    if start is not None:
        ranges.append((start, prev))
    marks = "".join(f"{chr(a)}-{chr(b)}" if a != b else chr(a) for a, b in ranges)
    alnum = rf"(?![{_CJK}])[^\W_]"
    run = rf"{alnum}(?:{alnum}|[{marks}])*"
    return re.compile(rf"[{_CJK}][{marks}]*|{run}(?:'{run})*")


def _normalise_words(text: str) -> str:
    text = unicodedata.normalize("NFKC", _ZERO_WIDTH.sub("", text)).casefold()
    return text.translate(_TYPOGRAPHIC)


def _tokens(text: str) -> list[str]:
    return _word_pattern().findall(_normalise_words(text))


def visible_words(html: str) -> list[str]:
    """The words a reader sees in `html`, in order, normalised (NFKC, casefold, ASCII quotes/dashes).

    Text of <script>, <style>, <template>, <noscript>, <iframe>, comments and hidden elements is not
    seen; neither is alt text (see `structure`). Inline elements do not split words (`wo<em>r</em>d`
    is one word), block elements and <br> do. Words split on whitespace and punctuation (an
    apostrophe inside a word keeps it whole: "don't"); each Han, Kana or Hangul character is a word.
    """
    return [w for seg in _segments(_parse(html)) for w in _tokens(seg)]


def _visible_lines(root) -> list[str]:
    lines = []
    for seg in _segments(root):
        words = _tokens(seg)
        if words:
            lines.append(" ".join(words))
    return lines


def _kept(a: Sequence[str], b: Sequence[str]) -> int:
    return sum((Counter(a) & Counter(b)).values())


# --------------------------------------------------------------------------------------------------
# Structure


@dataclass
class Structure:
    """The structural elements of a rendered page, text values whitespace-normalised."""

    headings: list[tuple[int, str]] = field(default_factory=list)  # (level, text)
    list_items: list[tuple[int, bool, str]] = field(default_factory=list)  # (depth, ordered, text)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    images: list[tuple[str, str]] = field(default_factory=list)  # (src, alt)
    code_blocks: list[str] = field(default_factory=list)
    table_cells: list[str] = field(default_factory=list)
    blockquotes: list[tuple[int, str]] = field(default_factory=list)  # (depth, text)
    footnotes: list[str] = field(default_factory=list)  # text of each footnote definition
    list_starts: list[int] = field(default_factory=list)  # start number of each ordered list


_ANCHOR_SYMBOLS = re.compile(r"[\s#¶§🔗\ufe0f]*")
_BACKREF_TEXT = frozenset({"↩", "↩\ufe0f", "↑", "^", "⤴", "⤴\ufe0f", "↵", "back", "return"})
_HEADING_TRAILER = re.compile(r"(?:^|\s+)[#¶§]+$")


def _norm_url(url: str | None) -> str:
    """href/src as compared: entities and percent-escapes decoded, trailing slash of the path dropped."""
    url = urllib.parse.unquote(htmllib.unescape((url or "").strip()))
    if url.lower() == "#top":
        url = "#"  # HTML scrolls to the top for both when no element is named "top"
    base, hash_, fragment = url.partition("#")
    path, qmark, query = base.partition("?")
    return path.rstrip("/") + qmark + query + hash_ + fragment


def _is_fragment_link(el) -> bool:
    return _tag(el) == "a" and (el.get("href") or "").strip().startswith("#")


def _is_backref(el) -> bool:
    if not _is_fragment_link(el):
        return False
    classes = _classes(el)
    if any("backref" in c or "footnote-back" in c for c in classes):
        return True
    label = (el.get("aria-label") or "").lower()
    if label.startswith(("jump to footnote reference", "back to")):
        return True
    return _text(el).lower() in _BACKREF_TEXT


def _is_footnote_ref(el) -> bool:
    if not _is_fragment_link(el):
        return False
    parent = el.getparent()
    if parent is not None and _tag(parent) == "sup":
        return True
    return any("footnote" in c for c in _classes(el))


def _is_anchor_link(el) -> bool:
    """A heading's self-link: `<a href="#id">#</a>`, `¶`, `🔗`, or a class naming an anchor."""
    if not _is_fragment_link(el):
        return False
    if any("anchor" in c for c in _classes(el)):
        return True
    return not _ANCHOR_SYMBOLS.sub("", "".join(el.itertext()))


def _is_footnote_list(el) -> bool:
    if _tag(el) not in _LIST_TAGS:
        return False
    classes = _classes(el)
    if "wp-block-footnotes" in classes or "footnotes" in classes:
        return True
    parent = el.getparent()
    return parent is not None and "footnotes" in _classes(parent)


def _empty_header_row(row) -> bool:
    return (
        row is not None
        and _tag(row.getparent()) == "thead"
        and not any(_text(c) or _has_image(c) for c in row if _tag(c) in ("td", "th"))
    )


def _is_footnote_definition(el) -> bool:
    return "footnote-definition" in _classes(el)


def _in_footnote_label(el) -> bool:
    return "footnote-definition-label" in _classes(el) or _is_backref(el)


def _code_text(pre: etree._Element) -> str:
    raw = "".join(piece[0] for piece in _pieces(pre) if piece is not _BREAK)
    lines = [line.rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _has_image(el) -> bool:
    return any(_tag(d) == "img" for d in el.iter())


def _structure(root: etree._Element) -> Structure:
    s = Structure()
    # (element, list depth, ordered, blockquote depth, in heading)
    stack: list[tuple[etree._Element, int, bool, int, bool]] = [(root, 0, False, 0, False)]
    while stack:
        el, depth, ordered, bq, in_heading = stack.pop()
        if el is not root and _invisible(el):
            continue
        tag = _tag(el)
        children: Iterable[etree._Element] = el
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = _HEADING_TRAILER.sub("", _text(el, skip=_is_anchor_link))
            if text:  # an empty heading shows nothing
                s.headings.append((int(tag[1]), text))
            in_heading = True
        elif tag in _LIST_TAGS:
            if _is_footnote_list(el):
                items = [c for c in el if _tag(c) == "li"]
                s.footnotes.extend(_text(li, skip=_in_footnote_label) for li in items)
                # The footnote list is not a list a reader numbers by hand: walk into its items only.
                children = [grandchild for c in el for grandchild in (c if _tag(c) == "li" else [c])]
            else:
                if tag == "ol":
                    try:
                        start = int((el.get("start") or "1").strip())
                    except ValueError:
                        start = 1
                    s.list_starts.append(start)
                depth, ordered = depth + 1, tag == "ol"
        elif tag == "li" and "blocks-gallery-item" in _classes(el):
            pass  # an image of a gallery laid out as a list: the image counts, not a list item
        elif tag == "li":
            text = _text(el, skip=lambda d: _tag(d) in _LIST_TAGS)
            if text or _has_image(el):  # a bullet with nothing of its own (only a nested list) shows no item
                s.list_items.append((depth, ordered, text))
        elif _is_footnote_definition(el):
            s.footnotes.append(_text(el, skip=_in_footnote_label))
        elif tag == "blockquote":
            bq += 1
            s.blockquotes.append((bq, _text(el, skip=lambda d: _tag(d) == "blockquote")))
        elif tag == "pre":
            s.code_blocks.append(_code_text(el))
            children = []  # a <pre> inside a <pre> is the same block of code
        elif tag in ("td", "th"):
            if not _empty_header_row(el.getparent()):  # shows nothing: Markdown's stand-in for no header
                s.table_cells.append(_text(el))
        elif tag == "a" and el.get("href") is not None:
            text = _text(el)
            if not (
                _is_backref(el)
                or _is_footnote_ref(el)
                or (in_heading and _is_anchor_link(el))
                or (not text and not _has_image(el))  # an empty link shows nothing
            ):
                s.links.append((_norm_url(el.get("href")), text))
        elif tag == "img":
            src = (el.get("src") or el.get("data-src") or el.get("data-lazy-src") or "").strip()
            if src:  # an <img> without a source shows nothing
                s.images.append((_norm_url(src), _ws(el.get("alt") or "")))
        background = _BACKGROUND_URL.search(el.get("style") or "")
        if background and not background.group(1).startswith("data:") and not _has_image(el):
            s.images.append((_norm_url(background.group(1).strip()), ""))  # a cover block shows its background
        for child in reversed(list(children)):
            if isinstance(child.tag, str):
                stack.append((child, depth, ordered, bq, in_heading))
    return s


_BACKGROUND_URL = re.compile(r"""background(?:-image)?\s*:[^;]*?url\(\s*['"]?([^'")]+)""", re.I)


def structure(html: str) -> Structure:
    """Headings, list items (depth, ordered), links, images, code blocks, table cells, blockquotes,
    footnotes and ordered-list starts of `html`, in document order.

    Hrefs and srcs are normalised (entities and %-escapes decoded, trailing slash dropped); heading
    text leaves out self-anchor links and a trailing '#'; list-item text leaves out nested lists and
    blockquote text nested blockquotes; code keeps its lines (trailing spaces and surrounding blank
    lines dropped). Footnote references, back-links and empty links are not links; a footnote list
    (WordPress `wp-block-footnotes`, `div.footnotes`, pulldown-cmark's definitions) is footnotes,
    not list items.
    """
    return _structure(_parse(html))


# --------------------------------------------------------------------------------------------------
# Comparing structures


def _q(text: str, limit: int = 50) -> str:
    text = text.replace("\n", "⏎")
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"


def _q_change(a: str, b: str, limit: int = 50) -> str:
    """The new text; for long texts an excerpt at the first difference, with the old one beside it."""
    if len(a) <= limit and len(b) <= limit:
        return _q(b)
    start = max(0, len(commonprefix([a, b])) - 15)  # noqa: RUF071 - a character prefix, not a path

    def excerpt(text: str) -> str:
        part = text[start : start + limit - 2]
        return (
            "'"
            + ("…" if start else "")
            + part.replace("\n", "⏎")
            + ("…" if start + len(part) < len(text) else "")
            + "'"
        )

    return f"{excerpt(b)}, not {excerpt(a)}"


def _first_line(code: str) -> str:
    return code.split("\n", 1)[0]


def _code_change(a: str, b: str) -> str:
    la, lb = a.split("\n"), b.split("\n")
    for n, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            return f"different at line {n}: {_q(y)}, not {_q(x)}"
    return f"{len(lb)} line{'s' if len(lb) != 1 else ''} long, not {len(la)}"


_T = TypeVar("_T")


@dataclass(frozen=True)
class _Kind(Generic[_T]):
    """How to compare and describe one field of `Structure`, whose items are of type _T."""

    field: str
    describe: Callable[[_T], str]
    change: Callable[[_T, _T], str]
    keys: tuple[Callable[[_T], object], ...] = ()
    plural: str = ""
    short: Callable[[_T], str] = str
    positional: bool = True  # pair leftovers of a changed run in order when the counts agree


def _parts(*pairs: tuple[bool, str]) -> str:
    return ", ".join(text for differs, text in pairs if differs)


# Any: each kind's items are read off `Structure` by field name (getattr).
_KINDS: tuple[_Kind[Any], ...] = (
    _Kind[tuple[int, str]](
        "headings",
        lambda h: f"heading {h[0]} {_q(h[1])}",
        lambda a, b: _parts((a[0] != b[0], f"heading {b[0]}"), (a[1] != b[1], _q_change(a[1], b[1]))),
        keys=(lambda h: h[1],),
        plural="headings",
        short=lambda h: _q(h[1]),
    ),
    _Kind[tuple[int, bool, str]](
        "list_items",
        lambda i: f"list item depth {i[0]} {_q(i[2])}",
        lambda a, b: _parts(
            (a[0] != b[0], f"depth {b[0]}"),
            (a[1] != b[1], "ordered" if b[1] else "unordered"),
            (a[2] != b[2], _q_change(a[2], b[2])),
        ),
        keys=(lambda i: i[2],),
        plural="list items",
        short=lambda i: _q(i[2]),
    ),
    _Kind[int](
        "list_starts",
        lambda n: f"ordered list starting at {n}",
        lambda a, b: f"starting at {b}",
        plural="ordered lists",
    ),
    _Kind[tuple[str, str]](
        "links",
        lambda link: f"link {_q(link[1])} ({link[0]})",
        lambda a, b: _parts((a[0] != b[0], f"to {b[0]}"), (a[1] != b[1], f"text {_q_change(a[1], b[1])}")),
        keys=(lambda link: link[1], lambda link: link[0]),
        plural="links",
        short=lambda link: _q(link[1]),
    ),
    _Kind[tuple[str, str]](
        "images",
        lambda img: f"image {img[0]} alt {_q(img[1])}",
        lambda a, b: _parts((a[0] != b[0], f"src {b[0]}"), (a[1] != b[1], f"alt {_q_change(a[1], b[1])}")),
        keys=(lambda img: img[0], lambda img: img[1]),
        plural="images",
        short=lambda img: img[0],
    ),
    _Kind[str](
        "code_blocks",
        lambda c: f"code block {_q(_first_line(c))}",
        _code_change,
        plural="code blocks",
        short=lambda c: _q(_first_line(c)),
    ),
    _Kind[str](
        "table_cells", lambda c: f"table cell {_q(c)}", lambda a, b: _q_change(a, b), plural="table cells", short=_q
    ),
    _Kind[tuple[int, str]](
        "blockquotes",
        lambda q: f"blockquote depth {q[0]} {_q(q[1])}",
        lambda a, b: _parts((a[0] != b[0], f"depth {b[0]}"), (a[1] != b[1], _q_change(a[1], b[1]))),
        keys=(lambda q: q[1],),
        plural="blockquotes",
        short=lambda q: _q(q[1]),
    ),
    _Kind[str]("footnotes", lambda f: f"footnote {_q(f)}", lambda a, b: _q_change(a, b), plural="footnotes", short=_q),
)

_MAX_DIFFERENCES = 100


def _diff_kind(kind: _Kind[_T], a: list[_T], b: list[_T]) -> list[str]:
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        left, right = list(a[i1:i2]), list(b[j1:j2])
        pairs: list[tuple[_T, _T]] = []
        for key in kind.keys:
            if not left or not right:
                break
            matcher = difflib.SequenceMatcher(None, [key(x) for x in left], [key(y) for y in right], autojunk=False)
            used_l: set[int] = set()
            used_r: set[int] = set()
            for block in matcher.get_matching_blocks():
                for k in range(block.size):
                    pairs.append((left[block.a + k], right[block.b + k]))
                    used_l.add(block.a + k)
                    used_r.add(block.b + k)
            left = [x for n, x in enumerate(left) if n not in used_l]
            right = [y for n, y in enumerate(right) if n not in used_r]
        if kind.positional and left and len(left) == len(right):
            pairs.extend(zip(left, right))
            left, right = [], []
        out.extend(f"{kind.describe(x)} is {kind.change(x, y)}" for x, y in pairs)
        out.extend(_run(kind, left, "missing"))
        out.extend(_run(kind, right, "added"))
    return out


_RUN = 5  # longer runs of missing/added elements are one message


def _run(kind: _Kind[_T], items: list[_T], what: str) -> list[str]:
    if len(items) <= _RUN:
        return [f"{kind.describe(x)} {what}" for x in items]
    shown = ", ".join(kind.short(x) for x in items[:3])
    return [f"{len(items)} {kind.plural} {what}: {shown}, … {kind.short(items[-1])}"]


def structure_differences(wordpress: Structure, zola: Structure) -> list[str]:
    """Human-readable differences, WordPress first: "heading 2 'Intro' missing",
    "list item depth 2 'b' is depth 1", "link 'docs' (/a) is to /b", "table cell 'x' added"."""
    out: list[str] = []
    for kind in _KINDS:
        out.extend(_diff_kind(kind, getattr(wordpress, kind.field), getattr(zola, kind.field)))
    if len(out) > _MAX_DIFFERENCES:
        out = out[: _MAX_DIFFERENCES - 1] + [f"… and {len(out) - _MAX_DIFFERENCES + 1} more differences"]
    return out


# --------------------------------------------------------------------------------------------------
# Raw HTML and leftovers in the Markdown source

_REPORTED_TAGS = frozenset(
    {"p", "ul", "ol", "li", "img", "a", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i",
     "blockquote", "br", "span"}
)  # fmt: skip
_VOID_TAGS = frozenset(
    {"img", "br", "hr", "input", "meta", "link", "source", "track", "wbr", "area", "base", "col", "embed", "param"}
)
_CONTAINERS = frozenset({"figure", "iframe", "video", "audio", "table", "pre", "details"})
_CODE_TAGS = frozenset({"pre", "code", "kbd", "samp"})
_RAW_TEXT_TAGS = frozenset({"script", "style", "textarea", "title", "xmp"})
_HTML_TOKEN = re.compile(
    r"""(?P<comment><!--.*?(?:-->|\Z))
       |(?P<tag><(?P<end>/)?(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>(?:[^>"']|"[^"]*"|'[^']*')*?)(?P<self>/)?>)
       |(?P<other><![^>]*>|<\?.*?(?:\?>|\Z))""",
    re.S | re.X,
)
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:", re.I)
_DOCUMENT_TAGS = frozenset({"html", "head", "body"})
_MORE_MARKER = "<!-- more -->"
NEVER_DELIBERATE: Final = frozenset(
    {"script", "style", "object", "embed", "applet", "form", "input", "/body", "/html", "/head", "html", "head",
     "body", "!doctype", "meta", "link", "base"}
)  # fmt: skip
"""Raw tags the converter never means to write: live code, plugins, forms and document shells."""


class _SourceScanner:
    """Walks pyromark's event stream of the Markdown source and finds, outside code:
    raw HTML tags outside deliberate HTML containers, block comments and shortcodes."""

    def __init__(self, shortcode_names: Collection[str] = ()):
        names = sorted({n for n in shortcode_names if n}, key=len, reverse=True)
        self.shortcode = (
            re.compile(r"\[\[?/?(?:" + "|".join(map(re.escape, names)) + r")(?=[\s\]/])(?:[^\]\n]{0,200}\]\]?)?")
            if names
            else None
        )
        self.raw: list[str] = []
        self.leftovers: list[str] = []
        self.containers: Counter[str] = Counter()
        self.code = 0  # raw <pre>/<code> depth
        self.raw_text: str | None = None  # inside <script>/<style>…: the closing tag awaited
        self.open_reported: Counter[str] = Counter()
        self.tags: Counter[str] = Counter()  # every raw HTML start tag by name (and document end tags)
        self.more = 0  # HTML blocks that are exactly Zola's summary marker

    # text that a reader would see: look for shortcodes
    def _text(self, text: str) -> None:
        if self.shortcode is None or self.code or not text:
            return
        for m in self.shortcode.finditer(text):
            self.leftovers.append(_truncate(m.group(0)))

    def html(self, chunk: str) -> None:
        pos = 0
        while pos < len(chunk):
            if self.raw_text is not None:
                m = re.compile(rf"</{self.raw_text}\s*>", re.I).search(chunk, pos)
                if not m:
                    return
                self.raw_text = None
                pos = m.end()
                continue
            m = _HTML_TOKEN.search(chunk, pos)
            if not m:
                self._text(chunk[pos:])
                return
            self._text(chunk[pos : m.start()])
            pos = max(m.end(), pos + 1)
            if m.group("comment") is not None:
                if _BLOCK_COMMENT.match(m.group("comment")):
                    self.leftovers.append(_truncate(m.group("comment")))
                continue
            if m.group("tag") is None:
                if m.group("other").lower().startswith("<!doctype"):
                    self.tags["!doctype"] += 1
                continue
            self._tag(m.group("name").lower(), bool(m.group("end")), bool(m.group("self")))

    def _tag(self, name: str, end: bool, self_closing: bool) -> None:
        if not end:
            self.tags[name] += 1
        elif name in _DOCUMENT_TAGS:
            self.tags["/" + name] += 1  # a document's end: libxml2 and some browsers drop what follows
        void = name in _VOID_TAGS or self_closing
        if not end and name in _RAW_TEXT_TAGS and not self_closing:
            self.raw_text = name
            return
        outside = not sum(self.containers.values())
        if name in _REPORTED_TAGS and outside:
            if not end:
                self.raw.append(name)
                if not void:
                    self.open_reported[name] += 1
            elif self.open_reported[name]:
                self.open_reported[name] -= 1
            else:
                self.raw.append(name)  # a stray closing tag is raw HTML too
        if name in _CONTAINERS and not void:
            if not end:
                self.containers[name] += 1
            elif self.containers[name]:
                self.containers[name] -= 1
        if name in _CODE_TAGS and not void:
            self.code = self.code + 1 if not end else max(0, self.code - 1)

    def scan(self, markdown: str) -> _SourceScanner:
        in_code_block = 0
        in_image = 0
        block: list[str] | None = None
        for event in pyromark.events(_clean(markdown), options=ZOLA_OPTIONS):
            if isinstance(event, dict):
                ((kind, value),) = event.items()
            else:  # unit events such as "SoftBreak", "Rule"
                continue
            if kind == "Start":
                name = _tag_name(value)
                if name == "CodeBlock":
                    in_code_block += 1
                elif name == "HtmlBlock":
                    block = []
                elif name == "Image":
                    in_image += 1
            elif kind == "End":
                name = _tag_name(value)
                if name == "CodeBlock":
                    in_code_block = max(0, in_code_block - 1)
                elif name == "HtmlBlock":
                    text = "".join(block or ())
                    # Zola 0.17 replaces the whole HTML block holding the marker: only a block of its own is safe
                    self.more += text.strip() == _MORE_MARKER
                    self.html(text)
                    block = None
                elif name == "Image":
                    in_image = max(0, in_image - 1)
            elif not isinstance(value, str):  # Html, InlineHtml and Text carry a str
                continue
            elif kind == "Html":
                if block is not None:
                    block.append(value)
                else:
                    self.html(value)
            elif kind == "InlineHtml":
                self.html(value)
            elif kind == "Text" and not in_code_block and not in_image and self.raw_text is None:
                self._text(value)
                if _BLOCK_COMMENT.search(value) and not self.code:  # an escaped comment shows as text
                    for m in re.finditer(r"<!--\s*/?wp:[^\n]*?(?:-->|$)", value, re.I):
                        self.leftovers.append(_truncate(m.group(0)))
        return self


def _tag_name(tag: object) -> str:
    """The name of a Start/End event's tag: a bare str ("Paragraph"), or the one key of a tag that
    carries data ({"Heading": {...}})."""
    if isinstance(tag, str):
        return tag
    if isinstance(tag, dict):
        return str(next(iter(tag)))
    return ""  # pyromark yields no other shape


def _truncate(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def raw_html_tags(markdown: str) -> list[str]:
    """Tag names (p ul ol li img a h1–h6 strong em b i blockquote br span) of raw HTML in the Markdown
    source, in order: opening tags, plus closing tags that close nothing reported. Code spans and code
    blocks are not looked at (pulldown-cmark's events tell them apart), nor anything inside the
    deliberate HTML containers <figure> <iframe> <video> <audio> <table> <pre> <details>."""
    return _SourceScanner().scan(markdown).raw


def leftovers(markdown: str, shortcode_names: Collection[str] = ()) -> list[str]:
    """WordPress block comments (`<!-- wp:…` / `<!-- /wp:…`) and `[name …]` / `[/name]` shortcodes of
    the given names left in the Markdown, outside code spans, code blocks and raw <pre>/<code>."""
    return _SourceScanner(shortcode_names).scan(markdown).leftovers


# --------------------------------------------------------------------------------------------------
# Needless backslashes

_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")  # what CommonMark lets a backslash escape


def _top_blocks(markdown: str) -> tuple[bytes, list[tuple[int, int]], list[tuple[int, int]]]:
    """The UTF-8 source, the byte ranges of its top-level blocks, and those of its definitions
    (footnotes and link references), which a block's rendering may depend on."""
    data = markdown.encode("utf-8")
    blocks: list[tuple[int, int]] = []
    definitions = [
        (d["span"]["start"], d["span"]["end"])
        for d in pyromark.reference_definitions(markdown, options=ZOLA_OPTIONS).values()
        if isinstance(d, dict) and isinstance(d.get("span"), dict)
    ]
    depth, start, footnote = 0, 0, False
    for event, span in pyromark.events_with_range(markdown, options=ZOLA_OPTIONS):
        kind, value = next(iter(event.items())) if isinstance(event, dict) else ("", None)
        if kind == "Start":
            if depth == 0:
                start = span["start"]
                footnote = _tag_name(value) == "FootnoteDefinition"
            depth += 1
        elif kind == "End":
            depth -= 1
            if depth == 0:
                blocks.append((start, span["end"]))
                if footnote:
                    definitions.append((start, span["end"]))
        elif depth == 0:
            blocks.append((span["start"], span["end"]))  # a rule
    return data, blocks, definitions


def _blocks_holding(markdown: str, holds: Callable[[str], bool]) -> Iterator[tuple[str, str, str]]:
    """(block, the document's definitions to render after it, its HTML) for each top-level block that
    `holds` something to try: a change tried in one block renders with just that block and the
    definitions (footnotes, links) it may use, not the whole document each time."""
    if not holds(markdown):
        return
    data, blocks, definitions = _top_blocks(markdown)
    for start, end in blocks:
        chunk = data[start:end].decode("utf-8", "replace")
        if not holds(chunk):
            continue
        context = b"\n\n".join(data[a:b] for a, b in definitions if (a, b) != (start, end)).decode("utf-8", "replace")
        suffix = "\n\n" + context if context else ""
        yield chunk, suffix, pyromark.html(chunk + suffix, options=ZOLA_OPTIONS)


def needless_backslashes(markdown: str) -> list[str]:
    """The backslashes of `markdown` that could go without changing what pulldown-cmark renders,
    each as a few characters around it ("a\\. b").

    Each backslash before ASCII punctuation (the only ones that escape anything) is taken out in turn,
    left to right, and kept out when the HTML stays the same, so of `\\*a\\*` one counts: once the
    first is gone the second is needed. For speed, each test renders only the top-level block that
    holds the backslash, with the document's footnote and link definitions after it: taking out a
    backslash cannot reach beyond its block without changing that block too (an opened fence or
    HTML block changes it first), except through a definition, which is there.
    """
    found: list[str] = []
    for chunk, suffix, shown in _blocks_holding(_clean(markdown), lambda text: "\\" in text):
        i = 0
        while (i := chunk.find("\\", i)) >= 0:
            if i + 1 < len(chunk) and chunk[i + 1] in _ESCAPABLE:
                trial = chunk[:i] + chunk[i + 1 :]
                if pyromark.html(trial + suffix, options=ZOLA_OPTIONS) == shown:
                    found.append(_truncate(chunk[max(0, i - 10) : i + 10], 24))
                    chunk = trial
                    continue  # the character that followed is at i now, and is not a backslash to test
            i += 1
    return found


_EMPHASIS_TAG = re.compile(r"<(strong|em|b|i|del|s)>([^<>\n]*)</\1>")
_EMPHASIS_MARK = {"strong": "**", "b": "**", "em": "*", "i": "*", "del": "~~", "s": "~~"}


def needed_emphasis(markdown: str) -> Counter[str]:
    """Raw `<strong>`/`<em>`/… runs that Markdown could not say (by tag name): where `**run**` would not
    render as emphasis (CommonMark's flanking rules, next to CJK punctuation, say), raw HTML is the only
    way to keep it, and that is deliberate. A run whose Markdown form renders the same is not."""
    found: Counter[str] = Counter()
    for chunk, suffix, shown in _blocks_holding(_clean(markdown), lambda text: bool(_EMPHASIS_TAG.search(text))):
        for m in _EMPHASIS_TAG.finditer(chunk):
            name, mark = m.group(1), _EMPHASIS_MARK[m.group(1)]
            trial = chunk[: m.start()] + mark + m.group(2) + mark + chunk[m.end() :]
            said = pyromark.html(trial + suffix, options=ZOLA_OPTIONS)
            if said.replace(f"<{_SHOWN[name]}>", f"<{name}>").replace(f"</{_SHOWN[name]}>", f"</{name}>") != shown:
                found[name] += 1
    return found


_SHOWN = {"strong": "strong", "b": "strong", "em": "em", "i": "em", "del": "del", "s": "del"}


# --------------------------------------------------------------------------------------------------
# One item


FLAG_BELOW: Final = 0.9
"""An item keeping less than this share of its stored words is flagged, whatever the render says.

Per item the independent side is approximate: it cannot know what a site's unknown shortcodes or
CSS showed, so a few words of a post may differ for reasons that are not losses (the site bars, at
99.5%, catch small losses summed over many posts). A lost paragraph, a dropped block or a list cut
short takes far more than a tenth of a typical post, and a tenth is still a loss no reader misses."""


@dataclass
class ItemFidelity:
    words_wordpress: int
    words_kept: int  # multiset intersection of the two word lists
    structure_equal: bool
    differences: list[str] = field(default_factory=list)  # structure differences, human-readable
    raw_html: list[str] = field(default_factory=list)  # tags of raw HTML left in the Markdown
    leftovers: list[str] = field(default_factory=list)  # shortcodes / block comments left
    # -- the independent measure: the stored content (`stored.py`) against what Zola shows ----------
    measured_stored: bool = False  # whether the fields below were measured
    stored_words: int = 0  # visible words of the stored content
    stored_kept: int = 0  # of them, in what Zola shows (multiset intersection)
    shown_words: int = 0  # visible words of what Zola shows
    stored_added: int = 0  # shown words the stored content does not have (markup shown as text, notes)
    stored_lost: list[str] = field(default_factory=list)  # the stored words not shown, most frequent first
    bold_stored: int = 0  # <b>/<strong> runs with words
    bold_kept: int = 0  # of them, runs whose words are all bold in what Zola shows
    italic_stored: int = 0
    italic_kept: int = 0
    more_stored: bool = False  # the stored content has a <!--more-->
    more_kept: bool = False  # the Markdown has Zola's marker, alone in its HTML block
    external_links: int = 0  # links of the stored content to other sites (href as a multiset)
    external_kept: int = 0  # of them, with the same href in what Zola shows
    external_lost: list[str] = field(default_factory=list)  # the hrefs not shown
    internal_links: int = 0  # links to the site itself, relative ones and anchors (the converter rewrites them)
    internal_shown: int = 0
    images_stored: int = 0
    images_shown: int = 0
    needless_backslashes: list[str] = field(default_factory=list)  # an excerpt around each
    raw_tags: Counter[str] = field(default_factory=Counter)  # every raw HTML tag of the Markdown, by name
    errors: list[str] = field(default_factory=list)  # an empty page, a conversion that failed

    @property
    def words_ratio(self) -> float:
        return self.words_kept / self.words_wordpress if self.words_wordpress else 1.0

    @property
    def stored_ratio(self) -> float:
        return self.stored_kept / self.stored_words if self.stored_words else 1.0

    @property
    def flagged(self) -> bool:
        """Far fewer words shown than stored (`FLAG_BELOW`), or an error."""
        return bool(self.errors) or (self.measured_stored and self.stored_ratio < FLAG_BELOW)

    @property
    def never_deliberate(self) -> list[str]:
        return sorted(t for t in self.raw_tags if t in NEVER_DELIBERATE)

    @property
    def perfect(self) -> bool:
        return (
            self.words_kept >= self.words_wordpress
            and self.structure_equal
            and not self.raw_html
            and not self.leftovers
            and not self.errors
            and self.stored_kept >= self.stored_words
            and self.bold_kept >= self.bold_stored
            and self.italic_kept >= self.italic_stored
            and self.more_kept >= self.more_stored
            and self.external_kept >= self.external_links
            and not self.needless_backslashes
            and not self.never_deliberate
        )


def _strip_shortcodes(html: str, names: Collection[str]) -> str:
    """WordPress's view of shortcode tags: `[name …]`/`[/name]` are not shown (their output replaces
    them), `[[name]]` shows as `[name]`."""
    names = sorted({n for n in names if n}, key=len, reverse=True)
    if not names:
        return html
    alt = "|".join(map(re.escape, names))
    pattern = re.compile(
        rf"\[(\[?)(/?(?:{alt})(?=[\s\]/])(?:[^\]\"']|\"[^\"]*\"|'[^']*')*)\](\]?)",
    )

    def repl(m: re.Match) -> str:
        if m.group(1) and m.group(3):
            return "[" + m.group(2) + "]"
        return " "

    return pattern.sub(repl, html)


def _run_words(root: etree._Element, names: frozenset[str]) -> list[list[str]]:
    """The words of each outermost visible element named in `names` (a <b> inside a <strong> is one run)."""
    runs = []
    for el in root.iter(*names):
        if _invisible(el) or any(_tag(a) in names or _invisible(a) for a in el.iterancestors()):
            continue
        words = _tokens(_text(el))
        if words:
            runs.append(words)
    return runs


def _runs_kept(stored: list[list[str]], shown: list[list[str]]) -> int:
    """How many stored runs have all their words in shown runs (each shown word used once), so that
    runs merged or split by the converter still count."""
    pool = Counter(w for run in shown for w in run)
    kept = 0
    for run in stored:
        need = Counter(run)
        if not need - pool:
            pool -= need
            kept += 1
    return kept


def _host(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("www.")


def is_internal(href: str, hosts: Collection[str]) -> bool:
    """A link the converter may rewrite: relative, an anchor, a Zola `@/` link, or to one of `hosts`."""
    if href.startswith(("@/", "#", "?", "/")) and not href.startswith("//"):
        return True
    try:
        parts = urllib.parse.urlsplit(href)
    except ValueError:
        return False
    if not parts.scheme and not parts.netloc:
        return True
    return parts.scheme in ("", "http", "https") and _host(parts.hostname or "") in {_host(h) for h in hosts}


def _less(tags: list[str], deliberate: Counter[str]) -> list[str]:
    """`tags` without the deliberate ones (as many of each name as were found deliberate)."""
    left = Counter(deliberate)
    out = []
    for tag in tags:
        if left[tag] > 0:
            left[tag] -= 1
            continue
        out.append(tag)
    return out


def compare(
    wordpress_html: str,
    markdown: str,
    shortcode_names: Collection[str] = (),
    stored: Stored | None = None,
    hosts: Collection[str] = (),
) -> ItemFidelity:
    """Measure one item: WordPress's HTML against our Markdown as Zola renders it.

    `shortcode_names` are the shortcodes WordPress expanded: their tags are not words WordPress
    showed, and left in the Markdown they are leftovers. With `stored` (`stored.stored_content` of the
    item's content), the independent measure too: stored words, bold and italic runs, the summary
    marker, links (external ones by href, those to `hosts` and relative ones by count) and images,
    against what Zola shows; needless backslashes and every raw tag of the Markdown are counted.
    """
    wordpress_html = _strip_shortcodes(_clean(wordpress_html), shortcode_names)
    markdown = _clean(markdown)
    rendered = render_markdown(markdown)
    wp_root, md_root = _parse(wordpress_html), _parse(rendered)
    wp_words = [w for line in _visible_lines(wp_root) for w in line.split(" ")]
    md_words = [w for line in _visible_lines(md_root) for w in line.split(" ")]
    md_structure = _structure(md_root)
    differences = structure_differences(_structure(wp_root), md_structure)
    scanner = _SourceScanner(shortcode_names).scan(markdown)
    result = ItemFidelity(
        words_wordpress=len(wp_words),
        words_kept=_kept(wp_words, md_words),
        structure_equal=not differences,
        differences=differences,
        raw_html=_less(scanner.raw, needed_emphasis(markdown)),
        leftovers=scanner.leftovers,
        shown_words=len(md_words),
        needless_backslashes=needless_backslashes(markdown),
        raw_tags=scanner.tags,
    )
    if stored is None:
        if result.words_wordpress and not md_words:
            result.errors.append(f"renders to nothing: WordPress showed {result.words_wordpress} words")
        return result
    lost = Counter(stored.words) - Counter(md_words)
    result.measured_stored = True
    result.stored_words = len(stored.words)
    result.stored_kept = len(stored.words) - lost.total()
    result.stored_lost = [w for w, _ in lost.most_common(30)]
    result.stored_added = (Counter(md_words) - Counter(stored.words)).total()
    result.bold_stored = len(stored.bold)
    result.bold_kept = _runs_kept(stored.bold, _run_words(md_root, frozenset({"b", "strong"})))
    result.italic_stored = len(stored.italic)
    result.italic_kept = _runs_kept(stored.italic, _run_words(md_root, frozenset({"i", "em"})))
    result.more_stored = stored.more
    result.more_kept = stored.more and scanner.more > 0
    external = Counter(h for h in stored.links if not is_internal(h, hosts))
    shown_links = [href for href, _ in md_structure.links]
    result.external_links = external.total()
    external_lost = external - Counter(h for h in shown_links if not is_internal(h, hosts))
    result.external_kept = external.total() - external_lost.total()
    result.external_lost = sorted(external_lost.elements())
    result.internal_links = len(stored.links) - external.total()
    result.internal_shown = sum(is_internal(h, hosts) for h in shown_links)
    result.images_stored = len(stored.images)
    result.images_shown = len(md_structure.images)
    if (result.stored_words or result.words_wordpress) and not md_words:
        result.errors.append(
            f"renders to nothing: the stored content has {result.stored_words} words, "
            f"WordPress's render {result.words_wordpress}"
        )
    return result


# --------------------------------------------------------------------------------------------------
# A site


@dataclass
class SiteFidelity:
    items: int = 0
    words_wordpress: int = 0
    words_kept: int = 0
    structure_equal: int = 0  # items whose structure is equal
    raw_html_items: int = 0  # items with raw HTML left in the Markdown
    leftover_items: int = 0  # items with shortcodes or block comments left
    worst: list[tuple[str, ItemFidelity]] = field(default_factory=list)
    # the independent measure, and the counts (sums of the items' fields of the same names)
    stored_words: int = 0
    stored_kept: int = 0
    stored_added: int = 0
    flagged_items: int = 0
    bold_stored: int = 0
    bold_kept: int = 0
    italic_stored: int = 0
    italic_kept: int = 0
    more_stored: int = 0
    more_kept: int = 0
    external_links: int = 0
    external_kept: int = 0
    internal_links: int = 0
    internal_shown: int = 0
    images_stored: int = 0
    images_shown: int = 0
    needless_backslashes: int = 0
    raw_tags: Counter[str] = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (item, error), every one of them

    @property
    def words_ratio(self) -> float:
        return self.words_kept / self.words_wordpress if self.words_wordpress else 1.0

    @property
    def stored_ratio(self) -> float:
        return self.stored_kept / self.stored_words if self.stored_words else 1.0

    @property
    def structure_ratio(self) -> float:
        return self.structure_equal / self.items if self.items else 1.0

    def add(self, other: SiteFidelity) -> None:
        """Add another site's sums (not its worst items) to this one's."""
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.needless_backslashes += other.needless_backslashes
        self.raw_tags += other.raw_tags
        self.errors += other.errors


_SUMMED = (
    "items", "words_wordpress", "words_kept", "structure_equal", "raw_html_items", "leftover_items",
    "stored_words", "stored_kept", "stored_added", "flagged_items", "bold_stored", "bold_kept", "italic_stored", "italic_kept",
    "more_stored", "more_kept", "external_links", "external_kept", "internal_links", "internal_shown",
    "images_stored", "images_shown",
)  # fmt: skip
_ITEM_SUMS = tuple(name for name in _SUMMED if name not in ("items", "structure_equal") and not name.endswith("_items"))


def _badness(result: ItemFidelity) -> tuple:
    return (
        not result.errors,
        not result.flagged,
        min(result.words_ratio, result.stored_ratio),
        result.words_ratio,
        result.structure_equal,
        -len(result.differences),
        -(result.words_wordpress - result.words_kept) - (result.stored_words - result.stored_kept),
        -(len(result.raw_html) + len(result.leftovers) + len(result.never_deliberate)),
        -len(result.needless_backslashes),
    )


def summarize(results: Iterable[tuple[str, ItemFidelity]], worst: int = 10) -> SiteFidelity:
    """Add a site's items up; `worst` keeps the `worst` least faithful imperfect items, worst first
    (errors, then flagged items, then fewest words kept on either measure, then unequal structure,
    then most differences, then most raw HTML/leftovers). Every error is kept in `errors`."""
    site = SiteFidelity()
    imperfect: list[tuple[str, ItemFidelity]] = []
    for name, result in results:
        site.items += 1
        site.structure_equal += bool(result.structure_equal)
        site.raw_html_items += bool(result.raw_html)
        site.leftover_items += bool(result.leftovers)
        site.flagged_items += result.flagged
        for attr in _ITEM_SUMS:
            setattr(site, attr, getattr(site, attr) + int(getattr(result, attr)))
        site.needless_backslashes += len(result.needless_backslashes)
        site.raw_tags += result.raw_tags
        site.errors.extend((name, error) for error in result.errors)
        if not result.perfect:
            imperfect.append((name, result))
    imperfect.sort(key=lambda pair: _badness(pair[1]))
    site.worst = imperfect[: max(0, worst)]
    return site


def _pct(num: int, den: int) -> str:
    """A percentage that never rounds a loss up to 100.0%."""
    if not den:
        return "-"
    value = math.floor(num * 1000 / den) / 10
    return f"{value:.1f}%"


def _of(num: int, den: int) -> str:
    return f"{num}/{den}" if den else "-"


def _tags(tags: Counter[str], limit: int = 6) -> str:
    """The most frequent raw tags, and every one that is never deliberate (marked with a "!")."""
    shown = [t for t, _ in tags.most_common(limit)]
    shown += sorted(t for t in tags if t in NEVER_DELIBERATE and t not in shown)
    parts = [f"{t}{'!' if t in NEVER_DELIBERATE else ''} {tags[t]}" for t in shown]
    if len(tags) > len(shown):
        parts.append(f"+{len(tags) - len(shown)} more")
    return ", ".join(parts) or "-"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], left_last: bool = False) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        if left_last and rest:
            rest[-1] = cells[-1]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def format_table(sites: dict[str, SiteFidelity]) -> str:
    """Two plain-text tables, one row per site (and a total row when there are several): the words and
    structure, then the counts. "render" is WordPress's HTML as our renderer makes it, "stored" the
    stored content read independently (`stored.py`); a run, marker or link counts as kept/stored."""
    total = SiteFidelity()
    for s in sites.values():
        total.add(s)
    named = list(sites.items()) + ([("all", total)] if len(sites) > 1 else [])
    words = [
        (
            name,
            str(s.items),
            _pct(s.words_kept, s.words_wordpress),
            _pct(s.stored_kept, s.stored_words),
            f"{s.stored_added / s.stored_words:.1%}" if s.stored_words else "-",
            str(s.flagged_items),
            str(len({item for item, _ in s.errors})),
            _pct(s.structure_equal, s.items),
            str(s.raw_html_items),
            str(s.leftover_items),
        )
        for name, s in named
    ]
    counts = [
        (
            name,
            _of(s.bold_kept, s.bold_stored),
            _of(s.italic_kept, s.italic_stored),
            _of(s.more_kept, s.more_stored),
            _of(s.external_kept, s.external_links),
            f"{s.internal_links}→{s.internal_shown}",
            f"{s.images_stored}→{s.images_shown}",
            str(s.needless_backslashes),
            _tags(s.raw_tags),
        )
        for name, s in named
    ]
    out = _table(
        ("site", "items", "words kept (render)", "words kept (stored)", "words added (stored)", "flagged", "errors",
         "structure equal",
         "raw HTML items", "leftover items"),
        words,
    )  # fmt: skip
    out.append("")
    out += _table(
        ("site", "bold kept", "italic kept", "more kept", "external links kept", "internal links", "images",
         "needless \\", "raw HTML tags in the Markdown (! never deliberate)"),
        counts,
        left_last=True,
    )  # fmt: skip
    return "\n".join(out) + "\n"


def format_errors(sites: dict[str, SiteFidelity]) -> str:
    """Every error of every site, one line each ("" when there is none)."""
    return "".join(f"ERROR {site}: {item}: {error}\n" for site, s in sites.items() for item, error in s.errors)


# --------------------------------------------------------------------------------------------------
# One item explained


def _counted(values: Iterable[str], limit: int = 15) -> str:
    counts = Counter(values)
    parts = [f"{v} ×{n}" if n > 1 else v for v, n in counts.most_common(limit)]
    if len(counts) > limit:
        parts.append(f"… ({len(counts) - limit} more)")
    return ", ".join(parts)


def diff_report(
    name: str,
    wordpress_html: str,
    markdown: str,
    result: ItemFidelity,
    shortcode_names: Collection[str] = (),
    max_lines: int = 40,
    width: int = 120,
) -> str:
    """A short explanation of one item: the numbers, the structure differences, raw HTML and
    leftovers, the words lost, and a unified diff of the visible words, one line per block."""
    wp_lines = _visible_lines(_parse(_strip_shortcodes(_clean(wordpress_html), shortcode_names)))
    md_lines = _visible_lines(_parse(render_markdown(markdown)))
    out = [
        (
            f"== {name}: words kept {result.words_kept}/{result.words_wordpress} "
            f"({_pct(result.words_kept, result.words_wordpress)}), "
            f"structure {'equal' if result.structure_equal else 'differs'}"
        )
    ]
    if result.differences:
        out.append("differences:")
        shown = result.differences[:20]
        out.extend(f"  - {d}" for d in shown)
        if len(result.differences) > len(shown):
            out.append(f"  … {len(result.differences) - len(shown)} more")
    if result.raw_html:
        out.append(f"raw HTML: {_counted(result.raw_html)}")
    out.extend(f"ERROR: {error}" for error in result.errors)
    if result.measured_stored:
        out.append(
            f"stored words kept {result.stored_kept}/{result.stored_words} "
            f"({_pct(result.stored_kept, result.stored_words)}){', FLAGGED' if result.flagged else ''}"
        )
        if result.stored_lost:
            out.append(f"stored words lost: {', '.join(result.stored_lost[:15])}")
        for what, kept, stored in (
            ("bold runs", result.bold_kept, result.bold_stored),
            ("italic runs", result.italic_kept, result.italic_stored),
        ):
            if kept < stored:
                out.append(f"{what} kept {kept}/{stored}")
        if result.more_stored and not result.more_kept:
            out.append("the <!--more--> marker is lost")
        if result.external_lost:
            out.append(f"external links lost: {_counted(result.external_lost, 5)}")
        if result.images_shown < result.images_stored:
            out.append(f"images {result.images_shown}, stored {result.images_stored}")
    if result.needless_backslashes:
        out.append(
            f"needless backslashes: {len(result.needless_backslashes)}: "
            + ", ".join(repr(b) for b in result.needless_backslashes[:3])
        )
    if result.never_deliberate:
        out.append(f"raw tags never deliberate: {', '.join(result.never_deliberate)}")
    if result.leftovers:
        out.append(f"leftovers: {_counted(result.leftovers, 5)}")
    wp_words = [w for line in wp_lines for w in line.split(" ")]
    md_words = [w for line in md_lines for w in line.split(" ")]
    lost = Counter(wp_words) - Counter(md_words)
    if lost:
        out.append(f"words lost: {_counted(lost.elements())}")
    diff = list(difflib.unified_diff(wp_lines, md_lines, "wordpress", "zola", n=1, lineterm=""))
    if diff:
        if len(diff) > max_lines:
            diff = diff[:max_lines] + [f"… ({len(diff) - max_lines} more diff lines)"]
        out.extend(d if len(d) <= width else d[: width - 1] + "…" for d in diff)
    return "\n".join(out) + "\n"
