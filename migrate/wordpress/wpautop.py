"""WordPress's paragraph filter (`wpautop`) and its companion `shortcode_unautop`, ported to Python.

Classic-editor posts are stored as text where a blank line means "new paragraph" and a single newline
means "line break". WordPress turns that text into HTML on every page view with `wpautop()`
(`wp-includes/formatting.php`, WordPress 6.x/7.x). To migrate a post we must see the same HTML its
readers saw, quirks included, so this module reproduces the PHP function step by step rather than
"doing paragraphs properly" (see docs/wordpress.md §2).

The port is behavioural: each step below is a regular expression with the same meaning as the one
WordPress runs, written for Python's `re`. Three things differ between PHP's PCRE and Python and are
handled explicitly:

* WordPress's patterns run without the `/u` flag, so `\\s` and `\\w` are ASCII-only (`\\s` is
  space, TAB, LF, VT, FF, CR). Every pattern here is compiled with `re.ASCII`; otherwise Python
  would also treat U+00A0 and other Unicode spaces as whitespace.
* PHP's `trim()` strips only `" \\t\\n\\r\\0\\x0B"`, not Unicode whitespace (`_PHP_TRIM`).
* PCRE's conditional group `(?(?=…)yes|no)` in `get_html_split_regex()` has no Python equivalent; it
  becomes an alternation guarded by the same look-ahead.

The placeholders WordPress uses internally (`<pre wp-pre-tag-N></pre>`, ` <!-- wpnl --> `,
`<WPPreserveNewline />`) are kept byte-for-byte: they travel through the other regexes as ordinary
text, so their exact spelling influences the output (and, as in WordPress, a post that literally
contains one of them is mangled the same way).

Not modelled: PCRE's backtracking limit. On pathological input PHP's `preg_replace` gives up and
returns null, and WordPress's output is lost; Python just takes longer.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Collection

__all__ = ["BLOCK_TAGS", "shortcode_unautop", "wpautop"]

# Element names wpautop treats as blocks: paragraphs never wrap them, and a blank line is forced
# before each opening tag and after each closing tag. Since WordPress 6.x `math` is no longer in the
# list (it is inline, and its newlines are protected like <script>'s). Not listed, and therefore kept
# inside paragraphs: iframe, video, audio, img, script, svg, math, textarea, select, object, ...
BLOCK_TAGS: tuple[str, ...] = (
    "table",
    "thead",
    "tfoot",
    "caption",
    "col",
    "colgroup",
    "tbody",
    "tr",
    "td",
    "th",
    "div",
    "dl",
    "dd",
    "dt",
    "ul",
    "ol",
    "li",
    "pre",
    "form",
    "map",
    "area",
    "blockquote",
    "address",
    "style",
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "fieldset",
    "legend",
    "section",
    "article",
    "aside",
    "hgroup",
    "header",
    "footer",
    "nav",
    "figure",
    "figcaption",
    "details",
    "menu",
    "summary",
)

_PHP_TRIM = " \t\n\r\0\x0b"

# Replacements as functions: Python 3.11 expands a template such as r"\1" in Python code for
# each match, a few times slower (every group used is one that always takes part in its match).
_GROUP_1 = operator.itemgetter(1)


def _blank_line_before(m: re.Match[str]) -> str:
    return "\n\n" + m[0]


def _blank_line_after(m: re.Match[str]) -> str:
    return m[0] + "\n\n"


_A = re.ASCII


def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags | _A)


# `(?:table|thead|...)`. Matching is case-sensitive, as in WordPress: `<DIV>` is not a block.
# Note that wherever it is followed by `[^>]*` a name only has to be a *prefix* of the tag, so in
# those clean-up steps `<param>`, `<picture>`, `<path>` count as `p`, `<track>` as `tr`, `<link>`
# as `li` - the same accidental matches WordPress makes.


def _trie(names: list[str]) -> str:
    """A regex that matches exactly the given names, as a trie (`t(?:able|head|…)`): the regex
    engine skips a branch at its first letter, and 46 branches tried at every `<` were a good share
    of wpautop's time. It matches the same strings, so each pattern below matches the same."""
    heads: dict[str, list[str]] = {}
    for name in names:
        heads.setdefault(name[0], []).append(name[1:])
    branches = []
    for head, tails in heads.items():
        rest = [tail for tail in tails if tail]
        inner = _trie(rest) if rest else ""
        if inner and "" in tails:
            inner = (inner if inner.startswith("(?:") and len(rest) > 1 else f"(?:{inner})") + "?"
        branches.append(re.escape(head) + inner)
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_BLOCK = _trie(list(BLOCK_TAGS))
# A whole opening or closing block tag, as used by the clean-up steps.
_BLOCK_TAG = "</?" + _BLOCK + "[^>]*>"

