"""Rendered WordPress HTML → one lxml tree, whatever the HTML: a page of any size and depth, damaged
markup, a whole document pasted into a post.

What a browser shows survives parsing:

- Comments other than `<!--more-->` go first (they are invisible; text around them joins). An
  unclosed `<!--` hides the rest of the post, as in a browser.
- `<html>`, `<head>`, `<body>` and doctype tags are taken out: libxml2 drops whatever follows a
  stray `</body>`, and a post that starts with `<html>` but has no body makes lxml fail.
- Nesting. libxml2 stops at 256 levels (2048 with `huge_tree`) and loses everything after; the
  converter recurses per level. A word processor's paste can hold thousands of unclosed `<span>`s.
  So the text is first walked with a model of the parser's open elements, and tags that would open
  deeper than `TEXT_DEPTH` are left out (their text stays); then, in the tree, everything deeper
  than `TREE_DEPTH` is flattened to its text. Content that is not this deep is parsed as written.
  The root then carries `FLATTENED`: how many elements lost their tags.
- A `<![CDATA[ … ]]>` section pasted into a post (from XML, or a feed) is its text: the reader
  sees the words, never `<![CDATA[` or `]]>` (libxml2 would drop the words with the markers).
  Inside `<script>`/`<style>` (the `//<![CDATA[` idiom) and comments it stays as written.
- Lone surrogates (from a decoded `&#xD800;` in JSON) become U+FFFD: lxml cannot encode them.
  Control characters go (lxml refuses them as text outside an element; they are not shown).
"""

from __future__ import annotations

import functools
import re

import lxml.html
from lxml import etree

FLATTENED = "data-wp2zola-flattened"  # on the root: elements whose tags were left out (nesting too deep)
TEXT_DEPTH = 1000  # open elements at most, as the text is parsed (libxml2 gives up at 2048)
TREE_DEPTH = 80  # levels the converter sees at most (it recurses a few frames per level)

