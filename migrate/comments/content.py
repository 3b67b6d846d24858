"""One comment's text: as WordPress showed it, then Markdown that Zola's `markdown` filter turns into
safe HTML at build time.

WordPress shows a comment through `comment_text`: `make_clickable` (bare URLs become links),
`wpautop`, and its comment allowlist (kses `$allowedtags`: `a`, `abbr`, `acronym`, `b`,
`blockquote`, `cite`, `code`, `del`, `em`, `i`, `q`, `s`, `strike`, `strong`; wordpress.md §1.6). The
`markdown` filter passes raw HTML through as it is, so nothing of the comment may become raw HTML:
every allowed element has a Markdown form or is unwrapped to its text, every other element is
unwrapped too (scripts and styles dropped whole), and a link keeps only an http(s), mailto or relative
target. The result is checked with pulldown-cmark (Zola's engine): should any raw HTML or any other
link target remain, the comment is written as its plain text instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import lxml.html
import pyromark

from migrate.markdown.document import markdown_document
from migrate.markdown.html2md import escape_inline, parse_html
from migrate.wordpress.wpautop import wpautop

# what Markdown says for the allowlist (and for what wpautop adds); the rest of the allowlist has no
# Markdown form and is unwrapped: abbr, acronym and cite to their text, q to its text in quotes
_KEPT = {"a", "b", "strong", "i", "em", "code", "blockquote", "del", "s", "strike", "p", "br"}
_DROPPED = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math", "head", "title"}
_SAFE_SCHEMES = {"http", "https", "mailto"}
_URL = re.compile(r"""(?<![\w/=."'])(?:https?://|www\.)[^\s<>"']+""")
_TRAILING = ".,;:!?)]}'\""
_ALLOWED_RENDERED = {"p", "br", "a", "strong", "em", "code", "pre", "blockquote", "del", "ul", "ol", "li", "hr"}


def comment_markdown(content: str, resolve: Callable[[str], str | None] | None = None) -> str:
    """Markdown for a comment's stored text. `resolve` maps a link to the old site to its path on the
    new one (None: kept as it is)."""
    shown = wpautop(_clickable(content.replace("\r\n", "\n")))
    root = parse_html(shown)
    if root is None:
        return ""
    _allow(root, resolve)
    markdown = markdown_document(root).markdown
    return markdown if _safe(markdown) else _plain(root)


def _clickable(text: str) -> str:
    """WordPress's make_clickable, for text outside tags: a bare URL becomes a link (trailing
    punctuation, and a closing parenthesis without its opener, stay outside)."""
    out, last = [], 0
    for part in re.finditer(r"<[^>]*>|[^<]+", text):
        chunk = part.group(0)
        if chunk.startswith("<"):
            tag = chunk[1:].split(None, 1)[0].lower() if len(chunk) > 1 else ""
            last = 1 if tag == "a" else (0 if tag == "/a" else last)
            out.append(chunk)
            continue
        out.append(chunk if last else _URL.sub(_link, chunk))
    return "".join(out)


def _link(m: re.Match[str]) -> str:
    url = m.group(0)
    tail = ""
    while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
        url, tail = url[:-1], url[-1] + tail
    href = url if "://" in url else "http://" + url
    return f'<a href="{href}">{url}</a>{tail}'


def _allow(parent: lxml.html.HtmlElement, resolve: Callable[[str], str | None] | None) -> None:
    """Keep of `parent`'s descendants only what the allowlist keeps (depth is bounded by parse_html)."""
    for el in list(parent):
        if not isinstance(el.tag, str) or el.tag.lower() in _DROPPED:
            el.drop_tree()
            continue
        _allow(el, resolve)
        tag = el.tag.lower()
        for name in list(el.attrib):
            if not (tag == "a" and name in ("href", "title")):
                del el.attrib[name]
        if tag == "a":
            href = _safe_href(el.get("href", ""), resolve)
            if href:
                el.set("href", href)
            else:
                el.drop_tag()  # javascript:, data: and the like lose the link, keep the text
        elif tag == "q":  # what a browser shows: its text in quotes
            el.text = "\u201c" + (el.text or "")
            if len(el):
                el[-1].tail = (el[-1].tail or "") + "\u201d"
            else:
                el.text += "\u201d"
            el.drop_tag()
        elif tag not in _KEPT:
            el.drop_tag()


def _safe_href(href: str, resolve: Callable[[str], str | None] | None) -> str:
    href = href.strip()
    if not href:
        return ""
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return ""
    if scheme and scheme not in _SAFE_SCHEMES:
        return ""
    if resolve is not None and scheme in ("http", "https", ""):
        return resolve(href) or href
    return href


def _safe(markdown: str) -> bool:
    """Whether pulldown-cmark makes only the allowed elements of the Markdown, with safe links."""
    html = pyromark.html(markdown, options=pyromark.Options.ENABLE_STRIKETHROUGH)
    if not html.strip():
        return True
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    for el in tree.iter():
        if el is tree:
            continue
        if not isinstance(el.tag, str) or el.tag not in _ALLOWED_RENDERED:
            return False
        if el.tag == "a":
            href = el.get("href", "")
            scheme = urlsplit(href).scheme.lower() if href else ""
            if scheme and scheme not in _SAFE_SCHEMES:
                return False
    return True


def _plain(root: lxml.html.HtmlElement) -> str:
    """The comment's words as Markdown text with nothing to interpret: the last resort."""
    text = root.text_content()
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(escape_inline(p, " ", " ") for p in paragraphs if p) + "\n"
