"""What a post's stored content shows, read without the converter's code.

The independent side of the fidelity measure: `post_content` as stored, reduced to what a reader sees
by a few plain rules, sharing nothing with wpautop, the block renderer, the shortcode handlers or the
HTML parser of the converter (`migrate/wordpress`, `migrate/markdown`). Only the shortcode *names*
come from the mappings' tables, which are data: which brackets are shortcodes at all, and whether the
text they enclose is shown.

What "visible" means here, and why:

- HTML comments are not shown: block delimiters `<!-- wp:… -->` (and their JSON attributes),
  `<!--more-->`, `<!--nextpage-->`. A reusable block `<!-- wp:block {"ref":N} /-->` shows block N's
  stored content, which is read the same way (when the site's reusable blocks are given).
- Tags are not words. Inline tags (`<em>`, `<a>`, `<span>` …) join the text around them
  (`wo<em>r</em>d` is one word), other tags separate words. Attributes are never words: alt text,
  titles, `value`s, links' URLs.
- The content of `<script>`, `<style>`, `<template>`, `<noscript>`, `<iframe>`, `<noembed>`,
  `<noframes>`, `<canvas>`, `<title>`, `<video>` and `<audio>` (fallback for browsers without
  them) is not shown, nor is an element with `hidden` or an inline `display:none`/`visibility:hidden`.
  `<textarea>` shows its text; `<![CDATA[ x ]]>` shows `x`; `<!…>` and `<?…>` show nothing.
- Entities are decoded once, after the tags are gone.
- Shortcodes of known names lose their brackets and attributes (`[caption id="a" width="300"]` is no
  words). The text they enclose is shown for the caption handler (with an old-style `caption="…"`
  attribute), `unwrap` shortcodes and templates that use `{content}`; for any other known shortcode
  (embeds, media, `[latex]`, dropped ones) it is an address, a fallback or a formula drawn as an image,
  so not words. `[[name]]` shows `[name]`. Unknown `[names]` are text, as in WordPress without the plugin.
- Code shortcodes (`mappings/shortcodes.toml` `code_shortcodes`, CodeColorer's `[cc…]`) and the
  highlighters' `<pre lang=…>`, `<pre escaped=…>`, `<pre class="lang:…">`, `<code lang=…>` take their
  content verbatim: tags inside are code a reader sees, not markup.
- A URL alone on a line (or alone in a `<p>`) is an auto-embed in WordPress — a video, a tweet, or a
  link whose text is the URL — so not words; neither is the URL of an `[embed]` or an embed block.

Known leniencies (the measure may count fewer words than WordPress showed, never more): dynamic blocks
and shortcodes (latest posts, galleries' captions, footnotes kept in post meta) show text that is not
in `post_content`, and unknown shortcodes may have shown something else than their text.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from migrate.fidelity.compare import _INLINE_TAGS as INLINE_TAGS
from migrate.fidelity.compare import _clean as clean_text
from migrate.fidelity.compare import _norm_url as norm_url
from migrate.fidelity.compare import _tokens as tokens

# --------------------------------------------------------------------------------------------------
# Shortcode names, from the mappings' tables


@dataclass(frozen=True)
class ShortcodeRules:
    """Which `[names]` are shortcodes, and what of each a reader sees."""

    keep: frozenset[str] = frozenset()  # the enclosed text is shown
    caption: frozenset[str] = frozenset()  # shown, and so is a `caption="…"` attribute
    other: frozenset[str] = frozenset()  # brackets, attributes and enclosed content are not words
    code: frozenset[str] = frozenset()  # the enclosed content is code, shown verbatim
    codecolorer: bool = False

    @classmethod
    def from_tables(cls, tables: Mapping[str, object]) -> ShortcodeRules:
        """From the `shortcodes` and `code_shortcodes` tables of the mappings."""
        shortcodes = tables.get("shortcodes")
        code = tables.get("code_shortcodes")
        shortcodes = shortcodes if isinstance(shortcodes, Mapping) else {}
        code = code if isinstance(code, Mapping) else {}
        keep, caption, other = set(), set(), set()
        for name, spec in shortcodes.items():
            spec = spec if isinstance(spec, Mapping) else {}
            if spec.get("handler") == "caption":
                caption.add(str(name))
            elif spec.get("unwrap") or "{content}" in str(spec.get("html", "")):
                keep.add(str(name))
            else:
                other.add(str(name))
        names = {str(n) for n in [*code.get("names", []), *code.get("languages", [])]}
        return cls(
            frozenset(keep), frozenset(caption), frozenset(other), frozenset(names), bool(code.get("codecolorer", True))
        )

    @property
    def names(self) -> frozenset[str]:
        return self.keep | self.caption | self.other


# --------------------------------------------------------------------------------------------------
# What the stored content shows


@dataclass
class Stored:
    """The visible text of stored content, and what a reader sees in it."""

    text: str = ""  # visible text, words separated where blocks were
    words: list[str] = field(default_factory=list)  # `compare.tokens` of the text
    bold: list[list[str]] = field(default_factory=list)  # the words of each <b>/<strong> run
    italic: list[list[str]] = field(default_factory=list)  # the words of each <i>/<em> run
    links: list[str] = field(default_factory=list)  # normalised hrefs of links that show something
    images: list[str] = field(default_factory=list)  # normalised srcs of <img>
    more: bool = False  # has a `<!--more-->` (WordPress uses the first one only)


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_MORE = re.compile(r"<!--more(.*?)?-->")
_REUSABLE = re.compile(r"<!--\s*wp:(?:core/)?block\s+(\{[^}]*\})\s*/?-->")
_PRE_CODE = re.compile(r"<(pre|code)(\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.I)
_HIGHLIGHTER_ATTR = re.compile(r"""(?:^|\s)(?:(?:lang|escaped)\s*=|class\s*=\s*["'][^"']*\blang:)""", re.I)
_LONE_URL = re.compile(r"""^[ \t]*(?:<p(?:\s[^>]*)?>[ \t]*)?https?://[^\s<>"]+[ \t]*(?:</p>[ \t]*)?$""", re.I | re.M)
_CAPTION_ATTR = re.compile(r"""\bcaption\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s\]]+))""", re.I)
_TOKEN = re.compile(
    r"""<!--(?P<comment>.*?)(?:-->|\Z)
       |<!\[CDATA\[(?P<cdata>.*?)(?:\]\]>|\Z)
       |<(?P<end>/)?(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>(?:[^>"']|"[^"]*"|'[^']*')*|[^>]*)>
       |<[!?/][^>]*(?:>|\Z)""",
    re.S | re.X,
)
_ATTR = re.compile(r"""([^\s"'=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_INVISIBLE = frozenset(
    {"script", "style", "template", "noscript", "iframe", "noembed", "noframes", "canvas", "title", "video", "audio"}
)
_VERBATIM = frozenset({"textarea", "xmp"})  # their content is text, tags and all
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_HIDING_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BOLD, _ITALIC = frozenset({"b", "strong"}), frozenset({"i", "em"})


def _attrs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        name = m.group(1).lower()
        if name not in out:
            value = next((g for g in m.group(2, 3, 4) if g is not None), "")
            out[name] = htmllib.unescape(value)
    return out


class _Reader:
    def __init__(self, rules: ShortcodeRules, reusable: Mapping[int, str]):
        self.rules = rules
        self.reusable = reusable
        self.code: list[str] = []  # verbatim text of code regions, behind placeholders
        names = sorted(rules.names, key=len, reverse=True)
        self.shortcode = (
            re.compile(r"\[(\[?)(" + "|".join(map(re.escape, names)) + r")(?![\w-])([^\]]*)\]") if names else None
        )
        code_names = sorted(rules.code, key=len, reverse=True)
        alternatives = [re.escape(n) for n in code_names] + ([r"(?i:cc\w*)"] if rules.codecolorer else [])
        self.code_shortcode = (
            re.compile(r"\[(" + "|".join(alternatives) + r")(?![\w-])[^\]]*\](.*?)\[/\1\]", re.S)
            if alternatives
            else None
        )

    # -- the text passes, in WordPress's order ---------------------------------------------------
    def content(self, content: str, depth: int = 0) -> str:
        """Stored content with reusable blocks inlined, code hidden behind placeholders, shortcodes
        replaced by what they show, and lone URLs removed: still HTML."""
        content = _CONTROL.sub("", clean_text(content)).replace("\r\n", "\n").replace("\r", "\n")
        if depth < 5 and self.reusable:
            content = _REUSABLE.sub(lambda m: self._reusable(m, depth), content)
        if self.code_shortcode is not None:
            content = self.code_shortcode.sub(lambda m: self._code(m.group(2)), content)
        content = self._highlighted(content)
        if self.shortcode is not None:
            content = self._shortcodes(content)
        return _LONE_URL.sub("", content)

    def _reusable(self, m: re.Match, depth: int) -> str:
        try:
            ref = json.loads(m.group(1)).get("ref")
        except (ValueError, AttributeError):
            return " "
        inner = self.reusable.get(ref) if isinstance(ref, int) else None
        return f"\n{self.content(inner, depth + 1)}\n" if inner else " "

    def _code(self, text: str) -> str:
        self.code.append(htmllib.unescape(text))
        return f" \x00{len(self.code) - 1}\x00 "

    def _highlighted(self, text: str) -> str:
        """The highlighters' <pre>/<code> regions as code (a plain <pre>/<code> holds markup: the
        browser reads its tags as tags, and a highlighted one may be inside it)."""
        out: list[str] = []
        pos = 0
        for m in _PRE_CODE.finditer(text):
            if m.start() < pos or not _HIGHLIGHTER_ATTR.search(m.group(2)):
                continue
            close = re.compile(rf"</{m.group(1)}\s*>", re.I).search(text, m.end())
            end = close.start() if close else len(text)
            out += [text[pos : m.start()], self._code(text[m.end() : end])]
            pos = close.end() if close else len(text)
        out.append(text[pos:])
        return "".join(out)

    def _shortcodes(self, text: str) -> str:
        assert self.shortcode is not None
        out: list[str] = []
        pos = 0
        while (m := self.shortcode.search(text, pos)) is not None:
            out.append(text[pos : m.start()])
            name, attrs = m.group(2), m.group(3)
            end, inner = m.end(), None
            if not attrs.endswith("/"):
                # WordPress: the content runs to the first closer; without one the tag closes itself
                close = text.find(f"[/{name}]", end)
                if close >= 0:
                    inner, end = text[end:close], close + len(name) + 3
            if m.group(1) and text.startswith("]", end):
                out.append(text[m.start() + 1 : end])  # [[name]] shows as [name]
                pos = end + 1
                continue
            shown = [m.group(1)]
            if name in self.rules.caption:
                attr = _CAPTION_ATTR.search(attrs)
                if attr:
                    shown.append(next(g for g in attr.groups() if g is not None))
            if inner is not None and name in self.rules.keep | self.rules.caption:
                shown.append(self._shortcodes(inner))
            out.append(" " + " ".join(shown) + " ")
            pos = end
        out.append(text[pos:])
        return "".join(out)

    # -- the HTML pass -----------------------------------------------------------------------------
    def read(self, html: str) -> Stored:
        parts: list[str] = []
        size = 0  # length of "".join(parts)
        stored = Stored()
        bold: list[int] = []  # start offsets of open runs
        italic: list[int] = []
        bold_runs: list[tuple[int, int]] = []
        italic_runs: list[tuple[int, int]] = []
        link: tuple[str, int, int] | None = None  # (href, text offset, images before) of the open <a>
        sup = 0  # <sup> depth: an in-page link there is a footnote reference, which is no link to count
        links: list[tuple[str, int, int, bool]] = []  # (href, start, end, has an image)

        def add(text: str) -> None:
            nonlocal size
            text = _PLACEHOLDER.sub(lambda m: f" {self.code[int(m.group(1))]} ", text)
            parts.append(text)
            size += len(text)

        def close_link() -> None:
            nonlocal link
            if link is not None:
                href, start, images = link
                links.append((href, start, size, len(stored.images) > images))
                link = None

        pos, n = 0, len(html)
        while pos < n:
            m = _TOKEN.search(html, pos)
            if m is None:
                add(htmllib.unescape(html[pos:]))
                break
            if m.start() > pos:
                add(htmllib.unescape(html[pos : m.start()]))
            pos = max(m.end(), pos + 1)
            if m.group("cdata") is not None:
                add(m.group("cdata"))
                continue
            name = (m.group("name") or "").lower()
            if not name:
                continue  # a comment, doctype or processing instruction
            if m.group("end"):
                if name in _BOLD and bold:
                    bold_runs.append((bold.pop(), size))
                elif name in _ITALIC and italic:
                    italic_runs.append((italic.pop(), size))
                elif name == "a":
                    close_link()
                elif name == "sup":
                    sup = max(0, sup - 1)
                if name not in INLINE_TAGS:
                    add(" ")
                continue
            attrs = _attrs(m.group("attrs") or "")
            if name in _INVISIBLE or name in _VERBATIM:
                close = re.compile(rf"</{name}\s*>", re.I).search(html, pos)
                inner_end = close.start() if close else n
                if name in _VERBATIM:
                    add(" " + (html[pos:inner_end] if name == "xmp" else htmllib.unescape(html[pos:inner_end])) + " ")
                pos = close.end() if close else n
                continue
            if name not in _VOID and ("hidden" in attrs or _HIDING_STYLE.search(attrs.get("style", ""))):
                pos = _matching_close(html, pos, name)
                add(" ")
                continue
            if name in _BOLD:
                bold.append(size)
            elif name in _ITALIC:
                italic.append(size)
            elif name == "a":
                close_link()
                href = attrs.get("href")
                if href is not None and not (sup and href.strip().startswith("#")):
                    link = (norm_url(href), size, len(stored.images))
            elif name == "sup":
                sup += 1
            elif name == "img":
                src = (attrs.get("src") or attrs.get("data-src") or attrs.get("data-lazy-src") or "").strip()
                if src:
                    stored.images.append(norm_url(src))
            if name not in INLINE_TAGS:
                add(" ")
        close_link()
        text = "".join(parts)
        # runs left open end where the content ends
        bold_runs.extend((start, len(text)) for start in bold)
        italic_runs.extend((start, len(text)) for start in italic)
        stored.text = text
        # a link shows something when it holds words or an image (an empty <a> shows nothing)
        stored.links = [href for href, start, end, image in links if image or tokens(text[start:end])]
        stored.words = tokens(text)
        stored.bold = _runs(text, bold_runs)
        stored.italic = _runs(text, italic_runs)
        return stored


def _runs(text: str, spans: Iterable[tuple[int, int]]) -> list[list[str]]:
    """The words of each outermost run that has any: a run inside a run of its kind, or touching one
    (`<b>a</b><b>b</b>` shows one bold "ab"), is the same run."""
    merged: list[list[int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [w for w in (tokens(text[start:end]) for start, end in merged) if w]


def _matching_close(html: str, pos: int, name: str) -> int:
    """The end of the tag closing the `name` element opened before `pos` (the end of input if none)."""
    depth = 1
    pattern = re.compile(rf"<(/?){re.escape(name)}(?:\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*)?>", re.I)
    for m in pattern.finditer(html, pos):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.end()
    return len(html)


def stored_content(
    content: str, rules: ShortcodeRules = ShortcodeRules(), reusable: Mapping[int, str] | None = None
) -> Stored:
    """What a reader sees of stored `post_content` (see the module's docstring for the rules)."""
    raw = clean_text(content)
    reader = _Reader(rules, reusable or {})
    stored = reader.read(reader.content(raw))
    stored.more = _MORE.search(raw) is not None
    return stored