# --- step patterns (in the order they run) ---------------------------------------------------------

_TWO_BRS = _rx(r"<br\s*/?>\s*<br\s*/?>")
_BLOCK_OPENING = _rx("(<" + _BLOCK + r"[\s/>])")
_BLOCK_CLOSING = _rx("(</" + _BLOCK + ">)")
_HR = _rx(r"(<hr\s*?/?>)")

# One HTML "element" in the sense of wp_html_split(): a comment (up to `-->`, or to the end of the
# input if unterminated), a CDATA section (up to `]]>`, or the end), or `<` followed by anything up
# to the next `>` (or the end). A stray `<` in text therefore swallows everything up to the next `>`.
_COMMENT_BODY = r"!(?:-(?!->)[^\-]*+)*+(?:-->)?"
_CDATA_BODY = r"!\[CDATA\[[^\]]*+(?:\](?!\]>)[^\]]*+)*+(?:\]\]>)?"
_HTML_ELEMENT = _rx(
    "(<(?:"
    r"(?=!--|!\[CDATA\[)(?:(?=!-)" + _COMMENT_BODY + "|" + _CDATA_BODY + ")"
    r"|(?!!--|!\[CDATA\[)[^>]*>?"
    "))"
)
_NEWLINE_IN_TAG = " <!-- wpnl --> "

_SPACE_BEFORE_OPTION = _rx(r"\s*<option")
_SPACE_AFTER_OPTION = _rx(r"</option>\s*")

_SPACE_AFTER_OBJECT_OPEN = _rx(r"(<object[^>]*>)\s*")
_SPACE_BEFORE_OBJECT_CLOSE = _rx(r"\s*</object>")
_SPACE_AROUND_PARAM_EMBED = _rx(r"\s*(</?(?:param|embed)[^>]*>)\s*")

