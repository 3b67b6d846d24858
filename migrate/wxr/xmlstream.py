"""Stream a WXR file as fragments: one per channel child (author, term, …) and one per item.

WordPress exports are often not well-formed XML (junk before `<?xml`, control characters, raw `&`,
a literal `]]>` inside CDATA, undeclared prefixes, truncated files; wordpress.md §1.9). A single
XML parse fails at the first of these and loses everything after it. So a light byte scanner finds
the element boundaries (it understands CDATA, comments, tags and quotes, nothing more), each fragment
is repaired at text level and then parsed on its own by lxml with a hardened parser. One damaged item
costs that item only, and memory holds one fragment at a time.

So that damage stays in its fragment, a comment, PI, DOCTYPE or CDATA section must be closed before
the next `<item>`, `</item>` or channel tag (a CDATA value may hold such markup as text only when its
`]]>` is followed by its element's end tag): an opener that is not is read as text, and every later
item is still found.
"""

from __future__ import annotations

import codecs
import html.entities
import re
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

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
# No "<" inside a tag, quoted or not (XML forbids it): a stray "<" or an unbalanced quote then costs
# one tag, not everything up to the next quote or ">" (which may be items away).
_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)((?:[^<>\"']|\"[^<\"]*\"|'[^<']*')*)>")
# Where a comment, PI, DOCTYPE or CDATA section opened outside an item's value must have ended:
# an item or channel tag. A special not closed before it is damage of its own fragment only.
_BOUNDARY = re.compile(rb"</?(?:[A-Za-z_][\w.-]*:)?(?:item|channel)(?=[\s/>])")
# An item's body of the common kind: text, tags, and CDATA sections that hold no other opener and no
# item or channel tag. Over such a body the careful walk of _item_end takes every CDATA section to its
# first "]]>" and ends at the first "</item>"; one possessive match (no backtracking) finds the same end.
_NAME_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_PLAIN_ITEM_BODY = re.compile(
    rb"(?:[^<]++|<(?![!?]|/?" + _NAME_PREFIX + rb"item(?=[\s/>]))"
    rb"|<!\[CDATA\[(?:[^\]<]++|\](?!\]>)|<(?!!\[CDATA\[|/?" + _NAME_PREFIX + rb"(?:item|channel)(?=[\s/>])))*+\]\]>)*+"
)
_ITEM_CLOSE = re.compile(rb"</" + _NAME_PREFIX + rb"item\s*>")
_CDATA_AFTER = re.compile(rb"\]\]>\s*(?:(<!\[CDATA\[)|</([A-Za-z_][\w.:-]*)\s*>)")
_START_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>")
_DECL_STOP = re.compile(rb"[\[<>]")
_BSPACES = re.compile(rb"\s*")
_STRAY = -2  # _special_end: an opener that is not closed where it must be, read as text
_XMLNS = re.compile(rb"""xmlns(?::([\w.-]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_C1 = re.compile("[\x80-\x9f]")
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")  # a C1 control character, encoded
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
    # text-level fixes the scanner decided on: (offset in data, bytes replaced, replacement, what)
    fixes: list[tuple[int, int, bytes, str]] = field(default_factory=list)
    ordinal: int = 0  # the fragment's index in the file: two items on one line are still two


class _Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


class _Utf8From:
    """A UTF-16 stream read as UTF-8, block by block: the scanner's byte patterns are ASCII."""

    def __init__(self, stream: _Readable, encoding: str):
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def convert(self, data: bytes) -> bytes:
        return self.decoder.decode(data).encode("utf-8")

    def read(self, n: int, /) -> bytes:
        while True:
            data = self.stream.read(n)
            out = self.decoder.decode(data, final=not data).encode("utf-8")
            if out or not data:  # a lone byte decodes to nothing yet: read on
                return out


def _utf16(head: bytes) -> str | None:
    """The codec of a UTF-16 file (by its BOM, or by '<' and '?' as 16-bit units), or None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not head.startswith(b"\xff\xfe\x00\x00"):
        return "utf-16"  # the codec reads the BOM and drops it
    if head.startswith(b"<\x00") and head[3:4] == b"\x00":
        return "utf-16-le"
    if head.startswith(b"\x00<") and head[2:3] == b"\x00":
        return "utf-16-be"
    return None


_INF = 1 << 62


class Scanner:
    """Finds fragment boundaries in a byte stream, reading it block by block."""

    def __init__(self, stream: BinaryIO):
        self.stream: _Readable = stream
        self.buf = b""
        self.base = 0  # bytes dropped from the front of buf so far (absolute position of buf[0])
        self.line = 1  # the line number at buf[counted]
        self.counted = 0
        self.eof = False
        self.encoding = "utf-8"
        self.notes: list[tuple[int, str]] = []  # file-level repairs: (line, message)
        self.saw_wxr = self.saw_channel = self.root_is_rss = False
        self.ordinal = 0
        # what the scan found to fix or say, by absolute position: (pos, length, replacement or None, what)
        self._pending: deque[tuple[int, int, bytes | None, str]] = deque()
        # _first's memory per needle: (lo, hi, hit): no match starts in [lo, hi); hit == hi is the
        # first match at or after lo, or -1 when what lies beyond hi is not known (hi == _INF: nothing)
        self._memo: dict[bytes | re.Pattern[bytes], tuple[int, int, int]] = {}
        self._cdata_run = (-1, -1)  # (end, first opener) of the last CDATA sections, absolute
        self._value_memo: tuple[int, bytes | None] = (-1, None)

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

    def _first(self, key: bytes | re.Pattern[bytes], start: int, stop: int | None = None) -> int:
        """Where `key` (bytes or a pattern) first starts at or after `start`, before `stop` (None: anywhere,
        reading on); -1 if nowhere. The answer is remembered: after an unclosed opener the same question
        comes again from the next opener, and searching the same bytes again each time would make 100,000
        unclosed `<!--` quadratic."""
        base = self.base
        s = start + base
        lo, hi, hit = self._memo.get(key, (_INF, _INF, -1))
        if lo <= s <= hi:
            if hit >= 0:
                return hit - base if stop is None or hit < stop + base else -1
            if stop is not None and stop + base <= hi:
                return -1
            at = hi  # known to be clear up to hi: search on from there
        else:
            lo = at = s
        size = len(key) if isinstance(key, bytes) else 16  # how far a match may straddle the end of the buffer
        while True:
            a = at - base
            if isinstance(key, bytes):
                end = len(self.buf) if stop is None else min(len(self.buf), stop + len(key) - 1)
                found = self.buf.find(key, a, end)
            else:
                m = key.search(self.buf, a)
                found = m.start() if m and (stop is None or m.start() < stop) else -1
            if found >= 0:
                self._memo[key] = (lo, found + base, found + base)
                return found
            if stop is not None:
                self._memo[key] = (lo, stop + base, -1)
                return -1
            at = max(at, base + len(self.buf) - size + 1)
            if not self._more():
                self._memo[key] = (lo, _INF, -1)
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
        self.base += pos
        self.counted = 0
        return 0

    def _tag_at(self, i: int) -> re.Match | None:
        m = _TAG.match(self.buf, i)
        if m is None and not self.eof and self._find(b">", i + 1) >= 0:
            m = _TAG.match(self.buf, i)  # the tag was cut by the end of a block
        return m

    # -- comments, CDATA, PIs, DOCTYPE ------------------------------------------------------------
    def _special_end(self, i: int) -> int | None:
        """If a comment, CDATA section, PI or doctype starts at i, the index after it; None if none
        starts there; -1 if the file ends inside it; _STRAY if it is not closed where it must be (the
        opener is then text: recorded, to be escaped in its fragment or reported)."""
        while len(self.buf) < i + 9 and self._more():
            pass
        if self.buf.startswith(b"<![CDATA[", i):
            end = self._cdata_end(i)
        elif self.buf.startswith(b"<!--", i):
            end = self._comment_end(i)
        elif self.buf.startswith(b"<?", i):
            end = self._closed_before(i, b"?>", i + 2)
        elif self.buf.startswith(b"<!", i):
            end = self._decl_end(i)
        else:
            return None
        if end == _STRAY:
            opener = next(o for o in ("<![CDATA[", "<!--", "<?", "<!") if self.buf.startswith(o.encode(), i))
            self._pending.append((i + self.base, 1, b"&lt;", f"unclosed '{opener}' read as text"))
        return end

    def _limit(self, i: int) -> int | None:
        """Where a PI, comment or DOCTYPE subset opened at i must be closed: before the next item or
        channel tag and before the next CDATA section (neither is ever inside one). None: the file ends first."""
        boundary = self._first(_BOUNDARY, i + 1)
        cdata = self._first(b"<![CDATA[", i + 2, boundary if boundary >= 0 else None)
        return cdata if cdata >= 0 else boundary if boundary >= 0 else None

    def _closed_before(self, i: int, closer: bytes, start: int) -> int:
        limit = self._limit(i)
        end = self._first(closer, start, limit)
        if end >= 0:
            return end + len(closer)
        return -1 if limit is None else _STRAY

    def _comment_end(self, i: int) -> int:
        # a well-formed comment ends at its first "--" (this keeps a commented-out <item> a comment);
        # only a comment with "--" inside falls back to the nearer limit of the other specials
        dashes = self._first(b"--", i + 4)
        if dashes < 0:
            return -1 if self._first(_BOUNDARY, i + 1) < 0 else _STRAY
        while len(self.buf) < dashes + 3 and self._more():
            pass
        if self.buf.startswith(b"-->", dashes):
            return dashes + 3
        return self._closed_before(i, b"-->", i + 4)

    def _decl_end(self, i: int) -> int:
        """A DOCTYPE (never loaded, dropped with its subset) or other "<!" markup: ends at the first
        ">" unless a "<" comes first; an internal subset ends at "]>"."""
        stop = self._first(_DECL_STOP, i + 2)
        if stop < 0:
            return -1
        char = self.buf[stop : stop + 1]
        if char == b">":
            return stop + 1
        if char == b"<":
            return _STRAY
        end = self._closed_before(i, b"]>", stop)
        if end >= 0:
            self._pending.append(
                (i + self.base, 0, None, "DOCTYPE with an internal subset ignored (entities are never expanded)")
            )
        return end

    def _cdata_end(self, i: int) -> int:
        """A CDATA section's end, if it has one where it must. A value may hold any markup as text,
        "<item>" and "<![CDATA[" too, so the first "]]>" is taken unless the section runs past an item
        or channel tag, or holds another opener: then it is whole only when its "]]>" is followed by
        the end tag of the element it opened in (past the further sections of a split value), or, for
        a held opener, when a later "]]>" is (a literal "]]>" of a pre-3.4 export, which repair()
        mends). Otherwise it was never closed, and its opener is text."""
        close = self._first(b"]]>", i + 9)
        boundary = self._first(_BOUNDARY, i + 1)
        if close < 0:
            return -1 if boundary < 0 else _STRAY
        run_end, run_start = self._cdata_run
        first = run_start if run_end == i + self.base else i + self.base  # a split value: its first section
        crosses = 0 <= boundary < close
        if crosses or self._first(b"<![CDATA[", i + 9, close) >= 0:
            owner = self._owner(first - self.base)
            if owner is None:
                return _STRAY
            if self._value_end(close) != owner:
                if crosses:
                    return _STRAY
                later = re.compile(rb"\]\]>\s*</" + re.escape(owner) + rb"\s*>")
                if not later.search(self.buf, close + 3, boundary if boundary >= 0 else len(self.buf)):
                    return _STRAY
        self._cdata_run = (close + 3 + self.base, first)
        return close + 3

    def _value_end(self, close: int) -> bytes | None:
        """The end tag that follows the CDATA section closed at close, past the further sections of a
        split value; None if something else follows. Remembered for the last close asked about."""
        if self._value_memo[0] == close + self.base:
            return self._value_memo[1]
        at, name = close, None
        while True:
            while len(self.buf) < at + 200 and self._more():
                pass
            after = _CDATA_AFTER.match(self.buf, at)
            if after is None or not after.group(1):
                name = after.group(2) if after else None
                break
            at = self._find(b"]]>", after.end())  # not _first: its memory serves the openers
            if at < 0:
                break
        self._value_memo = (close + self.base, name)
        return name

    def _owner(self, i: int) -> bytes | None:
        """Name of the start tag that ends just before i (spaces aside), if one does."""
        if i < 0:
            return None
        gt = self.buf.rfind(b">", max(0, i - 400), i)
        if gt < 0 or self.buf[gt + 1 : i].strip():
            return None
        lt = self.buf.rfind(b"<", max(0, gt - 400), gt)
        m = _START_TAG.fullmatch(self.buf, lt, gt + 1) if lt >= 0 else None
        return m.group(1) if m else None

    # -- start of file ------------------------------------------------------------------------
    def _skip_junk(self) -> int:
        self._more()
        utf16 = _utf16(self.buf)
        transcoded = utf16 is not None
        if utf16 is not None:
            reader = _Utf8From(self.stream, utf16)
            self.stream = reader
            self.buf = reader.convert(self.buf)
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
        if m and not transcoded:  # a UTF-16 file is UTF-8 by now, whatever it declares
            self.encoding = m.group(1).decode("ascii").lower()
        return start

    # -- main loop ----------------------------------------------------------------------------
    def fragments(self) -> Iterator[_Raw]:
        yield from self._fragments()
        self._flush(len(self.buf))
        if self.root_is_rss and not self.saw_channel:
            self.notes.append(
                (self._line(len(self.buf)), "no <channel> element inside <rss>: only <item> elements could be read")
            )

    def _flush(self, upto: int) -> None:
        """What the scan found before upto, outside any fragment, becomes file-level notes."""
        while self._pending and self._pending[0][0] < upto + self.base:
            pos, _, _, what = self._pending.popleft()
            self.notes.append((self._line(pos - self.base), what))

    def _take(self, start: int, end: int, line: int) -> list[tuple[int, int, bytes, str]]:
        """The fixes found inside the fragment [start, end) (offsets in it); its notes go to notes."""
        fixes = []
        while self._pending:
            pos, length, fix, what = self._pending[0]
            offset = pos - self.base - start
            if offset > end - start or (offset == end - start and length):  # an insert may sit at the very end
                break
            self._pending.popleft()
            if fix is None:
                self.notes.append((line + self.buf.count(b"\n", start, start + offset), what))
            else:
                fixes.append((offset, length, fix, what))
        return fixes

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
                self._flush(i)
                line = self._line(i)
                if empty:
                    end, truncated = m.end(), ""
                else:
                    end, truncated = self._fragment_end(m.end(), local, kind)
                fixes = self._take(i, end, line)
                yield _Raw(kind, line, self.buf[i:end], scope, truncated, fixes, self.ordinal)
                self.ordinal += 1
                pos = self._drop(end)
                continue
            if not empty:
                decls = {}
                for d in _XMLNS.finditer(rest):
                    decls[(d.group(1) or b"").decode()] = (d.group(2) or d.group(3) or b"").decode("utf-8", "replace")
                stack.append((local, decls))
            pos = m.end()

    def _plain_item_end(self, pos: int) -> int | None:
        """Index just after the `</item>` of an item whose body is of the common kind (see
        _PLAIN_ITEM_BODY), found in one match; None for any other, left to the careful walk."""
        for _ in range(8):  # an item larger than a few blocks is rare: then the walk reads on
            m = _PLAIN_ITEM_BODY.match(self.buf, pos)
            end = m.end() if m else pos
            if end + 16 < len(self.buf) or self.eof:  # the match did not stop at the end of the buffer
                close = _ITEM_CLOSE.match(self.buf, end)
                return close.end() if close else None
            self._more()
        return None

    def _item_end(self, pos: int) -> tuple[int, str]:
        """Index just after the `</item>` that closes the item started before pos. Only CDATA,
        comments, PIs and item tags matter here, so one regex search skips everything else."""
        plain = self._plain_item_end(pos)
        if plain is not None:
            return plain, ""
        while True:
            m = _ITEM_TOKEN.search(self.buf, pos)
            if m is None:
                pos = max(pos, len(self.buf) - 16)  # a token may straddle the end of the block
                if not self._more():
                    return len(self.buf), "the file ends before </item>"
                continue
            token = m.group(0)
            if token.startswith(b"<!") or token == b"<?":
                after = self._special_end(m.start())
                if after is None:  # "<!" that opens nothing known
                    pos = m.end()
                elif after == _STRAY:
                    pos = m.start() + 1
                elif after < 0:
                    return len(self.buf), "the file ends before </item>"
                else:
                    pos = after
            elif m.group(1):  # </item
                gt = m.end()
                while True:
                    gt = _BSPACES.match(self.buf, gt).end()  # type: ignore[union-attr]  # `\s*` always matches
                    if gt < len(self.buf) or not self._more():
                        break
                if self.buf.startswith(b">", gt):
                    return gt + 1, ""
                # "</item" without its ">" (cut, or followed by the next tag): it still ends the item
                self._pending.append((m.end() + self.base, 0, b">", "'>' added to an end tag </item>"))
                return m.end(), ""
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
            after = self._special_end(i)
            if after is not None:
                if after == -1:
                    return None
                pos = i + 1 if after == _STRAY else after
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


def _wrap_bytes(data: bytes, decls: dict[str, str]) -> bytes:
    wrapper = _wrap("", decls).encode("utf-8")
    cut = len(wrapper) - len(b"</wp2zola-fragment>")
    return wrapper[:cut] + data + wrapper[cut:]


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")  # stricter than libxml2 (no encoded surrogates), and fast
    except UnicodeDecodeError:
        return False
    return True


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _apply_fixes(raw: _Raw, problems: list[str]) -> bytes:
    """The fragment's bytes with the scanner's fixes made (an unclosed opener escaped as text, a missing
    '>' added), and one problem per kind of fix, with the line of its first occurrence."""
    out: list[bytes] = []
    pos = 0
    seen: dict[str, tuple[int, int]] = {}  # what → (count, line of the first)
    for offset, length, replacement, what in raw.fixes:
        out += (raw.data[pos:offset], replacement)
        pos = offset + length
        if what in seen:
            count, line = seen[what]
            seen[what] = (count + 1, line)
        else:
            seen[what] = (1, raw.line + raw.data.count(b"\n", 0, offset))
    out.append(raw.data[pos:])
    for what, (count, line) in seen.items():
        problems.append(f"{what} (line {line})" if count == 1 else f"{count} × {what} (first at line {line})")
    return b"".join(out)


def parse_fragment(raw: _Raw, encoding: str) -> Fragment:
    problems: list[str] = []
    # Most fragments are well-formed as they are: tried first. Those with no fix to make, in UTF-8
    # without C1 characters, are tried from their bytes (lxml checks the UTF-8 itself); the others
    # once decoded. Any damage sends the fragment on to be repaired.
    as_bytes = (
        not (raw.fixes or raw.truncated)
        and encoding in ("utf-8", "utf8")
        and _utf8(raw.data)
        and not _C1_UTF8.search(raw.data)
    )
    if as_bytes:
        try:
            root = etree.fromstring(_wrap_bytes(raw.data, raw.scope), _PARSER)
            return Fragment(raw.kind, raw.line, root[0] if len(root) else None, problems)
        except etree.XMLSyntaxError:
            pass
    text = _decode(_apply_fixes(raw, problems) if raw.fixes else raw.data, encoding, problems)
    text, n = _C1.subn(lambda m: bytes([ord(m.group(0))]).decode("cp1252", "ignore"), text)
    if n:
        problems.append(f"{n} C1 control character(s) read as Windows-1252")
    if not (raw.truncated or as_bytes):  # (those bytes decode to this very text: tried already)
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
    msg = str(err.msg or err).strip().split("\n", 1)[0]  # libxml2 may quote the text that follows: one line
    return re.sub(r",? line \d+, column \d+.*$", "", msg).strip()
