"""The markup language a site's posts are stored in, and their HTML when it is not HTML.

Sites that ran a Textile plugin (Textile 2, TextileWrapper) or a Markdown plugin that converts at
display time (PHP Markdown, WP-Markdown, Parsedown) store Textile or Markdown in `post_content`; the
plugin's `the_content` filter turned it into HTML before wpautop and shortcodes (and took wpautop off).
Read as HTML, it would come out as literal text with escapes added.

- `signature`: what one post's stored content looks like. A post with HTML block markup (`<p>`,
  `<div>`, block comments…) is HTML, whatever else it holds; otherwise the Textile and Markdown
  constructs that plain text never has are counted.
- `site_markup`: the site's language, from the posts' signatures: a language that a good share of
  the posts show (and the other hardly any); HTML otherwise. A user says it with `--markup` or
  `[content] markup` in the config when the guess is wrong.
- `stored_html`: Textile through python-textile, Markdown through pulldown-cmark (Zola's own engine,
  so the page shows what Zola would show of that Markdown). Shortcodes are kept out of the markup
  (the plugins mangled their quotes into “ ”; WordPress expanded them later), and the HTML is written
  on one line outside `<pre>`: the renderer's wpautop must not turn Markdown's soft line breaks into
  `<br>` (the plugins disabled wpautop).
- Jetpack's Markdown stores the HTML it generated in `post_content` and the source in
  `post_content_filtered` (not exported by WordPress's own exporter; other tools write it): when an
  item carries both, the source is used.
"""

from __future__ import annotations

import re
from collections import Counter

import pyromark

from migrate.wxr.model import Item

MARKUPS = ("html", "textile", "markdown")
AUTO = "auto"

# HTML block markup or editor blocks: the post is written in HTML
_HTML_BLOCKS = re.compile(
    r"<(?:p|div|h[1-6]|ul|ol|li|table|blockquote|pre|figure|br|hr|section|dl)[\s>/]|<!-- wp:", re.I
)
_TEXTILE = [
    re.compile(r"^h[1-6](?:\([^)\n]*\))?\.\s", re.M),  # h2. Title
    re.compile(r"^(?:bq|bc|pre|fn\d+)\.\.?\s", re.M),  # bq. quote, bc. code, fn1. note
    re.compile(r"\"[^\"\n]+\":(?:https?://|/|#)[^\s\"]"),  # "text":http://url
    re.compile(r"(?<![\w!])!(?:https?://|/)?[^\s!]+\.(?:png|jpe?g|gif|webp|svg)(?:\([^)\n]*\))?!"),  # !img.png!
]
_MARKDOWN = [
    re.compile(r"^#{1,6}[ \t]+\S", re.M),  # ## Heading
    re.compile(r"^(?:```|~~~)", re.M),  # fenced code
    re.compile(r"(?<!!)\[[^\]\n]+\]\((?:https?://|/|#|mailto:)[^)\s]*\)"),  # [text](url)
    re.compile(r"!\[[^\]\n]*\]\([^)\s]+\)"),  # ![alt](src)
    re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]+\S", re.M),  # [1]: http://… reference definitions
]
_SHARE = 0.3  # of a site's posts, at least, for a language to be the site's
_MARKDOWN_OPTIONS = (  # PHP Markdown Extra's and Jetpack's extensions, as pulldown-cmark has them
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_TASKLISTS
    | pyromark.Options.ENABLE_DEFINITION_LIST
)
# `[name attr="…"]` or `[/name]`, not a Markdown link (`[text](…)`, `[text][ref]`, `[ref]: url`)
_SHORTCODE = re.compile(r"\[/?[A-Za-z][\w-]*(?:\s[^\[\]\n]*)?/?\](?![(\[:])")
_PLACEHOLDER = re.compile(r"wpzsc([a-j]+)q")  # letters only: Textile's glyphs and Markdown leave them alone
_KEEP_LINES = re.compile(r"(<(pre|textarea|script|style)\b.*?</\2\s*>)", re.S | re.I)


def signature(content: str) -> str:
    """ "textile", "markdown" or "" (HTML, or nothing that tells) for one post's stored content."""
    if not content.strip() or _HTML_BLOCKS.search(content):
        return ""
    textile_hits = sum(bool(p.search(content)) for p in _TEXTILE)
    markdown_hits = sum(bool(p.search(content)) for p in _MARKDOWN)
    if textile_hits > markdown_hits:
        return "textile"
    if markdown_hits > textile_hits:
        return "markdown"
    return ""


def site_markup(signatures: Counter[str], posts: int) -> str:
    """The site's markup language from its posts' signatures (`posts`: posts with content)."""
    for kind, other in (("textile", "markdown"), ("markdown", "textile")):
        count = signatures[kind]
        if count and count >= _SHARE * posts and count > 2 * signatures[other] and (count >= 2 or posts == 1):
            return kind
    return "html"


def stored_html(item: Item, markup: str) -> str:
    """The HTML the site's markup plugin made of the item's content (its content when that is HTML)."""
    if item.content_filtered.strip() and item.meta_value("_wpcom_is_markdown"):
        return _markdown(item.content_filtered)  # Jetpack Markdown: the author's source
    if markup == "textile":
        import textile  # here: only Textile sites pay for it (and the regex module it brings)

        return _protected(item.content, lambda text: textile.textile(text))
    if markup == "markdown":
        return _markdown(item.content)
    return item.content


def _markdown(text: str) -> str:
    return _protected(text, lambda md: pyromark.html(md, options=_MARKDOWN_OPTIONS))


def _protected(text: str, convert) -> str:
    shortcodes: list[str] = []

    def keep(m: re.Match) -> str:
        shortcodes.append(m.group(0))
        return "wpzsc" + "".join("abcdefghij"[int(d)] for d in str(len(shortcodes) - 1)) + "q"

    def back(m: re.Match) -> str:
        n = int("".join(str("abcdefghij".index(c)) for c in m.group(1)))
        return shortcodes[n] if n < len(shortcodes) else m.group(0)

    html_text = _PLACEHOLDER.sub(back, convert(_SHORTCODE.sub(keep, text.replace("\r\n", "\n"))))
    return _one_line(html_text)


def _one_line(html_text: str) -> str:
    """Line breaks as spaces, but inside `<pre>`, `<textarea>`, `<script>` and `<style>`."""
    parts = _KEEP_LINES.split(html_text)
    out = []
    for i, part in enumerate(parts):
        if i % 3 == 0:
            out.append(re.sub(r"[ \t]*\n[ \t]*", " ", part))
        elif i % 3 == 1:
            out.append(part)
    return "".join(out).strip()
