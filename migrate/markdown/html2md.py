"""HTML → CommonMark, one rule per element (in the manner of turndown's rules).

Input is the HTML WordPress showed (after wpautop, blocks and shortcodes); output is Markdown that
pulldown-cmark (Zola's engine) renders back to the same structure. Block elements become a list of
Markdown blocks joined by one blank line; inline elements become text. Raw HTML is written only
where Markdown cannot say it: figures with captions, embeds, complex tables, `<sub>`/`<sup>`/`<kbd>`/
`<mark>`, definition lists.

Each rule is a method `block_<tag>` (returns Markdown blocks) or `inline_<tag>` (returns inline
Markdown); elements without a rule are unwrapped, so their text is never lost.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
import unicodedata
from copy import deepcopy
from dataclasses import dataclass, field
from urllib.parse import unquote

import lxml.html
from lxml import etree

from migrate.markdown.parse import parse_html as parse_html  # the parser is part of this module's API
from migrate.zola.slugs import zola_slug
from migrate.zola.tera import TEMPLATE_OPENER, escape_html

BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "ul",
    "iframe",
    "video",
    "audio",
    "object",
    "embed",
    "script",
    "style",
    "noscript",
    "body",
    "html",
    "menu",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "canvas",
    "svg",
    "math",
    "template",
    "textarea",
}
DROP_TAGS = {"head", "title", "meta", "link", "template", "noscript"}
FORM_TAGS = {"button", "input", "select", "label", "output", "progress", "meter"}
KEEP_INLINE_HTML = {
    "sub",
    "sup",
    "kbd",
    "mark",
    "u",
    "ins",
    "abbr",
    "small",
    "var",
    "samp",
    "bdi",
    "bdo",
    "ruby",
    "rt",
    "rp",
    "time",
    "dfn",
}
# set by the URL rewriting pass on links to migrated pages: the Zola internal link (`@/blog/x.md#a`)
# that Markdown writes; the element's href stays the plain path that raw HTML shows
ZOLA_LINK = "data-zola-link"
_WS = re.compile(r"[ \t\n\r\f]+")
_LANG_CLASS = re.compile(r"(?:^|\s)(?:language|lang)-([\w+#.-]+)")
_BRUSH = re.compile(r"brush\s*:\s*([\w+#.-]+)")
_SAFE_ATTRS = {
    "img": ("src", "alt", "title", "width", "height", "srcset", "sizes"),
    "a": ("href", "title", "id", "name", "rel", "target"),
    "iframe": ("src", "width", "height", "title", "allow", "allowfullscreen", "frameborder", "loading"),
    "video": ("src", "poster", "controls", "width", "height", "loop", "autoplay", "muted", "preload", "playsinline"),
    "audio": ("src", "controls", "loop", "autoplay", "muted", "preload"),
    "source": ("src", "type", "srcset", "media"),
    "track": ("src", "kind", "srclang", "label", "default"),
    "td": ("colspan", "rowspan", "align", "scope"),
    "th": ("colspan", "rowspan", "align", "scope"),
    "ol": ("start", "reversed", "type"),
    "abbr": ("title",),
    "time": ("datetime",),
    "object": ("data", "type", "width", "height"),
    "embed": ("src", "type", "width", "height"),
    "param": ("name", "value"),
    "script": ("src", "async", "defer", "type", "charset"),
    "figure": ("id",),
    "details": ("open",),
}


@dataclass
class Options:
    fence: str = "```"


@dataclass
class _List:
    ordered: bool
    marker_style: int  # 0 or 1: two adjacent lists alternate markers so that CommonMark keeps them apart


# --- text escaping ------------------------------------------------------------------------------

# what escape_inline may escape (">", "|" and "]" never need it), a run of `_` or `~` as one: a
# character class first, which the regex engine scans for several times faster than alternatives
_INLINE_SPECIAL = re.compile(r"[_~\\`*\[<&!{](?:(?<=_)_*|(?<=~)~*|)")
_SPECIAL_CHARS = "_~\\`*[<&!{"


def escape_inline(text: str, before: str = "a", after: str = "a", more_follows: bool = True) -> str:
    """Escape what would change meaning inside a line of Markdown text (not at line starts), and
    nothing else: a backslash whose removal would not change pulldown-cmark's HTML is noise.
    `before`/`after` are the characters around the text in the output ("a" when unknown: it may
    stand for a letter or for the punctuation of the marks around the text)."""
    for ch in _SPECIAL_CHARS:
        if ch in text:
            break
    else:
        return text  # the usual case: `in` finds that out several times faster than the pattern

    escaped: list[set[int]] = []  # the "[" that could open a link, found at the first "["

    def linkish(i: int) -> bool:
        if not escaped:
            escaped.append(_link_openers(text, more_follows))
        return i in escaped[0]

    def repl(m: re.Match) -> str:
        ch = m.group(0)
        i = m.start()
        nxt = text[i + 1 : i + 2] or after
        prev = text[i - 1 : i] if i else before
        if ch == "\\":
            return "\\\\" if nxt.isascii() and not nxt.isalnum() and not nxt.isspace() else "\\"
        if ch == "&":
            return "&amp;" if _ENTITY.match(text, i) else "&"
        if ch == "<":
            return "\\<" if _may_open_html(text, i, more_follows or after != " ") else "<"
        if ch[0] in "_~":
            mark, run, nxt = ch[0], len(ch), text[m.end() : m.end() + 1] or after
            if mark == "~" and run > 1:  # `~~` strikes through like `*`, inside words too
                return ch if prev.isspace() and nxt.isspace() else "\\~" * run
            # `_` (and a single `~`) never pair while no run of them can close one: a run that can
            # only open (`$_GET`) or neither (`G_Foo`) stays as it is
            return ("\\" + mark) * run if _may_close(prev, nxt) else ch
        if ch == "*":
            return "*" if prev.isspace() and nxt.isspace() else "\\*"
        if ch == "!":
            return "\\!" if nxt == "[" else "!"
        if ch == "{":  # Zola 0.23 renders content holding "{{" or "{%" as a template (zola.md §6)
            return "&#123;" if nxt in "{%" else "{"
        if ch == "[":  # only where a link, image or footnote could start
            return "\\[" if linkish(i) else "["
        return "\\" + ch

    return _INLINE_SPECIAL.sub(repl, text)


def _link_openers(text: str, more_follows: bool) -> set[int]:
    """Where in `text` a "[" could open a link (or a footnote, a task box), so must be escaped: CommonMark's
    bracket matching (spec, "look for link or image") in one walk. A "]" takes the nearest "[" left
    open; followed by "(" or ":" it would make a link of it, so that one is escaped, and then the next
    one open would be taken instead: every "[" still open is. Followed by anything else it closes
    nothing, and its "[" stays as it is (`[[a][b]()`: the inner pair takes the first "]", and the
    outer "[" opens the link that `]()` closes). A NUL (an element whose text is not here) or the end
    of the text while more follows may close any "[" still open."""
    out: set[int] = set()
    open_: list[int] = []
    for m in _LINK_MARK.finditer(text):
        i, ch = m.start(), m.group(0)
        if ch == "[":
            if text[i + 1 : i + 2] == "^" or (text[i + 1 : i + 2] in (" ", "x", "X") and text[i + 2 : i + 3] == "]"):
                out.add(i)
            else:
                open_.append(i)
        elif ch == "\x00" or text[i + 1 : i + 2] in ("(", ":"):
            out.update(open_)
            open_.clear()
        elif open_:
            open_.pop()
    if more_follows:
        out.update(open_)
    return out


def _punct(ch: str) -> bool:
    """Punctuation as CommonMark's flanking rules read it (ASCII punctuation, Unicode P and S);
    the marks of escaped link-text brackets are `\\[`/`\\]` in the output."""
    if ch.isascii():
        return not ch.isalnum() and not ch.isspace() and ch.isprintable()
    return ch in "\ufdd0\ufdd1" or unicodedata.category(ch)[0] in "PS"


def _may_close(prev: str, nxt: str) -> bool:
    """Whether a run of `_` between `prev` and `nxt` can close emphasis (CommonMark: right-flanking,
    and not left-flanking unless punctuation follows). An unknown side ("a") may be a letter or
    the punctuation of a mark: it can close if either would let it."""
    for p in ("a", "*") if prev == "a" else (prev,):
        for n in ("a", "*") if nxt == "a" else (nxt,):
            p_space, n_space, p_punct, n_punct = p.isspace(), n.isspace(), _punct(p), _punct(n)
            right = not p_space and (not p_punct or n_space or n_punct)
            left = not n_space and (not n_punct or p_space or p_punct)
            if right and (not left or n_punct):
                return True
    return False


# what may follow "<" for pulldown-cmark to read inline HTML or an autolink there (or an HTML block at
# a line start): a tag name then a space, "/", ">" or the end (an open tag, a closing tag, `<pre`,
# `<div` alone), a comment, declaration or CDATA, a processing instruction, a scheme and ":"
# (`<https:`), an e-mail address's local part and "@". Anything else (`< 5`, `<-`, `<i)`,
# `<scr"+"ipt`, `<要>`) is text; so is a start of those cut by the end of the line (`<`, `<!`,
# `<1`), but not where more inline Markdown follows, which could complete it.
_HTML_AFTER_LT = re.compile(
    r"""/?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|![A-Za-z\[-]|\?|[A-Za-z][A-Za-z0-9+.-]{1,31}:"""
    r"""|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"""
)
_HTML_START_AT_END = re.compile(r"""(?:/|!|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)?$""")


def _may_open_html(text: str, i: int, more_follows: bool) -> bool:
    if _HTML_AFTER_LT.match(text, i + 1):
        return True
    return more_follows and _HTML_START_AT_END.match(text, i + 1) is not None


# What `_link_openers` walks: the brackets, and the NULs that stand for elements. A "]" followed by "["
# (`[a][b]`) closes nothing: a reference link needs a definition of `b`, and text never makes one (its
# `[b]:` is escaped)
_LINK_MARK = re.compile(r"[\[\]\x00]")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_EDGES = re.compile(r"^((?:\s|\\\n)*)(.*?)((?:\s|\\\n)*)$", re.S)  # edge spaces and hard breaks
_MD_ACTIVE = re.compile(r"[`*_\[\]\\~!]")
_LINE_START = re.compile(
    r"^(\s*)(#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|=+\s*$|-+\s*$|(?:[-*_][ \t]*){3,}$|`{3,}(?!.*`)|~{3,})"
)


_BREAK_SPACES = re.compile(r"[ \t]*\\\n[ \t]*")  # spaces around hard breaks


def _strip_breaks(text: str) -> str:
    """The text without spaces and hard breaks (`\\` + newline) at its edges: what
    `re.sub(r"^(?:\\s|\\\\\\n)+|(?:\\s|\\\\\\n)+$", "", text)` gives, without trying the
    pattern at every position of the text."""
    text = text.lstrip()
    while text.startswith("\\\n"):
        text = text[2:].lstrip()
    end = text.rstrip()
    while end.endswith("\\") and len(end) < len(text) and text[len(end)] == "\n":
        end = end[:-1].rstrip()  # a backslash before a stripped newline was a hard break
    return end


def escape_line_start(line: str) -> str:
    """Escape a block marker at the start of a text line (heading, quote, list item, fence, setext)."""
    m = _LINE_START.match(line)
    if not m:
        return line
    lead, marker = m.group(1), m.group(2)
    if marker[0].isdigit():
        return f"{lead}{marker}\\{line[m.end(2)]}{line[m.end(2) + 1 :]}"
    return f"{lead}\\{line[len(lead) :]}"


def inline_code_html(text: str) -> str:
    """`<code>` for code holding `{{`/`{%` (zola.md §6). Inline HTML content is still read as
    Markdown, so its active characters become character references too."""
    inner = escape_html(html.escape(text, quote=False))
    return "<code>" + _MD_ACTIVE.sub(lambda m: f"&#{ord(m.group(0))};", inner) + "</code>"


def code_block(code: str, language: str = "", fence: str = "```") -> str:
    """A fenced code block longer than any fence inside; HTML `<pre><code>` when the code holds
    `{{`/`{%` (a fence would show `&#123;` literally, and the braces must not stay)."""
    if TEMPLATE_OPENER.search(code):
        cls = f' class="language-{html.escape(TEMPLATE_OPENER.sub("", language))}"' if language else ""
        return f"<pre><code{cls}>" + escape_html(html.escape(code, quote=False)) + "\n</code></pre>"
    while fence in code:
        fence += fence[0]
    return f"{fence}{language}\n{code}\n{fence}"


def code_span(text: str) -> str:
    """Inline code with a backtick fence longer than any run inside; HTML when it holds `{{`/`{%`."""
    text = text.replace("\r", " ").replace("\n", " ")  # a code span is one line
    text = text.strip(" ") or text  # edge spaces do not survive CommonMark's code spans anyway
    if TEMPLATE_OPENER.search(text):
        return inline_code_html(text)
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


# --- the converter ------------------------------------------------------------------------------


def _classes(el) -> str:
    return el.get("class") or ""


def _is_blank(text: str) -> bool:
    """Nothing but white space (no-break spaces included) and zero-width spaces."""
    text = text.strip()
    return not text or (text[0] == "\u200b" and not text.replace("\u200b", "").strip())


@dataclass
class Converter:
    options: Options = field(default_factory=Options)
    footnotes: dict[str, str] = field(default_factory=dict)  # id → label, filled by the footnote rules
    anchors: set[str] = field(default_factory=set)  # in-page link targets that exist (see _find_anchors)
    note_ids: dict = field(default_factory=dict)  # footnote li id → its list
    linked: set[str] = field(default_factory=set)  # in-page link targets used

    heading_ids: list[str] = field(default_factory=list)  # the id Zola gives each heading written, in order

    # entry point
    def convert(self, root) -> str:
        """Markdown for a tree made by `parse_html` (changed in place: adjacent runs are joined)."""
        if root is None:
            return ""
        _join_adjacent(root)
        _hoist_more(root)
        self._find_anchors(root)
        return "\n\n".join(b for b in self.blocks(root) if b.strip()) + "\n"

    def _find_anchors(self, root) -> None:
        """What in-page links (#x) may point at. Zola checks them at build time (a link to a missing
        anchor fails the build), so only these stay links: heading ids we write, the ids Zola gives
        headings, and footnotes (Markdown Extra / Jetpack style lists of `li id="fn:1"`)."""
        self.anchors = set()
        self.note_ids = {}
        self.linked = set()
        # one walk for the three kinds: setting up lxml's tag filter costs more than the walk
        for el in root.iter("a", "div", "section", "ol", "h1", "h2", "h3", "h4", "h5", "h6"):
            tag = el.tag
            if tag == "a":
                href = el.get("href", "")
                if href.startswith("#"):
                    self.linked.add(unquote(href[1:]))
            elif tag[0] == "h":
                if any(a.tag in ("table", "details", "dl", "figure") for a in el.iterancestors()):
                    continue  # written inside raw HTML, where its id is not kept
                ident = _heading_id(el)
                if ident:
                    self.anchors.add(ident)
                self.anchors.add(_slug(el.text_content()))
            elif "footnotes" in _classes(el).split() or "wp-block-footnotes" in _classes(el):
                for li in el.iter("li"):
                    if li.get("id"):
                        self.note_ids[li.get("id")] = el

    # -- blocks -----------------------------------------------------------------------------
    def blocks(self, parent, last_list: list | None = None) -> list[str]:
        """The children of a block container as Markdown blocks. `last_list`: the list written
        just before, when the container is transparent (its blocks sit among its neighbours)."""
        out: list[str] = []
        run: list[str] = []  # inline Markdown of the paragraph being gathered
        after: list[str] = []  # scripts met inside that paragraph: written after it
        if last_list is None:
            last_list = [None]

        def flush() -> None:
            if run:
                text = "" if _blank_texts(run) else self._paragraph(resolve(run, True))
                run.clear()
                if text:
                    out.append(text)
                    last_list[0] = None
            if after:
                out.extend(after)
                after.clear()

        if parent.text:
            run.append(self.text(parent.text))
        for child in parent:
            if isinstance(child, etree._Comment):
                comment = child.text or ""
                if comment.strip().lower() == "more":
                    flush()
                    out.append("<!-- more -->")
                if child.tail:
                    run.append(self.text(child.tail))
                continue
            tag = child.tag
            if not isinstance(tag, str):
                if child.tail:
                    run.append(self.text(child.tail))
                continue
            tag = tag.lower()
            if tag in DROP_TAGS:
                pass
            elif tag in ("script", "style") and run_has_text(run):
                # invisible where it stands: the paragraph around it stays one paragraph
                after.extend(b for b in self.block(child, [None]) if b.strip())
            elif (
                tag in BLOCK_TAGS
                or (tag == "img" and _alone(child) and not run_has_text(run))
                or self._holds_blocks(child)
            ):
                flush()
                before = last_list[0]
                produced = [b for b in self.block(child, last_list) if b.strip()]
                if not produced:  # nothing written: the list before is still the neighbour
                    last_list[0] = before
                out.extend(produced)
            else:
                _add(run, self.inline(child))
            tail = child.tail
            if tail:
                run.append(self.text(tail))
        flush()
        return out

    def _holds_blocks(self, el) -> bool:
        """An inline element around block content (a span around an embed, a link around a card)
        is a container: its blocks must stay blocks, not be flattened into text."""
        return len(el) > 0 and any(isinstance(d.tag, str) and d.tag in STRONG_BLOCKS for d in el.iterdescendants())

    def block(self, el, last_list: list) -> list[str]:
        tag = el.tag.lower()
        rule = getattr(self, f"block_{tag}", None)
        if tag == "ol" and "wp-block-footnotes" in _classes(el):
            last_list[0] = None
            return self.footnote_definitions(el)
        if tag in ("div", "section", "ol") and "footnotes" in _classes(el).split():
            last_list[0] = None
            lists = [el] if tag == "ol" else [o for o in el.iter("ol")]
            return [b for o in lists for b in self.footnote_definitions(o)]
        if _is_gallery(el):
            last_list[0] = None
            return self.gallery(el)
        if tag in ("ul", "ol", "menu"):
            return [self.list_block(el, tag == "ol", last_list)]
        if rule is not None:
            last_list[0] = None
            return rule(el)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            last_list[0] = None
            return self.heading(el, int(tag[1]))
        background = _background_image(el)
        if background:
            last_list[0] = None  # an old cover block: its image lives in the style, and would be lost with it
            return [f"![]({_destination(background)})"] + self.blocks(el)
        # containers (div, section, article, a span around a list, …) are transparent: a list in
        # one and a list beside it are neighbours in Markdown, whose markers must differ
        return self.blocks(el, last_list)

    def _paragraph(self, inline_md: str) -> str:
        text = _BREAK_SPACES.sub("\\\n", inline_md) if "\\\n" in inline_md else inline_md
        text = _strip_breaks(text)  # no break or space at the edges
        if _is_blank(text.replace("\\\n", "")):
            return ""  # spacer paragraphs (&nbsp;) and empty ones are not content
        if "\n" not in text:
            return escape_line_start(text)
        return "\n".join(escape_line_start(line) for line in text.split("\n"))

    def _text_paragraph(self, text: str | None) -> str:
        """Raw text standing among blocks as a paragraph; none for the white space between them."""
        return self._paragraph(resolve([_Text(text)], True)) if text and not text.isspace() else ""

    def block_p(self, el) -> list[str]:
        return (
            [p for p in [self._paragraph(self.inline_children(el, True))] if p]
            if not self._has_block_child(el)
            else self.blocks(el)
        )

    def _has_block_child(self, el) -> bool:
        if not len(el):
            return False
        return any(isinstance(c.tag, str) and c.tag.lower() in BLOCK_TAGS for c in el) or self._holds_blocks(el)

    def heading(self, el, level: int) -> list[str]:
        if self._has_block_child(el):
            return self.split_heading(el, level)
        text = self.inline_children(el, True).replace("\\\n", " ").strip()
        text = _WS.sub(" ", text)
        if not text:
            return []
        text = re.sub(r"#+$", lambda m: "\\" + m.group(0), text)
        if text.endswith("}"):  # Zola reads a trailing {…} as heading attributes (zola.md §6.1)
            text = text[:-1] + "\\}"
        # an id is written only where it matters: a link points at it (Zola checks those links)
        # the id the author gave it (its own, or an anchor inside it) is kept: other pages may link to it
        own = _heading_id(el)
        ident = own or _slug(el.text_content())
        attrs = f" {{#{ident}}}" if (own or ident in self.linked) and _ID.match(ident) else ""
        if attrs or _plain_heading(el):
            self.heading_ids.append(ident)
        else:
            self.heading_ids.append("")  # an id we cannot be sure of (alt text, breaks, raw HTML)
        return ["#" * level + " " + text + attrs]

    def split_heading(self, el, level: int) -> list[str]:
        """A heading holding blocks (a `<div>`, a `<p>`, a list): a Markdown heading is one line, so
        each run of its text is a heading of its level, a text block inside it too (it showed in the
        heading's type), and other blocks (lists, tables, images, code) stay what they are, in order.
        The first heading keeps the element's id."""
        out: list[str] = []
        part = lxml.html.Element(el.tag, {k: v for k, v in el.attrib.items() if k == "id"})
        part.text = el.text
        for child in el:
            if isinstance(child.tag, str) and (child.tag.lower() in BLOCK_TAGS or self._holds_blocks(child)):
                out.extend(self.heading(part, level))
                part = lxml.html.Element(el.tag)
                part.text = child.tail
                inner = deepcopy(child)
                inner.tail = None
                if inner.tag.lower() in _TEXT_BLOCKS:
                    inner.tag = el.tag  # its words were in the heading's type: a heading, at its level
                    out.extend(self.heading(inner, level))
                else:
                    out.extend(b for b in self.block(inner, [None]) if b.strip())
            else:
                part.append(deepcopy(child))
        out.extend(self.heading(part, level))
        return out

    def block_hr(self, el) -> list[str]:
        return ["---"]

    def block_img(self, el) -> list[str]:
        image = self.inline_img(el)
        return [image] if image else []

    def block_a(self, el) -> list[str]:
        """A link around blocks: the blocks, each linked where Markdown can (text, heading, image)."""
        href = (el.get("href") or "").strip()
        blocks = self.blocks(el)
        if not href or href.startswith("#"):
            return blocks
        return [_link_block(b, el.get(ZOLA_LINK) or href) for b in blocks]

    def block_blockquote(self, el) -> list[str]:
        inner = "\n\n".join(self.blocks(el))
        if not inner.strip():
            return []
        return ["\n".join(("> " + line) if line.strip() else ">" for line in inner.split("\n"))]

    def block_pre(self, el) -> list[str]:
        if any((n.get("src" if n.tag == "img" else "href") or "").strip() for n in el.iterdescendants("a", "img")):
            return [self.pre_html(el)]
        # Markdown cannot say formatting inside a code block: a <pre> with bold, italic, … in it
        # (preformatted and verse blocks, which the editor formats) stays HTML that keeps it
        if any(n.text_content().strip() for n in el.iterdescendants(*_PRE_FORMATTING)):
            return [self.pre_html(el)]
        for inner in list(el.iterdescendants("pre")):  # a <pre> in a <pre> shows on lines of its own
            prev = inner.getprevious()
            before = (prev.tail if prev is not None else inner.getparent().text) or ""
            if not before.endswith("\n"):
                inner.text = "\n" + (inner.text or "")
            if not (inner.tail or "").startswith("\n") and not inner.text_content().endswith("\n"):
                inner.tail = "\n" + (inner.tail or "")
        for br in list(el.iter("br")):  # preformatted and verse blocks store line breaks as <br>
            br.tail = "\n" + (br.tail or "")
            br.drop_tree()
        # edge blank lines do not show (also ones of spaces only: a quote's "> " prefix would drop them)
        code = re.sub(r"^(?:[ \t]*\n)+", "", el.text_content()).rstrip("\n ")
        return [code_block(code, self._language(el), self.options.fence)]

    def pre_html(self, el) -> str:
        """A <pre> holding links, images or formatting (preformatted and verse blocks, pasted
        terminal output, a <pre> nested in one): plain HTML keeps them, where a code block would
        keep only the text. Links, images and formatting (`_PRE_FORMATTING`) stay, a nested <pre>
        (or other block) starts its own lines, other tags go. The one `</pre>` is the last line:
        CommonMark ends such an HTML block at the first line holding it."""
        parts: list[str] = []

        def walk(node) -> None:
            if node.text:
                parts.append(html.escape(node.text, quote=False))
            for child in node:
                tag = child.tag.lower() if isinstance(child.tag, str) else ""
                if tag == "br":
                    parts.append("\n")
                elif tag == "img" and (child.get("src") or "").strip():
                    parts.append(f'<img src="{_attr(child.get("src").strip())}" alt="{_attr(child.get("alt") or "")}">')
                elif tag == "a" and (child.get("href") or "").strip():
                    parts.append(f'<a href="{_attr(child.get("href").strip())}">')
                    walk(child)
                    parts.append("</a>")
                elif tag in _PRE_FORMATTING:
                    parts.append(f"<{tag}>")
                    walk(child)
                    parts.append(f"</{tag}>")
                elif tag in BLOCK_TAGS and tag not in DROP_TAGS and tag not in ("script", "style"):
                    if parts and not parts[-1].endswith("\n"):
                        parts.append("\n")
                    walk(child)
                    parts.append("\n")
                elif tag and tag not in DROP_TAGS and tag not in ("script", "style"):
                    walk(child)
                if child.tail:
                    parts.append(html.escape(child.tail, quote=False))

        walk(el)
        body = "".join(parts).lstrip("\n").rstrip("\n ")
        language = self._language(el)
        cls = f' class="language-{_attr(language)}"' if language else ""
        return escape_html(f"<pre{cls}>{body}</pre>")

    def _language(self, el) -> str:
        for node in [el, *el.iter("code")]:
            for value in (
                node.get("data-lang"),
                node.get("data-language"),
                node.get("data-enlighter-language"),  # Enlighter's <pre class="EnlighterJSRAW">
                node.get("lang"),
            ):
                if value and re.fullmatch(r"[\w+#.-]+", value):
                    return value.lower()
            classes = _classes(node)
            m = _LANG_CLASS.search(classes) or _BRUSH.search(classes)
            if m:
                return m.group(1).lower()
        return ""

    def list_block(self, el, ordered: bool, last_list: list) -> str:
        previous = last_list[0]
        style = 1 - previous.marker_style if previous is not None and previous.ordered == ordered else 0
        last_list[0] = _List(ordered, style)
        start = 1
        if ordered:
            try:
                start = int(el.get("start", "1").strip())
            except ValueError:
                start = 1
            if start < 0 or start + max(_item_count(el) - 1, 0) > _MAX_START:
                # CommonMark numbers a list with 1 to 9 digits, never negative: an HTML list keeps
                # the numbers the reader saw, its items still Markdown (blank lines around them)
                last_list[0] = None
                return self.numbered_html(el, start)
        items: list[str] = []
        loose = False
        number = start
        for child in el:
            if not isinstance(child.tag, str):
                continue
            stray = child.tag.lower() != "li"
            if stray and items:  # content between items (a list right in a list) joins the item before
                blocks = self.blocks(_wrap_as_div(child))
                if blocks:
                    indent = " " * (len(items[-1].split(" ", 1)[0]) + 1)
                    items[-1] += "\n" + _indent("\n\n".join(blocks), indent)
                continue
            body, item_loose = self._item_body(_wrap_as_div(child) if stray else child)
            if not body:
                continue  # an empty bullet holds nothing, and a bare marker can read as a setext underline
            marker = f"{number}{'.' if style == 0 else ')'}" if ordered else ("-" if style == 0 else "*")
            number += 1
            loose = loose or item_loose
            indent = " " * (len(marker) + 1)
            tail = self._text_paragraph(child.tail)
            if tail:  # text between items (outside any <li>) stays with the item before it
                body, loose = body + "\n\n" + tail, True
            lines = body.split("\n")
            items.append(
                marker + " " + lines[0] + "".join("\n" + (indent + line if line else "") for line in lines[1:])
            )
        intro = self._text_paragraph(el.text)
        if not items:
            last_list[0] = previous  # nothing written: the list before is still the neighbour
            return intro
        listed = ("\n\n" if loose else "\n").join(items)
        return f"{intro}\n\n{listed}" if intro else listed

    def numbered_html(self, el, start: int) -> str:
        """An ordered list as `<ol start>`: each `<li>` around its Markdown blocks."""
        out = [f'<ol start="{start}"' + (" reversed" if el.get("reversed") is not None else "") + ">"]
        for child in el:
            if not isinstance(child.tag, str):
                continue
            body = "\n\n".join(self.blocks(_wrap_as_div(child) if child.tag.lower() != "li" else child))
            if body.strip():
                out.append(f"<li>\n\n{body}\n\n</li>")
        return "\n".join(out) + "\n</ol>"

    def footnote_definitions(self, el) -> list[str]:
        """WordPress's footnotes list → Markdown footnote definitions, labelled as their markers."""
        out = []
        for li in el:
            if not isinstance(li.tag, str) or li.tag != "li":
                continue
            for back in [
                a
                for a in li.iter("a")
                if (a.get("href") or "").startswith("#")
                and (
                    (a.get("href") or "").endswith("-link")
                    or "fnref" in (a.get("href") or "")
                    or "footnote-backref" in _classes(a)
                    or a.text_content().strip() in ("↩", "↩︎", "^")
                )
            ]:
                back.drop_tree()  # the ↩︎ link back to the marker: Markdown footnotes make their own
            key = li.get("id") or ""
            label = self.footnotes.setdefault(key, str(len(self.footnotes) + 1))
            body = "\n\n".join(self.blocks(li)) or ""
            lines = body.split("\n")
            out.append(f"[^{label}]: " + lines[0] + "".join("\n" + ("    " + ln if ln else "") for ln in lines[1:]))
        return ["\n".join(out)] if out else []

    def _item_body(self, li) -> tuple[str, bool]:
        blocks = self.blocks(li)
        if not blocks:
            return "", False
        body = blocks[0]
        loose = False
        for prev, block in itertools.pairwise(blocks):
            if (
                _is_list(block)
                and re.match(r"^(?:[-*]|1[.)])(?: |$)", block)
                and not _is_list(prev)
                and "\n\n" not in prev
                and not prev.startswith(("```", "<", ">"))
            ):
                body += "\n" + block  # "text" then a nested list: a tight item
            else:
                body += "\n\n" + block
                loose = True
        return body, loose

    def block_figure(self, el) -> list[str]:
        """Images (one, or a gallery), tables and embeds in a figure; every caption kept."""
        caption_el = next((c for c in el if isinstance(c.tag, str) and c.tag == "figcaption"), None)
        caption = self._paragraph(self.inline_children(caption_el, True)) if caption_el is not None else ""
        if any(True for _ in el.iter("table")):
            out = [b for table in el.iter("table") for b in self.block_table(table)]
            return out + ([f"*{caption}*" if "\n" not in caption else caption] if caption else [])
        if any(isinstance(m.tag, str) and m.tag in ("video", "audio", "iframe", "object", "embed") for m in el.iter()):
            return [self.raw_html(el)]
        images = list(el.iter("img"))
        if not images:
            return self.blocks(el)
        # other content of the figure (a credit line, a paragraph) is kept after the images
        rest = [
            b
            for c in el
            if isinstance(c.tag, str) and c.tag != "figcaption" and not any(True for _ in c.iter("img"))
            for b in self.blocks(_wrap_as_div(c))
        ]
        if len(images) == 1:
            if caption:
                return [self.figure_html(images[0], caption_el)] + rest
            return [self._linked_image(images[0])] + rest
        out = [self._gallery_image(img, el) for img in images]  # a gallery: each image with its own caption
        return out + rest + ([caption] if caption else [])

    def _linked_image(self, img) -> str:
        image = self.inline_img(img)
        link = img.getparent()
        if image and link is not None and link.tag == "a" and link.get("href"):
            return f"[{image}]({_destination(link.get(ZOLA_LINK) or link.get('href'))}{_title(link.get('title'))})"
        return image

    def gallery(self, el) -> list[str]:
        """A gallery as WordPress showed it: each image at the size it showed, linked as the gallery
        said, with its caption, in the gallery's columns. One portable HTML form for classic and
        block galleries (`div.gallery.gallery-columns-N`), styled by a few lines of CSS."""
        figures = []
        for img in el.iter("img"):
            if not (img.get("src") or "").strip():
                continue
            caption = _item_caption(img, el)
            image = self._tag_html(img)
            link = img.getparent()
            if link is not None and link.tag == "a" and (link.get("href") or "").strip():
                image = f'<a href="{_attr(link.get("href").strip())}">{image}</a>'
            text = _inner_html(caption).strip() if caption is not None else ""
            figures.append(f"<figure>{image}" + (f"<figcaption>{text}</figcaption>" if text else "") + "</figure>")
        # the gallery's own caption (block galleries): a paragraph after it
        own = [c for c in el.iter("figcaption") if "blocks-gallery-caption" in _classes(c)]
        caption = self._paragraph(self.inline_children(own[0], True)) if own else ""
        if not figures:
            return [caption] if caption else []
        columns = _gallery_columns(el, len(figures))
        html_text = f'<div class="gallery gallery-columns-{columns}">\n' + "\n".join(figures) + "\n</div>"
        return [html_text] + ([caption] if caption else [])

    def _gallery_image(self, img, gallery) -> str:
        caption = _item_caption(img, gallery)
        return self.figure_html(img, caption) if caption is not None else self._linked_image(img)

    def figure_html(self, img, caption_el) -> str:
        """A captioned image as plain HTML: figure, optional link, img, figcaption."""
        image = self._tag_html(img)
        link = img.getparent() if img.getparent() is not None and img.getparent().tag == "a" else None
        if link is not None and link.get("href"):
            image = f'<a href="{_attr(link.get("href"))}">{image}</a>'
        caption = _inner_html(caption_el).strip()
        return f"<figure>\n{image}\n<figcaption>{caption}</figcaption>\n</figure>"

    def block_table(self, el) -> list[str]:
        rows = [tr for tr in el.iter("tr")]
        if not rows:
            return self.blocks(el)
        if not self._pipe_table_ok(el, rows):
            return [self.raw_html(el, drop_classes=True)]
        cells = [[self._cell(c) for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")] for tr in rows]
        width = max(len(r) for r in cells)
        if width == 0:
            return []
        cells = [r + [""] * (width - len(r)) for r in cells]
        header, body = cells[0], cells[1:]
        if not any(isinstance(c.tag, str) and c.tag == "th" for c in rows[0]):
            # a table without a header row: Markdown must have one, so an empty one, not the first row made a header
            header, body = [""] * width, cells
        aligns = []
        for c in (c for c in rows[0] if isinstance(c.tag, str)):
            align = (c.get("align") or _style_align(c.get("style") or "") or "").lower()
            aligns.append({"left": ":---", "center": ":---:", "right": "---:"}.get(align, "---"))
        aligns += ["---"] * (width - len(aligns))
        lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(aligns) + " |"]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        # the caption shows above the table (CSS caption-side: top): a paragraph before it
        caption = next((c for c in el.iter("caption")), None)
        text = "\n\n".join(self.blocks(caption)) if caption is not None else ""
        if text and "\n" not in text and not re.match(r"[*_\s]|.*[*_\\\s]$", text, re.S):
            text = f"*{text}*"
        return ([text] if text else []) + ["\n".join(lines)]

    def _pipe_table_ok(self, table, rows) -> bool:
        if any(t is not table for t in table.iter("table")):
            return False
        for tr in rows:
            for cell in tr:
                if not isinstance(cell.tag, str):
                    continue
                if cell.tag not in ("td", "th"):
                    return False
                if cell.get("colspan", "1") not in ("", "1") or cell.get("rowspan", "1") not in ("", "1"):
                    return False
                for inner in cell.iter():
                    if (
                        inner is not cell
                        and isinstance(inner.tag, str)
                        and (inner.tag in BLOCK_TAGS or inner.tag == "br")
                        and inner.tag not in ("script", "style")  # invisible, left out of the cell
                    ):
                        return False
        header_rows = [
            tr for tr in rows if all(isinstance(c.tag, str) and c.tag == "th" for c in tr if isinstance(c.tag, str))
        ]
        if any(tr.getparent() is not None and tr.getparent().tag == "thead" for tr in rows[1:]):
            return False
        return len(header_rows) <= 1 and (not header_rows or header_rows[0] is rows[0])

    def _cell(self, cell) -> str:
        text = _WS.sub(" ", self.inline_children(cell, True)).strip()
        return text.replace("|", "\\|")

    def block_dl(self, el) -> list[str]:
        """A definition list (no CommonMark form): each term in bold, its definitions below it.
        Text and inline elements standing in the list itself (outside any dt/dd) show as a line of
        their own in a browser: they become a paragraph where they stand."""
        out = []
        run: list = [_Text(el.text)] if el.text else []

        def flush() -> None:
            text = "" if _blank_texts(run) else self._paragraph(resolve(run, True))
            run.clear()
            if text:
                out.append(text)

        for child in el:
            if not isinstance(child.tag, str):
                if child.tail:
                    run.append(_Text(child.tail))
                continue
            if child.tag in ("dt", "dd") or child.tag in BLOCK_TAGS or self._holds_blocks(child):
                flush()
                if child.tag == "dt":
                    term = self._paragraph(self.inline_children(child, True))
                    if term:
                        out.append(f"**{term}**" if "\n" not in term and not term.startswith("*") else term)
                elif child.tag == "dd":
                    out.extend(self.blocks(child))
                else:
                    out.extend(self.blocks(_wrap_as_div(child)))
            elif child.tag not in DROP_TAGS:
                _add(run, self.inline(child))
            if child.tail:
                run.append(_Text(child.tail))
        flush()
        return out

    def block_details(self, el) -> list[str]:
        summary = next((c for c in el if isinstance(c.tag, str) and c.tag == "summary"), None)
        summary_html = _inner_html(summary).strip() if summary is not None else ""
        inner = _Without(el, summary)
        body = "\n\n".join(self.blocks(inner))
        return [f"<details>\n<summary>{summary_html}</summary>\n\n{body}\n\n</details>"]

    def block_textarea(self, el) -> list[str]:
        """A textarea in a post holds text to copy: a code block. (wpautop put <br /> and <p> into
        it, which WordPress then showed as text; they are taken out.) An empty one is a field to
        fill in: said as one, so that the words before it ("Message:") keep what they named."""
        text = re.sub(r"<br\s*/?>|</?p>", "", el.text_content()).strip("\n")
        if text.strip():
            return [code_block(text, "", self.options.fence)]
        named = el.get("name") or el.get("placeholder") or el.get("id")
        if not named and not any(a.tag in ("form", "label") for a in el.iterancestors()):
            return []  # a bare tag, no field of any form
        return [self._paragraph(resolve([_field(el.get("placeholder"))], True))]

    # Form fields do nothing on a static site; each is said as the reader saw it, in brackets, so
    # that a label ("Username:") is never left naming nothing.
    def inline_input(self, el) -> Inline:
        kind = (el.get("type") or "text").strip().lower()
        if kind == "hidden":
            return ""
        if kind in ("submit", "button", "reset", "image"):
            default = {"submit": "Submit", "reset": "Reset", "image": el.get("alt") or "Submit"}.get(kind, "")
            label = _WS.sub(" ", el.get("value") or default).strip()
            return _Text(f"[{label}]") if label else ""
        if kind == "checkbox":
            return _Text("☑" if el.get("checked") is not None else "☐")
        if kind == "radio":
            return _Text("◉" if el.get("checked") is not None else "○")
        if kind == "file":
            return _Text("[📎]")
        return _field(None if kind == "password" else el.get("value") or el.get("placeholder"))

    def inline_textarea(self, el) -> Inline:
        text = _WS.sub(" ", el.text_content()).strip()
        return _Text(f"[{text}]") if text else _field(el.get("placeholder"))

    def inline_button(self, el) -> Inline:
        label = _WS.sub(" ", el.text_content()).strip()
        return _Text(f"[{label}]") if label else ""

    def inline_select(self, el) -> Inline:
        """A drop-down: every option, the chosen one (or the first) first, as `[a ▾ / b / c]`."""
        options = [o for o in el.iter("option") if _WS.sub(" ", o.text_content()).strip()]
        if not options:
            return _field(None)
        chosen = next((o for o in options if o.get("selected") is not None), options[0])
        names = [_WS.sub(" ", o.text_content()).strip() for o in [chosen, *(o for o in options if o is not chosen)]]
        return _Text("[" + " / ".join([names[0] + " ▾", *names[1:]]) + "]")

    # wpautop cuts a <select> whose options stand on lines of their own (a <p> closes inside it): the
    # option groups left outside it are still drop-downs to a reader, not their labels run together
    inline_optgroup = inline_select

    def inline_option(self, el) -> Inline:
        text = _WS.sub(" ", el.text_content()).strip()
        return _Text(f"[{text}]") if text else ""

    def block_iframe(self, el) -> list[str]:
        return [self.raw_html(el)]

    def block_video(self, el) -> list[str]:
        return [f"<figure>\n{self.raw_html(el)}\n</figure>"]

    block_audio = block_video

    def block_object(self, el) -> list[str]:
        return [self.raw_html(el)]

    block_embed = block_object

    def block_script(self, el) -> list[str]:
        return [self.raw_html(el, keep_all=True)]

    def block_style(self, el) -> list[str]:
        return []  # theme-era inline styles do not belong in content

    def block_svg(self, el) -> list[str]:
        return [self.raw_html(el, keep_all=True)]

    block_math = block_svg
    block_canvas = block_svg

    # -- inline -----------------------------------------------------------------------------
    def text(self, text: str) -> _Text:
        return _Text(text)

    def inline_children(self, el, line_edges: bool = False) -> str:
        """The inline Markdown of an element's content. `line_edges`: its start and end are the
        start and end of a line (paragraphs, headings, cells), which matters for escaping."""
        return resolve(self._parts(el), line_edges)

    def _parts(self, el) -> list[str]:
        text = el.text
        parts: list[str] = [_Text(text)] if text else []
        for child in el:
            tag = child.tag  # each read of it makes a new str: read once
            if isinstance(tag, str) and (tag := tag.lower()) not in DROP_TAGS:
                if tag in ("script", "style"):
                    pass  # invisible: its code is no text of the line it stands in
                elif tag == "textarea":
                    _add(parts, self.inline_textarea(child))
                elif tag in BLOCK_TAGS:  # a block inside inline content: flattened
                    parts += [_Text(" "), *self._parts(child), _Text(" ")]
                else:
                    _add(parts, self.inline(child))
            tail = child.tail
            if tail:
                parts.append(_Text(tail))
        return parts

    def inline(self, el) -> Inline:
        tag = el.tag.lower()
        rule = getattr(self, f"inline_{tag}", None)
        if rule is not None:
            return rule(el)
        if tag in FORM_TAGS:  # forms do not work on a static site: their visible words stay, as text
            return _Unwrapped(self._parts(el))
        if tag in KEEP_INLINE_HTML:
            attrs = _attrs(el, _SAFE_ATTRS.get(tag, ()))
            return f"<{tag}{attrs}>{self.inline_children(el)}</{tag}>"
        return _Unwrapped(self._parts(el))

    def _wrap(self, el, mark: str) -> Inline:
        inner = self.inline_children(el)
        if _is_blank(inner.replace("\\\n", "")):
            return inner
        # spaces and line breaks at the edges go outside the marks, or the marks would not close
        m = _EDGES.match(inner)
        assert m is not None  # the pattern matches any text
        return _Unwrapped([m.group(1), _Emphasis(f"{mark}{m.group(2)}{mark}", m.group(2)), m.group(3)])

    def inline_strong(self, el) -> Inline:
        return self._wrap(el, "**")

    inline_b = inline_strong

    def inline_em(self, el) -> Inline:
        return self._wrap(el, "*")

    inline_i = inline_em
    inline_cite = inline_em
    inline_dfn = inline_em

    def inline_del(self, el) -> Inline:
        return self._wrap(el, "~~")

    inline_s = inline_del
    inline_strike = inline_del

    def inline_code(self, el) -> Inline:
        for br in list(el.iter("br")):  # line breaks in inline code show as spaces, not as nothing
            br.tail = " " + (br.tail or "")
            br.drop_tree()
        text = el.text_content()
        # a space at an edge shows between the code and the words beside it; a code span would
        # drop it (`npm install`then), so it stands outside the span
        m = re.match(r"^([ \t\n]*)(.*?)([ \t\n]*)$", text, re.S)
        assert m is not None  # the pattern matches any text
        lead, core, trail = m.group(1), m.group(2), m.group(3)
        if not core:
            return code_span(text) if text else ""
        links = [a for a in el.iter("a") if a.get("href")]
        if len(links) == 1 and links[0].text_content().strip() == core:  # <code><a>…</a></code>
            md = f"[{code_span(core)}]({_destination(links[0].get('href'))})"
        else:
            md = code_span(core)
        if not lead and not trail:
            return md
        return _Unwrapped([_Text(" ") if lead else "", md, _Text(" ") if trail else ""])

    inline_tt = inline_code

    def inline_br(self, el) -> Inline:
        return "\\\n"

    def inline_q(self, el) -> Inline:
        return "“" + self.inline_children(el) + "”"

    def inline_img(self, el) -> str:
        src = (el.get("src") or el.get("data-src") or "").strip()
        if not src:
            return escape_inline(el.get("alt") or "")
        if "emoji" in _classes(el) or "wp-smiley" in _classes(el):
            return escape_inline(el.get("alt") or "")
        alt = _WS.sub(" ", el.get("alt") or "").strip()
        title = el.get("title")
        return f"![{_escape_label(alt)}]({_destination(src)}{_title(title)})"

    def inline_a(self, el) -> Inline:
        href = (el.get("href") or "").strip()
        if href.lower() == "#top" and "top" not in self.anchors:
            href = "#"  # browsers scroll to the top for #top without such an element (HTML spec); Zola checks anchors
        if href.startswith("#") and href[1:] in self.note_ids:  # a footnote marker without <sup>
            label = self.footnotes.setdefault(href[1:], str(len(self.footnotes) + 1))
            return f"[^{label}]"
        if not href or (href.startswith("#") and href != "#" and unquote(href[1:]) not in self.anchors):
            return _Unwrapped(self._parts(el))  # no link, or to an anchor that does not exist here
        if href.startswith("#"):
            href = "#" + unquote(href[1:])  # the anchor as Zola will check it
        m = _EDGES.match(self._link_text(el))
        assert m is not None  # the pattern matches any text
        lead, text, trail = m.group(1), m.group(2), m.group(3)  # spaces and breaks stay outside the link
        if not text:
            return lead + trail if "\\\n" in lead + trail else ""
        title = el.get("title")
        if el.get(ZOLA_LINK):  # a migrated page: Zola's internal link, checked at build time
            return f"{lead}[{text}]({_destination(el.get(ZOLA_LINK))}{_title(title)}){trail}"
        if (
            text == escape_inline(href)
            and not title
            and re.match(r"^https?://\S+$", href)
            and "<" not in href
            and ">" not in href
        ):
            return f"{lead}<{href}>{trail}"
        return f"{lead}[{text}]({_destination(href)}{_title(title)}){trail}"

    def _link_text(self, el) -> str:
        """A link's inline Markdown with every bracket of its text escaped (`Report \\[PDF\\]`, `\\[1\\]`):
        an unescaped one can end the link text or open another link. Brackets of the text are
        marked in the tree while it converts (and restored after), so the ones Markdown itself
        writes (images, code spans) are left alone."""
        saved: list[tuple[object, str, str]] = []

        def mark(node) -> None:
            if node.text:
                saved.append((node, "text", node.text))
                node.text = node.text.translate(_BRACKET_MARKS)
            for child in node:
                if isinstance(child.tag, str) and child.tag.lower() not in ("code", "tt", "pre", "kbd", "samp"):
                    mark(child)
                if child.tail:
                    saved.append((child, "tail", child.tail))
                    child.tail = child.tail.translate(_BRACKET_MARKS)

        mark(el)
        try:
            return self.inline_children(el).translate(_BRACKET_ESCAPES)
        finally:
            for node, attr, value in saved:
                setattr(node, attr, value)

    def inline_sup(self, el) -> Inline:
        link = next(el.iter("a"), None)
        target = ((link.get("href") if link is not None else "") or "").lstrip("#")
        if el.get("data-fn") or "fn" in _classes(el).split() or target in self.note_ids:
            key = el.get("data-fn") or target
            label = self.footnotes.setdefault(key, str(len(self.footnotes) + 1))
            return f"[^{label}]"
        return f"<sup>{self.inline_children(el)}</sup>"

    def inline_span(self, el) -> Inline:
        return _Unwrapped(self._parts(el))

    # -- raw HTML --------------------------------------------------------------------------
    def raw_html(self, el, drop_classes: bool = True, keep_all: bool = False) -> str:
        """An element as clean HTML on lines without blank ones (so CommonMark keeps it one block)."""
        copy = deepcopy(el)
        copy.tail = None
        etree.strip_elements(copy, etree.Comment, with_tail=False)  # invisible, and may hold "{{"
        if not keep_all:
            for node in copy.iter():
                if not isinstance(node.tag, str):
                    continue
                allowed = _SAFE_ATTRS.get(node.tag, ())
                for name in list(node.attrib):
                    if name not in allowed and not (name in ("class",) and not drop_classes):
                        del node.attrib[name]
        for node in copy.iter():  # libxml2 drops the optional end tag of an empty element (`<li></ul>`)
            if isinstance(node.tag, str) and node.text is None and not len(node):
                node.text = ""  # unless it holds text, even none
        text = lxml.html.tostring(copy, encoding="unicode", method="html").strip()
        text = re.sub(r"\n\s*\n", "\n", text)
        if copy.tag != "pre" and "<pre" not in text:
            text = "\n".join(line.rstrip() for line in text.split("\n"))
        return escape_html(text)

    def _tag_html(self, el) -> str:
        return f"<{el.tag}{_attrs(el, _SAFE_ATTRS.get(el.tag, ()))}>"


# --- helpers -------------------------------------------------------------------------------------


_SAME_MARK = {
    "code": "code",
    "tt": "code",
    "strong": "strong",
    "b": "strong",
    "em": "em",
    "i": "em",
    "del": "del",
    "s": "del",
    "strike": "del",
}


def _join_adjacent(root) -> None:
    """`<strong>a</strong><strong>b</strong>` shows as one bold run, but two touching runs cannot be
    written in Markdown (`**a****b**`: the marks merge): touching elements of one kind become one."""
    for el in list(root.iter(*_SAME_MARK)):
        if el.getparent() is None:
            continue
        nxt = el.getnext()
        while (
            nxt is not None
            and not el.tail
            and isinstance(nxt.tag, str)
            and _SAME_MARK.get(nxt.tag) == _SAME_MARK[el.tag]
        ):
            if _SAME_MARK[el.tag] == "code":
                el.text = el.text_content() + nxt.text_content()
                for child in list(el):
                    el.remove(child)
            else:
                if len(el):
                    el[-1].tail = (el[-1].tail or "") + (nxt.text or "")
                else:
                    el.text = (el.text or "") + (nxt.text or "")
                for child in list(nxt):
                    el.append(child)
            el.tail = nxt.tail
            nxt.getparent().remove(nxt)
            nxt = el.getnext()


_TRANSPARENT = {"div", "section", "article", "main", "header", "footer", "aside", "nav", "center"}


def _hoist_more(root) -> None:
    """`<!--more-->` inside a paragraph, heading, list item or table cell (typed there, or put
    there by wpautop around the split) must still end the summary, and Zola reads its
    `<!-- more -->` as a block of its own. A paragraph is split at the marker; from anywhere else
    the marker moves to just after the top-level block that holds it. Only the first one counts
    (`get_extended`, and Zola's summary): later ones go, their text stays."""
    first = True
    for comment in list(root.iter(etree.Comment)):
        if (comment.text or "").strip().lower() != "more":
            continue
        if not first:
            _drop_keeping_tail(comment)
            continue
        first = False
        levels = []  # the marker's parent, the inline elements around it, up to its paragraph
        parent = comment.getparent()
        while parent is not None and isinstance(parent.tag, str) and parent.tag in _SPLIT_INLINE:
            levels.append(parent)
            parent = parent.getparent()
        if parent is not None and parent.tag == "p" and parent.getparent() is not None:
            _split_paragraph(comment, [*levels, parent])
        holders = [a for a in comment.iterancestors() if a is not root]
        if all(isinstance(a.tag, str) and a.tag in _TRANSPARENT for a in holders):
            continue  # at the top level already (containers are transparent)
        top = holders[-1]
        _drop_keeping_tail(comment)
        top.addnext(comment)
        comment.tail, top.tail = top.tail, None


# inline elements a paragraph may be split through at the marker, each copied on the other side
_SPLIT_INLINE = {"strong", "b", "em", "i", "u", "ins", "del", "s", "strike", "a", "span", "font", "small", "big"}
_SPLIT_INLINE |= {"mark", "sup", "sub", "code", "tt", "kbd", "q", "cite", "abbr", "dfn", "var", "samp"}


def _split_paragraph(comment, levels: list) -> None:
    """Split the paragraph `levels[-1]` at the marker, which then stands between the two halves.
    Inline elements open across the marker (`levels[:-1]`, innermost first: `<strong>a <!--more-->
    b</strong>`) are closed before it and copied, without their id, around the words after it, so
    the formatting goes on there."""
    copies = [lxml.html.Element(el.tag, {k: v for k, v in el.attrib.items() if k != "id"}) for el in levels]
    for inner, outer in itertools.pairwise(copies):
        outer.append(inner)
    node = comment
    for el, copy in zip(levels, copies, strict=True):
        # what follows `node` in `el` moves to `el`'s copy, after the copy of `node` (if any)
        if node is comment:
            copy.text = node.tail
        else:
            copies[levels.index(node)].tail = node.tail
        node.tail = None
        for sibling in list(node.itersiblings()):
            copy.append(sibling)
        node = el
    paragraph, rest = levels[-1], copies[-1]
    comment.getparent().remove(comment)
    paragraph.addnext(comment)
    comment.tail, paragraph.tail = paragraph.tail, None
    if len(rest) or not _is_blank(rest.text or ""):
        comment.addnext(rest)
        rest.tail, comment.tail = comment.tail, None


# formatting a <pre> keeps as HTML (pre_html): what shows in a code block's text
_PRE_FORMATTING = ("strong", "b", "em", "i", "u", "ins", "del", "s", "strike", "mark", "sub", "sup", "big", "small")


def _drop_keeping_tail(node) -> None:
    """Take a node out of its parent; the text after it stays where it was."""
    tail, node.tail = node.tail, None
    previous, parent = node.getprevious(), node.getparent()
    if previous is not None:
        previous.tail = (previous.tail or "") + (tail or "")
    else:
        parent.text = (parent.text or "") + (tail or "")
    parent.remove(node)


_ID = re.compile(r"^[\w:.-]+$")
# a heading's slug is wanted twice (its anchor, then its id), and headings repeat across pages
_slug = functools.lru_cache(maxsize=4096)(zola_slug)


_PLAIN_INLINE = {"strong", "b", "em", "i", "code", "tt", "a", "span", "del", "s", "strike", "font"}


def _plain_heading(heading) -> bool:
    """A heading whose Markdown is text and emphasis only, so that Zola's id is the slug of its text."""
    return all(not isinstance(d.tag, str) or d.tag in _PLAIN_INLINE for d in heading.iterdescendants())


def _heading_id(heading) -> str:
    """The id a heading carries (its own, or an anchor inside it), if Markdown can keep it."""
    for node in heading.iter():
        if not isinstance(node.tag, str):
            continue
        ident = node.get("id") or (node.get("name") if node.tag == "a" else None)
        if ident and _ID.match(ident):
            return ident
    return ""


STRONG_BLOCKS = {
    "iframe",
    "video",
    "audio",
    "object",
    "embed",
    "ul",
    "ol",
    "table",
    "pre",
    "blockquote",
    "figure",
    "div",
    "section",
    "article",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dl",
    "details",
    "p",
    "hr",
}


def _alone(img) -> bool:
    """An image with no text after it in its parent (so it is a block of its own)."""
    return _is_blank(img.tail or "") and all(
        not isinstance(s.tag, str) or s.tag in BLOCK_TAGS or s.tag == "br" for s in img.itersiblings()
    )


_COLUMNS = re.compile(r"(?:^|\s)(?:gallery-)?columns-(\d+)(?:\s|$)")


_BACKGROUND = re.compile(r"""background(?:-image)?\s*:[^;]*?url\(\s*(['"]?)([^'")]+)\1\s*\)""", re.I)


def _background_image(el) -> str:
    """The background image of a container that shows no image of its own (cover blocks before 5.7)."""
    m = _BACKGROUND.search(el.get("style") or "")
    if not m or m.group(2).startswith("data:") or any(True for _ in el.iter("img")):
        return ""
    return m.group(2).strip()


def _item_caption(img, gallery):
    """The caption of one image of a gallery (the figcaption or dd of its figure, li or dl), unless blank."""
    holder = img.getparent()
    while holder is not None and holder is not gallery and holder.tag not in ("figure", "li", "dl"):
        holder = holder.getparent()
    if holder is None or holder is gallery:
        return None
    caption = next((c for c in holder.iter("figcaption", "dd")), None)
    return caption if caption is not None and not _is_blank(caption.text_content()) else None


def _is_gallery(el) -> bool:
    """Classic galleries (`div.gallery`, as `[gallery]` renders) and block galleries (`figure` or,
    before WordPress 5.9, `ul` with `wp-block-gallery` / `blocks-gallery-grid`)."""
    if el.tag not in ("div", "figure", "ul"):
        return False
    classes = set(_classes(el).split())
    if el.tag == "div":
        return "gallery" in classes
    return el.tag in ("figure", "ul") and bool({"wp-block-gallery", "blocks-gallery-grid"} & classes)


def _gallery_columns(el, count: int) -> int:
    """The columns a gallery asked for: `gallery-columns-N` (classic), `columns-N` (blocks); by
    default 3 for classic galleries and at most 3 for block ones, as WordPress lays them out."""
    for node in (el, *el.iter("ul")):
        m = _COLUMNS.search(_classes(node))
        if m:
            return max(1, min(9, int(m.group(1))))
    return 3 if el.tag == "div" else max(1, min(3, count))


def _link_block(block: str, href: str) -> str:
    dest = _destination(href)
    if block.startswith("![") and block.endswith(")") and "\n" not in block:
        return f"[{block}]({dest})"
    m = re.match(r"^(#{1,6} )(.*?)( \{#[^}]*\})?$", block)
    if m and "\n" not in block and "](" not in m.group(2):
        return f"{m.group(1)}[{m.group(2)}]({dest}){m.group(3) or ''}"
    if not re.match(r"^(?:[-*>|<`~#]|\d+[.)] )", block) and "\n" not in block and "](" not in block:
        return f"[{block}]({dest})"
    return block


class _Unwrapped(list):
    """The inline pieces of an element without Markdown of its own (span, a without href): they
    join the surrounding text, so escaping sees the real neighbours."""


Inline = str | _Unwrapped  # what an inline rule gives


def _add(parts: list, piece) -> None:
    if isinstance(piece, _Unwrapped):
        parts.extend(piece)
    else:
        parts.append(piece)


class _Text(str):
    """Raw text of the HTML, escaped only once its neighbours in the output are known."""


def _squeeze(text: str) -> str:
    """`_WS.sub(" ", text)`, by plain replaces: most text has no run to squeeze, and the regex
    would stop at every space to find that out."""
    for ch in "\n\t\r\f":
        if ch in text:
            text = text.replace(ch, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def resolve(parts: list[str], line_edges: bool) -> str:
    """Join inline pieces: adjacent raw texts merge (an empty element between them vanishes), then
    each is escaped knowing the characters around it."""
    edge = " " if line_edges else "a"
    if len(parts) == 1 and isinstance(parts[0], _Text):  # one text (most paragraphs): what the loop gives
        return str(escape_inline(_squeeze(parts[0]), edge, edge, not line_edges))  # str: never a _Text
    merged: list[str] = []
    for part in parts:
        if isinstance(part, _Text) and merged and isinstance(merged[-1], _Text):
            merged[-1] = _Text(merged[-1] + part)
        elif part:
            merged.append(part)
    out: list[str] = []
    # the last piece with visible content: whether more follows a text, without looking at every
    # piece after it again (quadratic in a paragraph of thousands of pieces)
    last_shown = len(merged) - 1
    while last_shown >= 0 and not merged[last_shown].strip():
        last_shown -= 1
    last = len(merged) - 1
    for i, part in enumerate(merged):
        if isinstance(part, _Text):
            before = out[-1][-1] if out else edge
            after = merged[i + 1][0] if i < last and not isinstance(merged[i + 1], _Text) else edge
            follows = last_shown > i or not line_edges
            part = escape_inline(_squeeze(part), before, after, follows)
            if not part:
                continue
        if out:
            if part[0] == " " and out[-1][-1] == " ":
                part = part[1:]  # HTML shows one space where two pieces each bring one
                if not part:
                    continue
            if isinstance(part, _Emphasis) or isinstance(out[-1], _Emphasis):
                out[-1], part = _flanking(out[-1], part)
        if part:
            out.append(part)
    return "".join(out)


_PLAIN_PUNCT = r"[.,:;!?'\"„“”‘’«»…\-–—/]"
_CLOSING = re.compile(r"^(\*\*|\*|~~)(.*?)(" + _PLAIN_PUNCT + r"+)(\*\*|\*|~~)$", re.S)
_OPENING = re.compile(r"^(\*\*|\*|~~)((?:(?!!\[)" + _PLAIN_PUNCT + r")+)(.*?)(\*\*|\*|~~)$", re.S)


def _flanking(left: str, right: str) -> tuple[str, str]:
    """CommonMark cannot close `**x:**` before a letter, nor open `**:x**` after one. Plain
    punctuation moves outside the marks (`**x**:y`); when that is not enough (CJK text, where
    `的**《书》**和` has no space to flank the run), the run is written as HTML (`<strong>`),
    which needs no flanking and keeps the emphasis."""
    if isinstance(left, _Emphasis) and right[:1].isalnum() and not left.closes_before_letter():
        m = _CLOSING.match(left)
        if m and m.group(2).strip() and not m.group(2)[-1:].isspace():
            left = _Emphasis(m.group(1) + m.group(2) + m.group(4), left.inner_text) + m.group(3)
        else:
            left = left.as_html()
    if isinstance(right, _Emphasis) and left[-1:].isalnum() and not right.opens_after_letter():
        m = _OPENING.match(right)
        if m and m.group(3).strip() and not m.group(3)[:1].isspace():
            right = m.group(2) + _Emphasis(m.group(1) + m.group(3) + m.group(4), right.inner_text)
        else:
            right = right.as_html()
    return left, right


# brackets of a link's text while it converts (noncharacters: never shown, so never in real text)
_BRACKET_MARKS = str.maketrans({"[": "\ufdd0", "]": "\ufdd1"})
_BRACKET_ESCAPES = str.maketrans({"\ufdd0": "\\[", "\ufdd1": "\\]"})


class _Emphasis(str):
    """`**text**`, `*text*` or `~~text~~`, knowing its inner text for when the marks cannot stay."""

    inner_text: str

    def __new__(cls, value: str, inner_text: str):
        obj = super().__new__(cls, value)
        obj.inner_text = inner_text
        return obj

    def as_html(self) -> str:
        """The run as inline HTML (its content stays Markdown: pulldown-cmark reads inside it)."""
        tag = "strong" if self.startswith("**") else "del" if self.startswith("~~") else "em"
        return f"<{tag}>{self.inner_text}</{tag}>"

    def closes_before_letter(self) -> bool:
        inner = self.rstrip("*~")
        return bool(inner) and (inner[-1].isalnum() or inner[-1] == "_")

    def opens_after_letter(self) -> bool:
        inner = self.lstrip("*~")
        return bool(inner) and (inner[0].isalnum() or inner[0] == "_")


def _blank_texts(run: list[str]) -> bool:
    """Raw texts only, and only white space: what makes no paragraph (mostly the text between
    blocks), known without resolving and escaping it."""
    return all(isinstance(p, _Text) for p in run) and not "".join(run).strip()


def run_has_text(run: list[str]) -> bool:
    return not _is_blank("".join(run))


def _is_list(block: str) -> bool:
    return bool(re.match(r"^(?:[-*]|\d+[.)])(?: |$)", block))


# blocks of text that, inside a heading, are more of the heading (split_heading)
_TEXT_BLOCKS = {"p", "div", "section", "article", "header", "footer", "center", "address", "hgroup", "h1", "h2", "h3"}
_TEXT_BLOCKS |= {"h4", "h5", "h6", "summary", "figcaption", "caption", "dt", "dd"}
_MAX_START = 999_999_999  # CommonMark: an ordered list marker has at most 9 digits


def _item_count(el) -> int:
    return sum(1 for c in el if isinstance(c.tag, str) and c.tag.lower() == "li")


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else "" for line in text.split("\n"))


def _wrap_as_div(el):
    div = lxml.html.Element("div")
    copy = deepcopy(el)
    copy.tail = None
    div.append(copy)
    return div


class _Without:
    """A view of an element's children without one of them (the <summary> of <details>)."""

    def __init__(self, el, skip):
        self.el, self.skip = el, skip
        self.text = el.text

    def __iter__(self):
        return (c for c in self.el if c is not self.skip)


def _field(value: str | None) -> _Text:
    """A text field as a reader saw it: its text (value or placeholder), or a blank to fill in."""
    text = _WS.sub(" ", value or "").strip()
    return _Text(f"[{text}]" if text else "[______]")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _attrs(el, allowed) -> str:
    parts = []
    for name in allowed:
        value = el.get(name)
        if value is None:
            continue
        parts.append(
            f" {name}"
            if value == ""
            and name
            in (
                "controls",
                "allowfullscreen",
                "loop",
                "autoplay",
                "muted",
                "reversed",
                "open",
                "default",
                "async",
                "defer",
                "playsinline",
            )
            else f' {name}="{_attr(value)}"'
        )
    return "".join(parts)


def _inner_html(el) -> str:
    if el is None:
        return ""
    parts = [html.escape(el.text, quote=False)] if el.text else []
    for child in el:
        parts.append(lxml.html.tostring(child, encoding="unicode", method="html"))
    return escape_html("".join(parts))


def _escape_label(text: str) -> str:
    """Alt text is read as Markdown too: what would change it is escaped (as in any text, and
    every bracket, which could end the label)."""
    return escape_inline(text.translate(_BRACKET_MARKS), "[", "]", False).translate(_BRACKET_ESCAPES)


def _destination(url: str) -> str:
    url = re.sub(r"&(?=#?\w+;)", "&amp;", url.strip()).replace("\\", "%5C")  # no entity or escape inside
    if re.search(r"[\s<>]", url) or url.count("(") != url.count(")"):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _title(title: str | None) -> str:
    if not title or not title.strip():
        return ""
    return ' "' + _WS.sub(" ", title).strip().replace("\\", "\\\\").replace('"', '\\"') + '"'


def _style_align(style: str) -> str:
    m = re.search(r"text-align\s*:\s*(left|center|right)", style)
    return m.group(1) if m else ""


def html_to_markdown(html_text: str, options: Options | None = None) -> tuple[str, dict[str, str]]:
    """Markdown for the HTML, and the footnote labels used (id → label)."""
    converter = Converter(options or Options())
    return converter.convert(parse_html(html_text)), converter.footnotes
