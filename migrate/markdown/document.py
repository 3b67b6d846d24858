"""The Markdown document: html2md's output made portable and tidy, with the anchors Zola will see.

The contract: LF, one blank line between blocks, a final newline, `<!-- more -->` alone on its
line, and output portable to every Zola from 0.17 to 0.23 (`portable`: no `{{` or `{%` anywhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.markdown.html2md import Converter, code_block, inline_code_html, parse_html
from migrate.markdown.parse import FLATTENED
from migrate.zola.tera import TEMPLATE_OPENER, escape_html

_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # removed by `tidy`


@dataclass(frozen=True)
class Document:
    markdown: str
    anchors: frozenset[str]  # the heading ids Zola gives this page: `@/page.md#id` links to it build
    # elements nested too deep to convert (thousands of unclosed tags from a paste), written as
    # their text: the words are all there, the formatting inside them is not (worth a warning)
    flattened: int = 0


def markdown_document(root) -> Document:
    """A tree from `parse_html` (after URL rewriting) → portable, tidy Markdown and its anchors."""
    converter = Converter()
    markdown = converter.convert(root)
    if TEMPLATE_OPENER.search(markdown):  # html2md escapes these itself; this is the safety net
        markdown = portable(markdown)
    flattened = int(root.get(FLATTENED, "0")) if root is not None else 0
    return Document(tidy(markdown), zola_heading_ids(converter.heading_ids), flattened)


def html_markdown(shown: str) -> str:
    """Rendered WordPress HTML → portable, tidy Markdown."""
    return markdown_document(parse_html(shown)).markdown


def raw_body(content: str) -> str:
    """The stored HTML as the body, when it cannot be converted: portable, nothing lost."""
    return tidy(escape_html(content))


def zola_heading_ids(ids: list[str]) -> frozenset[str]:
    """The ids Zola surely gives a page's headings ("" for a heading whose id is not certain). Zola
    gives a repeated id a `-1`, `-2` … suffix, the first free one; with an uncertain heading among
    them the suffixes are not certain either, so then only first occurrences count."""
    certain = "" not in ids
    taken: set[str] = set()
    for ident in ids:
        if not ident:
            continue
        if ident in taken and not certain:
            continue
        candidate, n = ident, 0
        while candidate in taken:
            n += 1
            candidate = f"{ident}-{n}"
        taken.add(candidate)
    return frozenset(taken)


_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")


def portable(markdown: str) -> str:
    """Markdown without `{{` or `{%` anywhere (Zola 0.23 renders such content as a template,
    older versions look for shortcodes; zola.md §6). Text gets `&#123;`; code that holds them is
    written as HTML `<pre><code>`/`<code>`, where the entity shows as `{`."""
    out: list[str] = []
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            marker = m.group(2)
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(marker[0] * len(marker)):
                j += 1
            body = "\n".join(lines[i + 1 : j])
            if TEMPLATE_OPENER.search(body) or TEMPLATE_OPENER.search(m.group(3)):
                lang = m.group(3).strip().split()[0] if m.group(3).strip() else ""
                out.append(code_block(body, lang))
            else:
                out.extend(lines[i : j + 1])
            i = j + 1
            continue
        out.append(_portable_line(lines[i]))
        i += 1
    return "\n".join(out)


def _portable_line(line: str) -> str:
    if "{" not in line:
        return line
    parts = []
    pos = 0
    for m in _CODE_SPAN.finditer(line):
        parts.append(escape_html(line[pos : m.start()]))
        code = m.group(2)
        if TEMPLATE_OPENER.search(code):
            inner = code[1:-1] if code.startswith(" ") and code.endswith(" ") and code.strip() else code
            parts.append(inline_code_html(inner))
        else:
            parts.append(m.group(0))
        pos = m.end()
    parts.append(escape_html(line[pos:]))
    return "".join(parts)


def tidy(markdown: str) -> str:
    """LF only, no control characters, no leading or trailing blank lines, one final newline.
    Lines inside are left alone: html2md already writes one blank line between blocks, and code
    keeps its own blank lines and spaces."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    # the characters are ASCII, so never part of another character's UTF-8 bytes: deleted there in
    # one pass in C, several times faster than the regex (surrogatepass: any str round-trips)
    text = text.encode("utf-8", "surrogatepass").translate(None, _CONTROL_BYTES).decode("utf-8", "surrogatepass")
    text = text.strip("\n")
    return text + "\n" if text.strip() else ""
