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
from migrate.markdown.html2md import parse_html
from migrate.wordpress.wpautop import wpautop

# what Markdown says for the allowlist (and for what wpautop adds); the rest of the allowlist has no
# Markdown form and is unwrapped: abbr, acronym and cite to their text, q to its text in quotes
_KEPT = {"a", "b", "strong", "i", "em", "code", "blockquote", "del", "s", "strike", "p", "br"}
_DROPPED = {"script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math", "head", "title"}
_SAFE_SCHEMES = {"http", "https", "mailto"}
_URL = re.compile(r"""(?<![\w/=."'])(?:https?://|www\.)[^\s<>"']+""")
_TRAILING = ".,;:!?)]}'\""
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)")
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")  # CommonMark escapes any of these


def comment_markdown(content: str, resolve: Callable[[str], str | None] | None = None, page: str = "") -> str:
    """Markdown for a comment's stored text. `resolve` maps a link to the old site to its path on the
    new one (None: kept as it is); `page` is the post's path, where `#comment-N` links point."""
    shown = wpautop(_clickable(content.replace("\r\n", "\n")))
    root = parse_html(shown)
    if root is None:
        return ""
    _allow(root, resolve, page)
    markdown = markdown_document(root).markdown
    if _safe(markdown):
        return markdown
    plain = _plain(root)  # every punctuation mark escaped: text, whatever it says
    return plain if _safe(plain) else ""


def _clickable(text: str) -> str:
    """WordPress's make_clickable, for text outside tags: a bare URL becomes a link (trailing
    punctuation, and a closing parenthesis without its opener, stay outside)."""
    out, last = [], 0
    for part in re.finditer(r"<[^>]*>|[^<]+", text):
        chunk = part.group(0)
        if chunk.startswith("<"):
            tag = _TAG.match(chunk)
            if tag and tag.group(2).lower() == "a":
                last = 0 if tag.group(1) else 1
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


def _allow(parent: lxml.html.HtmlElement, resolve: Callable[[str], str | None] | None, page: str) -> None:
    """Keep of `parent`'s descendants only what the allowlist keeps (depth is bounded by parse_html)."""
    for el in list(parent):
        if not isinstance(el.tag, str) or el.tag.lower() in _DROPPED:
            el.drop_tree()
            continue
        _allow(el, resolve, page)
        tag = el.tag.lower()
        for name in list(el.attrib):
            if not (tag == "a" and name in ("href", "title")):
                del el.attrib[name]
        if tag == "a":
            href = _safe_href(el.get("href", ""), resolve, page)
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


def _scheme(url: str) -> str | None:
    """The URL's scheme ("" for a relative one), or None where a comment may not link to it:
    `javascript:`, `data:` and the like, a URL that does not parse, and Zola's `@/` internal links
    (the `markdown` filter fails the build on one it cannot find)."""
    if url.startswith("@"):
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return scheme if not scheme or scheme in _SAFE_SCHEMES else None


def _safe_href(href: str, resolve: Callable[[str], str | None] | None, page: str) -> str:
    href = href.strip()
    if href.startswith("#"):  # another comment of the thread (`#comment-12`): on the post's own page
        return page + href if page else ""
    scheme = _scheme(href) if href else None
    if scheme is None:
        return ""
    if resolve is not None and scheme in ("http", "https", ""):
        return resolve(href) or href
    return href


def _safe(markdown: str) -> bool:
    """Whether pulldown-cmark (Zola's engine) sees no raw HTML in the Markdown, and links and images
    only to safe targets (never `javascript:`, nor a Zola `@/` link)."""
    for event in pyromark.events(markdown, options=pyromark.Options.ENABLE_STRIKETHROUGH):
        if not isinstance(event, dict):
            continue
        if "Html" in event or "InlineHtml" in event:
            return False
        start = event.get("Start")
        if isinstance(start, dict):
            target = start.get("Link") or start.get("Image")
            if start.get("Image") is not None:
                return False  # comments show no images
            if isinstance(target, dict) and _scheme(str(target.get("dest_url", "")).strip()) is None:
                return False
    return True


def _plain(root: lxml.html.HtmlElement) -> str:
    """The comment's words as Markdown text with every ASCII punctuation mark escaped (CommonMark reads
    an escaped mark as itself): nothing of it can be read as markup. The last resort."""
    text = root.text_content()
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(_PUNCTUATION.sub(r"\\\1", p) for p in paragraphs if p) + ("\n" if text.strip() else "")