_PARSER = lxml.html.HTMLParser(huge_tree=True)
# lxml.html's own lookup is a Python method, called for every element the converter touches; this
# one, in C, gives the same classes but for forms' special ones (FormElement, InputElement, …),
# whose extra methods nothing here uses
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)
_COMMENT_OPEN = "<!--"
_MORE_AHEAD = re.compile(r"\s*more\s*-->")
_DOC_TAGS = re.compile(r"</?(?:html|head|body)(?:\s[^<>]*)?/?>|<!doctype[^<>]*>", re.I)
_DOC_TAG_STARTS = ("<html", "</html", "<head", "</head", "<body", "</body", "<!doctype")
_NOT_XML = re.compile("[\x00\ud800-\udfff]")  # NUL (as libxml2 reads it) and lone surrogates: U+FFFD
_CONTROL = re.compile("[\x01-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
_ASCII_CONTROL = bytes([*range(1, 9), 0x0B, *range(0x0E, 0x20), 0x7F])  # _CONTROL's ASCII characters
_ASCII_SPACE = bytes.maketrans(b"\x0c", b" ")


def parse_html(html_text: str):
    """The HTML as an lxml tree under one `<div>` (None when there is nothing): what the URL
    rewriting pass walks and `Converter.convert` turns into Markdown. Never raises on any str."""
    if not html_text.strip():
        return None
    # invisible, and lxml refuses them in text outside an element; a form feed is a space in HTML
    text = _without_controls(html_text)
    text = without_comments(cdata_as_text(text))
    if _may_have_doc_tags(text):
        text = _DOC_TAGS.sub(" ", text)
    text, dropped = limit_depth(text, TEXT_DEPTH)
    try:
        # the document around it is written here, unclosed: lxml's own wrapper would add
        # `</body></html>`, which an unclosed <textarea> or <plaintext> shows as text
        root = _fragment("<html><body>" + text)
    except (etree.ParserError, ValueError):  # "Document is empty" and the like: keep the words
        root = lxml.html.Element("div")
        root.text = re.sub(r"<[^>]*>", " ", text)
    dropped += flatten_deep(root, TREE_DEPTH)
    if dropped:
        root.set(FLATTENED, str(dropped))
    return root


def _may_have_doc_tags(text: str) -> bool:
    """Whether `_DOC_TAGS` can match: their starts, looked for by `in` in the text lowercased, are
    found faster than the pattern fails (it stops at every "<")."""
    lower = text.lower()
    return any(start in lower for start in _DOC_TAG_STARTS)


def _fragment(html: str):
    """`lxml.html.fragment_fromstring(html, create_parent="div", parser=_PARSER)`, as lxml 6 does it,
    except that the `<div>` is made by `_PARSER` too: the tree then keeps `_PARSER`'s lookup (the
    elements moved into lxml's own `<div>` would take its document's, the slow one)."""
    doc = lxml.html.document_fromstring(html, parser=_PARSER)
    assert doc.tag == "html"  # lxml's checks, and its message (an item that fails says it)
    bodies = [e for e in doc if e.tag == "body"]
    assert len(bodies) == 1, f"too many bodies: {bodies!r} in {html!r}"
    root = _PARSER.makeelement("div")
    if bodies[0].text and bodies[0].text.strip():
        root.text = bodies[0].text
    root.extend(bodies[0])
    return root


def _without_controls(text: str) -> str:
    """`_NOT_XML` replaced, `_CONTROL` removed, form feeds made spaces. Text without NUL or lone
    surrogates (nearly all) is done on its UTF-8 bytes, where an ASCII control character is never
    part of another character: a few passes in C instead of two regex scans."""
    try:
        data = text.encode()
    except UnicodeEncodeError:  # a lone surrogate
        data = b"\x00"
    if b"\x00" in data:
        return _CONTROL.sub("", _NOT_XML.sub("\ufffd", text)).replace("\x0c", " ")
    text = data.translate(_ASCII_SPACE, _ASCII_CONTROL).decode()
    if "\ufffe" in text or "\uffff" in text:
        text = text.replace("\ufffe", "").replace("\uffff", "")
    return text


def without_comments(text: str) -> str:
    """The text without its `<!-- … -->` comments, except `<!--more-->` (also with spaces inside),
    as `re.sub(r"<!--(?!\\s*more\\s*-->).*?-->", "", text, flags=re.S)` gives it — in linear time:
    once a comment has no `-->` after it, no later one has."""
    if _COMMENT_OPEN not in text:
        return text
    out: list[str] = []
    pos = 0  # where the text not yet copied starts
    search = 0
    while True:
        start = text.find(_COMMENT_OPEN, search)
        if start < 0:
            break
        if _MORE_AHEAD.match(text, start + 4):
            search = start + 4
            continue
        end = text.find("-->", start + 4)
        if end < 0:
            break
        out.append(text[pos:start])
        pos = search = end + 3
    out.append(text[pos:])
    return "".join(out)


_CDATA_OR_SKIPPED = re.compile(r"<!\[CDATA\[|<!--|<(script|style)\b", re.I)
_SKIPPED_END = {"script": re.compile(r"</script", re.I), "style": re.compile(r"</style", re.I)}


def cdata_as_text(text: str) -> str:
    """Every CDATA section outside comments, scripts and styles replaced by its text, escaped (an
    unclosed one runs to the end of the text). Linear: one forward scan."""
    if "<![" not in text:
        return text
    out: list[str] = []
    pos = 0
    while True:
        m = _CDATA_OR_SKIPPED.search(text, pos)
        if m is None:
            break
        if m.group(1):  # a script or style: its text is code, CDATA markers included
            closing = _SKIPPED_END[m.group(1).lower()].search(text, m.end())
            if closing is None:
                break
            out.append(text[pos : closing.end()])
            pos = closing.end()
        elif m.group(0) == "<!--":
            end = text.find("-->", m.end())
            if end < 0:
                break
            out.append(text[pos : end + 3])
            pos = end + 3
        else:
            end = text.find("]]>", m.end())
            inner = text[m.end() : end if end >= 0 else len(text)]
            out.append(text[pos : m.start()])
            out.append(inner.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            pos = end + 3 if end >= 0 else len(text)
    out.append(text[pos:])
    return "".join(out)


# --- the text-level depth limit ----------------------------------------------------------------------

_VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_RAW_TEXT = frozenset(["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"])
# what libxml2 lets a misplaced end tag close: not across an element of higher priority
_END_PRIORITY = {
    "div": 150,
    "td": 160,
    "th": 160,
    "tr": 170,
    "thead": 180,
    "tbody": 180,
    "tfoot": 180,
    "table": 190,
}
# a start tag closes the open element on top while it is one of these (libxml2's htmlAutoClose,
# the cases that matter for depth: paragraphs, list items, cells, options)
_CLOSES_P = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "details",
        "dir",
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
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "ul",
    ]
)
# elements whose tags, once left out, must still keep the words on either side apart
_BLOCKISH = (_CLOSES_P - {"dir"}) | {"br", "caption", "dialog", "tbody", "td", "tfoot", "th", "thead", "tr"}
_AUTO_CLOSE = {
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "tr": frozenset({"td", "th", "tr"}),
    "option": frozenset({"option"}),
    "thead": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "tbody": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "tfoot": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
}
_MARKUP = re.compile(r"<(?:(!--)|(/?)([A-Za-z][^\s/>]*)|[!?])")
_RAW_END: dict[str, re.Pattern[str]] = {}


