"""Stream a WXR file as fragments: one per channel child (author, term, …) and one per item.

WordPress exports are often not well-formed XML (junk before `<?xml`, control characters, raw `&`,
a literal `]]>` inside CDATA, undeclared prefixes, truncated files; wordpress.md §1.9). A single
XML parse fails at the first of these and loses everything after it. So a light byte scanner finds
the element boundaries (it understands CDATA, comments, tags and quotes, nothing more), each fragment
is repaired at text level and then parsed on its own by lxml with a hardened parser. One damaged item
costs that item only, and memory holds one fragment at a time.
"""

from __future__ import annotations

import codecs
import html.entities
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

BLOCK = 1 << 20

# Namespaces for prefixes that old or hand-made files use without declaring them.
DEFAULT_NAMESPACES = {
    "wp": "http://wordpress.org/export/1.2/",
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "atom": "http://www.w3.org/2005/Atom",
}

_ITEM_TOKEN = re.compile(rb"<!\[CDATA\[|<!--|<\?|<!|<(/?)(?:[A-Za-z_][\w.-]*:)?item(?=[\s/>])")
_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_XMLNS = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_C1 = re.compile("[\x80-\x9f]")
_AMP = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*);|#([0-9]+);|#[xX]([0-9A-Fa-f]+);)?")
_PREFIX_USE = re.compile(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]|\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=True)
_RECOVER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, recover=True)


@dataclass
class Fragment:
    """One channel child (`kind` "channel") or one `<item>` (`kind` "item"), parsed."""

    kind: str
    line: int
    element: etree._Element | None  # None when damaged beyond repair
    problems: list[str] = field(default_factory=list)  # what was repaired, or why it failed
    damaged: bool = False


@dataclass
class _Raw:
    kind: str
    line: int
    data: bytes
    scope: dict[str, str]
    truncated: str = ""


