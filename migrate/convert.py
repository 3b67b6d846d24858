"""Post HTML → Markdown: a first conversion (paragraphs, inline markup, lists, code, links, images).

This is the simple converter that the migration pipeline calls (`to_markdown`); the rule-per-element
converter of the next milestone replaces its middle. What stays is the contract, which holds here
already: pure function, LF, one blank line between blocks, a final newline, `<!-- more -->` alone on
its line, and the output portable to every Zola from 0.17 to 0.23 (`portable`).
"""

from __future__ import annotations

import html
import re

import html2text

_MORE = re.compile(r"<!--\s*more\b.*?-->", re.I | re.S)
_NEXTPAGE = re.compile(r"<!--\s*nextpage\s*-->", re.I)
_MORE_MARK = "WP2ZOLAMOREMARKER"
_BLOCK_TAG = re.compile(
    r"^\s*<(?:p|div|ul|ol|li|h[1-6]|blockquote|pre|table|thead|tbody|tr|td|th|figure|figcaption|hr|dl|dd|dt|form"
    r"|address|section|article|aside|header|footer|nav|details|summary|iframe|script|style|noscript|video|audio"
    r"|object|embed|center|fieldset|legend|!--)\b",
    re.I,
)
_SHORTCODE_LINE = re.compile(r"^\s*\[/?[A-Za-z][^\]]*\]\s*$")
_PRE = re.compile(r"<pre\b.*?</pre>", re.I | re.S)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TEMPLATE_OPENER = re.compile(r"\{(?=[{%])")


def autop(text: str) -> str:
    """A simplified wpautop: blank lines make paragraphs, single newlines line breaks, <pre> untouched."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    saved: list[str] = []

    def keep(m: re.Match) -> str:
        saved.append(m.group(0))
        return f"\x00{len(saved) - 1}\x00"

    text = _PRE.sub(keep, text)
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip("\n")
        if not block.strip():
            continue
        if _BLOCK_TAG.match(block) or _SHORTCODE_LINE.match(block) or block.startswith("\x00"):
            blocks.append(block)
        else:
            blocks.append("<p>" + block.replace("\n", "<br />\n") + "</p>")
    out = "\n\n".join(blocks)
    return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], out)


def _converter() -> html2text.HTML2Text:
    h = html2text.HTML2Text()
    h.body_width = 0
    h.unicode_snob = True
    h.mark_code = True
    h.ul_item_mark = "-"
    h.emphasis_mark = "*"
    h.strong_mark = "**"
    h.single_line_break = False
    return h


def to_markdown(content: str) -> str:
    """WordPress post HTML (classic or block editor) → portable Markdown."""
    if not content.strip():
        return ""
    text = content
    if "<!-- wp:" not in text:
        text = autop(text)
    more = _MORE.search(text)
    if more:
        text = text[: more.start()] + f"\n<p>{_MORE_MARK}</p>\n" + _MORE.sub("", text[more.end():])
    text = _NEXTPAGE.sub("<hr />", text)
    markdown = _converter().handle(text)
    markdown = _code_marks_to_fences(markdown)
    markdown = re.sub(rf"\n*^[ \t]*{_MORE_MARK}[ \t]*$\n*", "\n\n<!-- more -->\n\n", markdown, count=1, flags=re.M)
    return tidy(portable(markdown))


def _code_marks_to_fences(markdown: str) -> str:
    """html2text's [code]…[/code] (content indented by 4) → fenced code blocks."""

    def fence(m: re.Match) -> str:
        lines = m.group(1).split("\n")
        body = "\n".join(line[4:] if line.startswith("    ") else line.lstrip() for line in lines).strip("\n")
        ticks = "```"
        while ticks in body:
            ticks += "`"
        return f"\n{ticks}\n{body}\n{ticks}\n"

    return re.sub(r"\[code\]\n?(.*?)\n?\[/code\]", fence, markdown, flags=re.S)


_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")


def _html_code(code: str) -> str:
    return _TEMPLATE_OPENER.sub("&#123;", html.escape(code, quote=False))


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
            if _TEMPLATE_OPENER.search(body) or _TEMPLATE_OPENER.search(m.group(3)):
                lang = m.group(3).strip().split()[0] if m.group(3).strip() else ""
                cls = f' class="language-{html.escape(_TEMPLATE_OPENER.sub("", lang))}"' if lang else ""
                out.append(f"<pre><code{cls}>{_html_code(body)}\n</code></pre>")
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
        parts.append(_TEMPLATE_OPENER.sub("&#123;", line[pos : m.start()]))
        code = m.group(2)
        if _TEMPLATE_OPENER.search(code):
            inner = code[1:-1] if code.startswith(" ") and code.endswith(" ") and code.strip() else code
            parts.append(f"<code>{_html_code(inner)}</code>")
        else:
            parts.append(m.group(0))
        pos = m.end()
    parts.append(_TEMPLATE_OPENER.sub("&#123;", line[pos:]))
    return "".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|])")


def escape_text(text: str) -> str:
    """Plain text made safe to put inside Markdown inline content."""
    return _TEMPLATE_OPENER.sub("&#123;", _MD_SPECIAL.sub(r"\\\1", text))


def tidy(markdown: str) -> str:
    """LF only, no trailing spaces except hard breaks, one blank line between blocks, one final newline."""
    text = _CONTROL.sub("", markdown.replace("\r\n", "\n").replace("\r", "\n"))
    lines = []
    for line in text.split("\n"):
        stripped = line.rstrip()
        lines.append(stripped + "  " if line.endswith("  ") and stripped else stripped)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return text + "\n" if text else ""