class _OpenElements:
    """A model of the parser's stack of open elements: enough to tell how deep a tag would open.
    Every lookup is O(1) (one list of stack positions per name and per end priority), so a post of
    50,000 unclosed tags is walked in linear time."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.kept: list[bool] = []
        self.depth = 0  # kept elements open
        self.where: dict[str, list[int]] = {}
        self.priority: dict[int, list[int]] = {p: [] for p in set(_END_PRIORITY.values())}
        # for each end priority, the stacks of the higher ones (what `closable` looks at)
        self.higher = {
            mine: [pos for p, pos in self.priority.items() if p > mine] for mine in {100, *_END_PRIORITY.values()}
        }

    def push(self, name: str, kept: bool) -> None:
        self.where.setdefault(name, []).append(len(self.names))
        if name in _END_PRIORITY:
            self.priority[_END_PRIORITY[name]].append(len(self.names))
        self.names.append(name)
        self.kept.append(kept)
        self.depth += kept

    def pop(self) -> None:
        name = self.names.pop()
        self.where[name].pop()
        if name in _END_PRIORITY:
            self.priority[_END_PRIORITY[name]].pop()
        self.depth -= self.kept.pop()

    def top(self) -> str:
        return self.names[-1] if self.names else ""

    def closable(self, name: str) -> int:
        """The stack position an end tag `</name>` closes, or -1 when the parser ignores it."""
        at = self.where.get(name)
        if not at:
            return -1
        index = at[-1]
        for pos in self.higher[_END_PRIORITY.get(name, 100)]:
            if pos and pos[-1] > index:
                return -1
        return index


def limit_depth(text: str, limit: int) -> tuple[str, int]:
    """The text with every tag left out that would open an element deeper than `limit` (with its
    end tag), and how many elements that was. Text that never gets that deep is returned as it is."""
    # each element opened takes a "<": while the elements open and the "<" left cannot reach the
    # limit, and none was left out, the text is returned as it is (most text, long before its end)
    ahead = text.count("<")
    if ahead <= limit:
        return text, 0
    stack = _OpenElements()
    cuts: list[tuple[int, int, str]] = []  # (start, end, replacement) of tags left out
    left_out = 0
    pos = 0
    length = len(text)
    while True:
        if len(stack.names) + ahead <= limit and not cuts:
            return text, 0
        ahead -= 1  # at least the "<" found next is behind
        m = _MARKUP.search(text, pos)
        if m is None:
            break
        if m.group(1):  # a comment (only <!--more--> is left): to its end, or to the end of the text
            end = text.find("-->", m.end())
            if end < 0:
                break
            pos = end + 3
            continue
        close = text.find(">", m.end())
        if close < 0:
            break  # a tag that never ends: the parser makes nothing of the rest
        pos = close + 1
        if m.group(3) is None:  # <!…> or <?…>: a bogus comment up to ">"
            continue
        name = m.group(3).lower()
        if m.group(2):  # an end tag
            index = stack.closable(name)
            if index < 0:
                continue
            kept = stack.kept[index]
            while len(stack.names) > index:
                stack.pop()
            if not kept:
                cuts.append((m.start(), pos, " " if name in _BLOCKISH else ""))
            continue
        closes_p, auto_close = name in _CLOSES_P, _AUTO_CLOSE.get(name, ())
        while (closes_p and stack.top() == "p") or stack.top() in auto_close:
            stack.pop()
        if name in _VOID or text[close - 1] == "/":
            continue
        kept = stack.depth < limit
        if not kept:
            cuts.append((m.start(), pos, " " if name in _BLOCKISH else ""))
            left_out += 1
        if name in _RAW_TEXT:  # its content is text, not markup, up to its end tag
            end_tag = _RAW_END.setdefault(name, re.compile(f"</{name}", re.I))
            found = end_tag.search(text, pos)
            if found is None:
                break
            pos = found.start()
        stack.push(name, kept)
    if not cuts:
        return text, 0
    out: list[str] = []
    last = 0
    for start, end, replacement in cuts:
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:length])
    return "".join(out), left_out


# --- the tree-level depth limit ----------------------------------------------------------------------

_HIDDEN = frozenset({"script", "style", "template", "noscript", "head", "title"})


_SHALLOW = 8  # levels most posts never reach


@functools.cache
def _at_depth(depth: int) -> etree.XPath:
    """The elements `depth` levels below the context element."""
    return etree.XPath("/".join(["*"] * depth))


def flatten_deep(root, limit: int) -> int:
    """Every element at depth `limit` below the root keeps its text and the text of everything in
    it, in order, but no child elements: the tree is at most `limit + 1` levels deep. Block
    boundaries become spaces; script and style text stays invisible. Returns the elements removed."""
    removed = 0
    if limit > _SHALLOW and not _at_depth(_SHALLOW)(root):
        return 0  # nothing that deep, so nothing deeper (the shorter path is quicker to evaluate)
    for el in _at_depth(limit)(root):  # found in C: walking every element in Python costs more
        if not len(el):
            continue
        pieces = [el.text or ""]
        hidden = 0  # inside a script, style or comment
        for event, node in etree.iterwalk(el, events=("start", "end")):
            if node is el:
                continue
            tag = node.tag if isinstance(node.tag, str) else ""
            if event == "start":
                removed += 1
                invisible = not tag or tag in _HIDDEN
                hidden += invisible
                if not hidden and node.text:
                    pieces.append(node.text)
                if tag in _BLOCKISH:
                    pieces.append(" ")
            else:
                hidden -= not tag or tag in _HIDDEN
                if tag in _BLOCKISH:
                    pieces.append(" ")
                if not hidden and node.tail:
                    pieces.append(node.tail)
        for child in list(el):
            el.remove(child)
        el.text = "".join(pieces)
    return removed