class Scanner:
    """Finds fragment boundaries in a byte stream, reading it block by block."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.buf = b""
        self.line = 1  # the line number at buf[counted]
        self.counted = 0
        self.eof = False
        self.encoding = "utf-8"
        self.notes: list[tuple[int, str]] = []  # file-level repairs: (line, message)
        self.saw_wxr = self.saw_channel = self.root_is_rss = False

    # -- buffer -------------------------------------------------------------------------------
    def _more(self) -> bool:
        if self.eof:
            return False
        data = self.stream.read(BLOCK)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _find(self, needle: bytes, start: int) -> int:
        while True:
            i = self.buf.find(needle, start)
            if i >= 0:
                return i
            start = max(start, len(self.buf) - len(needle))
            if not self._more():
                return -1

    def _line(self, pos: int) -> int:
        """Line number at pos; positions asked for only grow, so each byte is counted once."""
        self.line += self.buf.count(b"\n", self.counted, pos)
        self.counted = pos
        return self.line

    def _drop(self, pos: int) -> int:
        """Forget the buffer before pos once that is more than a block (copying less often);
        returns where pos now is."""
        if pos < BLOCK:
            return pos
        self._line(pos)
        self.buf = self.buf[pos:]
        self.counted = 0
        return 0

    def _tag_at(self, i: int) -> re.Match | None:
        m = _TAG.match(self.buf, i)
        if m is None and not self.eof and self._find(b">", i + 1) >= 0:
            m = _TAG.match(self.buf, i)  # the tag was cut by the end of a block
        return m

    def _skip_special(self, i: int) -> int | None:
        """If a comment, CDATA section, PI or doctype starts at i, the index after it (-1: the file ends first)."""
        for opener, closer in ((b"<![CDATA[", b"]]>"), (b"<!--", b"-->"), (b"<?", b"?>")):
            while len(self.buf) < i + len(opener) and self._more():
                pass
            if self.buf.startswith(opener, i):
                end = self._find(closer, i + len(opener))
                return -1 if end < 0 else end + len(closer)
        if self.buf.startswith(b"<!", i):  # DOCTYPE: never loaded, dropped with its subset
            end = self._find(b">", i)
            bracket = self.buf.find(b"[", i, end if end >= 0 else None)
            if bracket >= 0:
                end = self._find(b"]>", bracket)
                self.notes.append(
                    (self._line(i), "DOCTYPE with an internal subset ignored (entities are never expanded)")
                )
                return -1 if end < 0 else end + 2
            return -1 if end < 0 else end + 1
        return None

    # -- start of file ------------------------------------------------------------------------
    def _skip_junk(self) -> int:
        self._more()
        if self.buf.startswith(b"\xef\xbb\xbf"):
            self.buf = self.buf[3:]
        head = self.buf[:65536]
        decl = head.find(b"<?xml")
        if decl >= 0:
            start = decl
        else:  # no declaration: the document starts at its first comment or element
            starts = [
                p
                for p in (head.find(b"<!--"), head.find(b"<rss"), head.find(b"<channel"), head.find(b"<item"))
                if p >= 0
            ]
            if not starts:
                return 0
            start = min(starts)
        junk = head[:start]
        if junk.strip() or (junk and decl >= 0):
            what = "blank lines" if not junk.strip() else f"{len(junk)} bytes of non-XML text"
            self.notes.append((1, f"skipped {what} before the XML start"))
        m = _ENCODING.search(self.buf, start, start + 200) if self.buf.startswith(b"<?xml", start) else None
        if m:
            self.encoding = m.group(1).decode("ascii").lower()
        return start

    # -- main loop ----------------------------------------------------------------------------
    def fragments(self) -> Iterator[_Raw]:
        yield from self._fragments()
        if self.root_is_rss and not self.saw_channel:
            self.notes.append(
                (self._line(len(self.buf)), "no <channel> element inside <rss>: only <item> elements could be read")
            )

    def _fragments(self) -> Iterator[_Raw]:
        pos = self._skip_junk()
        stack: list[tuple[str, dict[str, str]]] = []  # (local name, xmlns declarations)
        while True:
            m = self._next_tag(pos)
            if m is None:
                return
            i = m.start()
            closing, qname, rest = m.group(1), m.group(2).decode("utf-8", "replace"), m.group(3)
            local = qname.rsplit(":", 1)[-1]
            if closing:
                for depth in range(len(stack) - 1, -1, -1):  # tolerate mismatched end tags
                    if stack[depth][0] == local:
                        del stack[depth:]
                        break
                pos = m.end()
                continue
            empty = rest.rstrip().endswith(b"/")
            parent = stack[-1][0] if stack else ""
            if local in ("rss", "channel", "item"):
                self.saw_wxr = True
            if not stack and local == "rss":
                self.root_is_rss = True
            if local == "channel":
                self.saw_channel = True
            if local == "item" or parent == "channel":
                scope: dict[str, str] = {}
                for _, decls in stack:
                    scope.update(decls)
                kind = "item" if local == "item" else "channel"
                if empty:
                    end, truncated = m.end(), ""
                else:
                    end, truncated = self._fragment_end(m.end(), local, kind)
                line = self._line(i)
                yield _Raw(kind, line, self.buf[i:end], scope, truncated)
                pos = self._drop(end)
                continue
            if not empty:
                decls = {}
                for d in _XMLNS.finditer(rest):
                    decls[(d.group(1) or b"").decode()] = (d.group(2) or d.group(3) or b"").decode("utf-8", "replace")
                stack.append((local, decls))
            pos = m.end()

    def _item_end(self, pos: int) -> tuple[int, str]:
        """Index just after the `</item>` that closes the item started before pos. Only CDATA,
        comments, PIs and item tags matter here, so one regex search skips everything else."""
        while True:
            m = _ITEM_TOKEN.search(self.buf, pos)
            if m is None:
                pos = max(pos, len(self.buf) - 16)  # a token may straddle the end of the block
                if not self._more():
                    return len(self.buf), "the file ends before </item>"
                continue
            token = m.group(0)
            if token.startswith(b"<!") or token == b"<?":
                after = self._skip_special(m.start())
                if after is None:  # "<!" that opens nothing known
                    pos = m.end()
                elif after < 0:
                    return len(self.buf), "the file ends before </item>"
                else:
                    pos = after
            elif m.group(1):  # </item
                end = self._find(b">", m.end())
                return (len(self.buf), "the file ends before </item>") if end < 0 else (end + 1, "")
            else:  # a new item starts: the current one was never closed
                return m.start(), "<item> is not closed before the next <item>"

    def _fragment_end(self, pos: int, local: str, kind: str) -> tuple[int, str]:
        """Index just after the element that started before pos, and why it is cut short if so."""
        if kind == "item":
            return self._item_end(pos)
        depth = 1
        while True:
            m = self._next_tag(pos)
            if m is None:
                return len(self.buf), f"the file ends before </{local}>"
            name = m.group(2).decode("utf-8", "replace").rsplit(":", 1)[-1]
            if m.group(1):
                depth -= 1
                if depth == 0:
                    return m.end(), ""
            elif name == "item":  # a new item starts: the current element was never closed
                return m.start(), f"<{local}> is not closed before the next <item>"
            elif not m.group(3).rstrip().endswith(b"/"):
                depth += 1
            pos = m.end()

    def _next_tag(self, pos: int) -> re.Match | None:
        """The next start or end tag from pos, past comments, CDATA, PIs and stray '<'; None at the end."""
        while True:
            i = self.buf.find(b"<", pos)
            while i < 0:
                if not self._more():
                    return None
                i = self.buf.find(b"<", pos)
            after = self._skip_special(i)
            if after is not None:
                if after < 0:
                    return None
                pos = after
                continue
            m = self._tag_at(i)
            if m:
                return m
            pos = i + 1


def _decode(data: bytes, encoding: str, problems: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if encoding not in ("utf-8", "utf8"):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    problems.append("bytes that are not UTF-8 were read as Windows-1252")
    return data.decode("utf-8", errors="wp2zola-cp1252")


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeDecodeError):  # registered for decoding only
        raise err
    bad = err.object[err.start : err.end]
    return bad.decode("cp1252", errors="replace"), err.end


codecs.register_error("wp2zola-cp1252", _cp1252_fallback)


def _fix_amp(text: str, counts: dict[str, int]) -> str:
    def repl(m: re.Match) -> str:
        name, dec, hexa = m.groups()
        if name is None and dec is None and hexa is None:
            counts["amp"] += 1
            return "&amp;"
        if name is not None and name not in _XML_ENTITIES:
            char = html.entities.html5.get(name + ";")
            if not char:
                counts["amp"] += 1
                return "&amp;" + name + ";"
            counts["entity"] += 1
            return "".join(f"&#{ord(c)};" for c in char)
        if dec is not None or hexa is not None:
            code = int(dec) if dec is not None else int(hexa, 16)
            if not _is_xml_char(code):
                counts["charref"] += 1
                return ""
        return m.group(0)

    return _AMP.sub(repl, text)


def _is_xml_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


_CDATA_OR_COMMENT = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.S)
_XMLNS_VALUE = re.compile(r"""(xmlns(?::[\w.-]+)?\s*=\s*)(["'])([^"']*[^\x00-\x7f][^"']*)\2""")
_XMLNS_PREFIX = re.compile(r"xmlns:([\w.-]+)\s*=")
_SPECIAL = re.compile(r"<!\[CDATA\[|<!--")
_SPACES = re.compile(r"\s*")
_CDATA_REAL_END = re.compile(r"\]\]>(?=\s*</)")
_OPEN_TAG_BEFORE = re.compile(r"<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>\s*$")


def _cdata_ends_at(text: str, pos: int, owner: str | None) -> bool:
    """Whether a CDATA section may really end before pos: what follows is more CDATA, the end of
    the fragment, or the closing tag of the element it sits in (any closing tag if that is unknown)."""
    m = _SPACES.match(text, pos)  # `\s*` always matches
    p = m.end() if m else pos
    if p == len(text) or text.startswith("<![CDATA[", p):
        return True
    if not text.startswith("</", p):
        return False
    return owner is None or re.match(r"</" + re.escape(owner) + r"\s*>", text[p : p + len(owner) + 40]) is not None


def repair(text: str, problems: list[str]) -> str:
    """Make one fragment's text well-formed where the damage is of a known kind."""
    text, n = _ILLEGAL.subn("", text)
    if n:
        problems.append(f"{n} character(s) not allowed in XML removed")
    text, n = _XMLNS_VALUE.subn(
        lambda m: m.group(1) + m.group(2) + urllib.parse.quote(m.group(3), safe=":/?#[]@!$&'()*+,;=%~") + m.group(2),
        text,
    )
    if n:
        problems.append(f"{n} namespace URI(s) with non-ASCII characters percent-encoded")
    counts = {"amp": 0, "entity": 0, "charref": 0, "cdata": 0}
    out: list[str] = []
    pos = 0
    while True:
        m = _SPECIAL.search(text, pos)
        if not m:
            out.append(_fix_amp(text[pos:], counts))
            break
        out.append(_fix_amp(text[pos : m.start()], counts))
        if m.group(0) == "<!--":
            end = text.find("-->", m.end())
            end = len(text) if end < 0 else end + 3
            out.append(text[m.start() : end])
            pos = end
            continue
        end = text.find("]]>", m.end())
        if end < 0:
            out.append(text[m.start() :])
            break
        owner = _OPEN_TAG_BEFORE.search(text[max(0, m.start() - 400) : m.start()])
        closing = re.compile(r"\]\]>(?=\s*</" + re.escape(owner.group(1)) + r"\s*>)") if owner else _CDATA_REAL_END
        if not _cdata_ends_at(text, end + 3, owner.group(1) if owner else None):
            # a literal "]]>" inside the value (pre-3.4 exporters, e.g. `//]]></script>`): the value
            # ends at the "]]>" that is followed by its element's own closing tag
            real = closing.search(text, end + 3)
            if real:
                body = text[m.end() : real.start()]
                out.append("<![CDATA[" + body.replace("]]>", "]]]]><![CDATA[>") + "]]>")
                counts["cdata"] += 1
                pos = real.end()
                continue
        out.append(text[m.start() : end + 3])
        pos = end + 3
    if counts["amp"]:
        problems.append(f"{counts['amp']} raw '&' escaped")
    if counts["entity"]:
        problems.append(f"{counts['entity']} HTML entity reference(s) resolved")
    if counts["charref"]:
        problems.append(f"{counts['charref']} reference(s) to characters not allowed in XML removed")
    if counts["cdata"]:
        problems.append("a literal ']]>' inside CDATA kept as text")
    return "".join(out)