# HTML tags or [audio]/[video] shortcodes.
_SPACE_AFTER_MEDIA_OPEN = _rx(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*")
_SPACE_BEFORE_MEDIA_CLOSE = _rx(r"\s*([<\[]/(?:audio|video)[>\]])")
_SPACE_AROUND_SOURCE_TRACK = _rx(r"\s*(<(?:source|track)[^>]*>)\s*")

_SPACE_BEFORE_FIGCAPTION = _rx(r"\s*(<figcaption[^>]*>)")
_SPACE_AFTER_FIGCAPTION = _rx(r"</figcaption>\s*")

_MANY_NEWLINES = _rx(r"\n\n+")
_PARAGRAPH_BREAK = _rx(r"\n\s*\n")

_EMPTY_P = _rx(r"<p>\s*</p>")
_UNCLOSED_P_IN_CONTAINER = _rx(r"<p>([^<]+)</(div|address|form)>")
_P_AROUND_BLOCK_TAG = _rx(r"<p>\s*(" + _BLOCK_TAG + r")\s*</p>")
_P_AROUND_LI = _rx(r"<p>(<li.+?)</p>")  # `.` stops at a newline, as in PCRE
_P_BEFORE_BLOCKQUOTE = _rx(r"<p><blockquote([^>]*)>", re.IGNORECASE)
_P_BEFORE_BLOCK_TAG = _rx(r"<p>\s*(" + _BLOCK_TAG + ")")
_P_CLOSE_AFTER_BLOCK_TAG = _rx("(" + _BLOCK_TAG + r")\s*</p>")

# Matches `<script`, `<style`, `<svg`, `<math` as prefixes too (`<scripts>`), like WordPress.
# Each runs to the first `</name>` after it: `<(script|style|svg|math).*?</\1>` (DOTALL).
_RAW_NEWLINE_OPENER = _rx(r"<(script|style|svg|math)")
_KEEP_NEWLINE = "<WPPreserveNewline />"
# WordPress's `(?<!<br />)\s*\n` run over the reversed text: forward, a match may begin at any
# space, and the engine tries each one; backward it begins at a newline, which the engine finds by
# a fast scan. Each match is the part of one run of spaces up to its last newline (from after the
# run's first space when `<br />` comes before the run), so the direction changes no match.
_BARE_NEWLINE_REVERSED = _rx(r"\n\s*(?!>/ rb<)")

_BR_AFTER_BLOCK_TAG = _rx("(" + _BLOCK_TAG + r")\s*<br />")
_BR_BEFORE_SOME_TAGS = _rx(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)")


def _stash_pre_blocks(text: str) -> tuple[str, dict[str, str]]:
    """Swap each `<pre…>…</pre>` for a placeholder so no later step touches its inside.

    The text is cut at every literal `</pre>`; in each piece the first `<pre` starts the stashed
    block. A piece with no `<pre` is kept, but *its `</pre>` is lost* - WordPress drops a stray
    closing tag whenever the post contains `<pre` somewhere. Runs before newline normalisation, so
    a stashed block keeps its CR characters.
    """
    if "<pre" not in text:
        return text, {}
    *pieces, tail = text.split("</pre>")
    stash: dict[str, str] = {}
    rebuilt: list[str] = []
    for piece in pieces:
        start = piece.find("<pre")
        if start == -1:
            rebuilt.append(piece)
            continue
        placeholder = f"<pre wp-pre-tag-{len(stash)}></pre>"
        stash[placeholder] = piece[start:] + "</pre>"
        rebuilt.append(piece[:start] + placeholder)
    rebuilt.append(tail)
    return "".join(rebuilt), stash


def _hide_newlines_inside_tags(text: str) -> str:
    """Replace each newline inside a tag, comment or CDATA section with ` <!-- wpnl --> `.

    `re.split` with one capturing group yields text at even indexes and elements at odd ones.
    """
    parts = _HTML_ELEMENT.split(text)
    for i in range(1, len(parts), 2):
        if "\n" in parts[i]:
            parts[i] = parts[i].replace("\n", _NEWLINE_IN_TAG)
    return "".join(parts)


def _collapse_special_whitespace(text: str) -> str:
    """Glue <option>, <param>/<embed>, <source>/<track> and <figcaption> to their neighbours."""
    if "<option" in text:
        text = _SPACE_BEFORE_OPTION.sub("<option", text)
        text = _SPACE_AFTER_OPTION.sub("</option>", text)
    if "</object>" in text:
        text = _SPACE_AFTER_OBJECT_OPEN.sub(r"\1", text)
        text = _SPACE_BEFORE_OBJECT_CLOSE.sub("</object>", text)
        text = _SPACE_AROUND_PARAM_EMBED.sub(r"\1", text)
    if "<source" in text or "<track" in text:
        text = _SPACE_AFTER_MEDIA_OPEN.sub(r"\1", text)
        text = _SPACE_BEFORE_MEDIA_CLOSE.sub(r"\1", text)
        text = _SPACE_AROUND_SOURCE_TRACK.sub(r"\1", text)
    if "<figcaption" in text:
        text = _SPACE_BEFORE_FIGCAPTION.sub(r"\1", text)
        text = _SPACE_AFTER_FIGCAPTION.sub("</figcaption>", text)
    return text


def _wrap_paragraphs(text: str) -> str:
    """Cut at blank lines (a line of spaces/tabs counts as blank) and wrap each piece in <p>."""
    if "\n\n" in text:
        text = _MANY_NEWLINES.sub("\n\n", text)
    pieces = [piece for piece in _PARAGRAPH_BREAK.split(text) if piece]
    return "".join("<p>" + piece.strip("\n") + "</p>\n" for piece in pieces)


def _repair_paragraphs(text: str) -> str:
    """Undo the wrapping where it produced nonsense around block-level tags."""
    text = _EMPTY_P.sub("", text)
    # each step skipped when a string its pattern needs is not in the text (no match, same text)
    if "</div>" in text or "</address>" in text or "</form>" in text:
        text = _UNCLOSED_P_IN_CONTAINER.sub(r"<p>\1</p></\2>", text)
    text = _P_AROUND_BLOCK_TAG.sub(_GROUP_1, text)
    if "<li" in text:
        text = _P_AROUND_LI.sub(_GROUP_1, text)
    if "><b" in text or "><B" in text:  # `<p><blockquote`, any case
        text = _P_BEFORE_BLOCKQUOTE.sub(r"<blockquote\1><p>", text)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _P_BEFORE_BLOCK_TAG.sub(_GROUP_1, text)
    text = _P_CLOSE_AFTER_BLOCK_TAG.sub(_GROUP_1, text)
    return text


def _insert_line_breaks(text: str) -> str:
    """Turn every remaining newline into `<br />` + newline, except inside script/style/svg/math."""
    text = _keep_raw_newlines(text)
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    # Whitespace before the newline goes too; a newline right after `<br />` is left alone (but
    # `<br /> \n` still gets a second `<br />`: the look-behind is tested where the spaces start).
    text = _BARE_NEWLINE_REVERSED.sub("\n>/ rb<", text[::-1])[::-1]  # `<br />\n`, reversed
    return text.replace(_KEEP_NEWLINE, "\n")


def _keep_raw_newlines(text: str) -> str:
    """`<(script|style|svg|math).*?</\\1>` with each newline inside replaced by the placeholder, in
    linear time: an opener whose `</name>` never comes is skipped, and so are all later openers
    of that name without searching again (the regex would scan to the end for each of them)."""
    out: list[str] = []
    last = 0  # text before this is copied
    pos = 0
    unclosed: set[str] = set()  # names with no `</name>` after the current position
    while True:
        m = _RAW_NEWLINE_OPENER.search(text, pos)
        if m is None:
            break
        name = m.group(1)
        end = -1 if name in unclosed else text.find(f"</{name}>", m.end())
        if end < 0:
            unclosed.add(name)
            pos = m.start() + 1
            continue
        end += len(name) + 3
        out.append(text[last : m.start()])
        out.append(text[m.start() : end].replace("\n", _KEEP_NEWLINE))
        last = pos = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def wpautop(text: str, br: bool = True) -> str:
    """Return the HTML WordPress's `wpautop($text, $br)` makes of `text`.

    Blank lines become `<p>` paragraphs; with `br`, single newlines become `<br />`. Output
    normally ends with a newline (`<p>a</p>\\n`); whitespace-only input gives ``""``.
    """
    if text.strip(_PHP_TRIM) == "":
        return ""
    text += "\n"  # so the last line ends like every other one

    text, pre_blocks = _stash_pre_blocks(text)

    # A pair of <br>s is an explicit paragraph break. (Here and below a step is skipped when a
    # string its pattern needs is not in the text: no match, the same text.)
    if "<br" in text:
        text = _TWO_BRS.sub("\n\n", text)

    # Blank lines around block tags, so they become paragraph boundaries.
    if "<" in text:
        text = _BLOCK_OPENING.sub(_blank_line_before, text)
        text = _BLOCK_CLOSING.sub(_blank_line_after, text)
        if "<hr" in text:
            text = _HR.sub(_blank_line_after, text)

    # Only now are CRs normalised (the stashed <pre> blocks keep theirs).
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    if "<" in text:
        text = _hide_newlines_inside_tags(text)
    text = _collapse_special_whitespace(text)
    text = _wrap_paragraphs(text)
    text = _repair_paragraphs(text)

    if br:
        text = _insert_line_breaks(text)

    # A <br /> is pointless next to a block tag.
    if "<br />" in text:
        text = _BR_AFTER_BLOCK_TAG.sub(_GROUP_1, text)
        text = _BR_BEFORE_SOME_TAGS.sub(_GROUP_1, text)
    # `\n</p>$`: PCRE's `$` (no /m, no /D), like Python's, also matches before a final newline
    if text.endswith("\n</p>"):
        text = text[:-5] + "</p>"
    elif text.endswith("\n</p>\n"):
        text = text[:-6] + "</p>\n"

    # Put back the <pre> blocks (in order: a block's text may contain a later placeholder)...
    for placeholder, block in pre_blocks.items():
        text = text.replace(placeholder, block)
    # ...and the newlines that were inside tags (with or without the padding spaces, which a
    # whitespace-collapsing step may have eaten).
    if "<!-- wpnl -->" in text:
        text = text.replace(_NEWLINE_IN_TAG, "\n").replace("<!-- wpnl -->", "\n")
    return text


# --- shortcode_unautop -----------------------------------------------------------------------------

# wp_spaces_regexp(): what counts as blank around a lone shortcode.
_SPACES = "(?:[\\r\\n\\t ]|\u00a0|&nbsp;)"
# add_shortcode() refuses names containing these, so WordPress can never have them registered.
_INVALID_SHORTCODE_NAME = re.compile(r"[<>&/\[\]\x00-\x20=]")


@functools.lru_cache(maxsize=16)
def _lone_shortcode_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in names)
    return _rx(
        "<p>"
        + _SPACES
        + "*+"  # leading blanks
        + r"("  # 1: the shortcode, kept
        + r"\[("
        + alternatives
        + r")"  # 2: its name...
        + r"(?![\w-])"  # ...complete (`[gallery-x]` is not `[gallery]`)
        + r"[^\]/]*(?:/(?!\])[^\]/]*)*?"  # attributes: anything but `]`, and `/` only if not `/]`
        + r"(?:"
        + r"/\]"  # self-closing `[name … /]`
        + r"|\]"  # or `]`, optionally followed by content and `[/name]`
        + r"(?:[^\[]*+(?:\[(?!/\2\])[^\[]*+)*+\[/\2\])?"
        + r")"
        + r")"
        + _SPACES
        + "*+"  # trailing blanks
        + "</p>"
    )


def shortcode_unautop(html: str, registered: Collection[str]) -> str:
    """Remove the `<p>` around a paragraph that is exactly one shortcode, as WordPress does.

    Only shortcodes named in `registered` count (WordPress uses its registered tags). Blanks,
    `&nbsp;` and U+00A0 around the shortcode are dropped with the `<p>` and `</p>`. An enclosing
    shortcode's content runs to its `[/name]` and may span several paragraphs, which are then
    unwrapped at the outer ends only (WordPress's behaviour).

    WordPress joins names in registration order; pass a list or dict for that order. A set is
    sorted first so the result never depends on hashing (the order only matters for exotic names
    where one is a prefix of another followed by a non-word character, like `a` and `a.b`).
    """
    return lone_shortcode_unwrapper(registered)(html)


def lone_shortcode_unwrapper(registered: Collection[str]) -> Callable[[str], str]:
    """`shortcode_unautop` for one set of names, its pattern built once (a renderer keeps it)."""
    if isinstance(registered, (set, frozenset)):
        ordered = sorted(registered)
    else:
        ordered = list(registered)
    names = tuple(name for name in dict.fromkeys(ordered) if name and not _INVALID_SHORTCODE_NAME.search(name))
    if not names:
        return _unchanged
    pattern = _lone_shortcode_pattern(names)

    def unwrap(html: str) -> str:
        return pattern.sub(_GROUP_1, html) if "[" in html else html  # no `[`, no shortcode to unwrap

    return unwrap


def _unchanged(html: str) -> str:
    return html