def _with_undeclared(text: str, scope: dict[str, str], problems: list[str]) -> dict[str, str]:
    """The scope plus a namespace for each prefix the fragment uses without declaring it."""
    decls = dict(scope)
    undeclared = set()
    declared_inside = {m.group(1) for m in _XMLNS_PREFIX.finditer(text)}
    for m in _PREFIX_USE.finditer(_CDATA_OR_COMMENT.sub("", text)):
        prefix = m.group(1) or m.group(2)
        if prefix not in decls and prefix not in declared_inside and prefix not in ("xmlns", "xml"):
            decls[prefix] = DEFAULT_NAMESPACES.get(prefix, f"urn:wp2zola:undeclared:{prefix}")
            undeclared.add(prefix)
    if undeclared:
        problems.append("undeclared namespace prefix(es) " + ", ".join(sorted(undeclared)) + " assumed")
    return decls


def _wrap(text: str, decls: dict[str, str]) -> str:
    attrs = "".join(
        f' xmlns="{_attr(uri)}"' if not prefix else f' xmlns:{prefix}="{_attr(uri)}"'
        for prefix, uri in sorted(decls.items())
    )
    return f"<wp2zola-fragment{attrs}>{text}</wp2zola-fragment>"


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def parse_fragment(raw: _Raw, encoding: str) -> Fragment:
    problems: list[str] = []
    text = _decode(raw.data, encoding, problems)
    text, n = _C1.subn(lambda m: bytes([ord(m.group(0))]).decode("cp1252", "ignore"), text)
    if n:
        problems.append(f"{n} C1 control character(s) read as Windows-1252")
    if not raw.truncated:  # most fragments are well-formed as they are: try that first
        try:
            root = etree.fromstring(_wrap(text, raw.scope), _PARSER)
            return Fragment(raw.kind, raw.line, root[0] if len(root) else None, problems)
        except etree.XMLSyntaxError:
            pass
    text = repair(text, problems)
    wrapped = _wrap(text, _with_undeclared(text, raw.scope, problems))
    if raw.truncated:
        problems.append(raw.truncated)
    try:
        root = etree.fromstring(wrapped, _PARSER)
    except etree.XMLSyntaxError as err:
        if not raw.truncated:
            line = raw.line + (err.lineno or 1) - 1
            problems.append(f"XML error at line {line}: {_reason(err)}")
        root = etree.fromstring(wrapped, _RECOVER)
        element = root[0] if root is not None and len(root) else None
        return Fragment(raw.kind, raw.line, element, problems, damaged=True)
    if raw.truncated:
        return Fragment(raw.kind, raw.line, root[0] if len(root) else None, problems, damaged=True)
    return Fragment(raw.kind, raw.line, root[0] if len(root) else None, problems)


def _reason(err: etree.XMLSyntaxError) -> str:
    msg = str(err.msg or err)
    return re.sub(r",? line \d+, column \d+.*$", "", msg).strip()
