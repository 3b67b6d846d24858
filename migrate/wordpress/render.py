"""What WordPress showed: a post's stored content rendered to HTML the way WordPress renders it.

The order is WordPress's own (wordpress.md §2.6): code shortcodes first (their content is code),
then auto-embeds, then blocks (wpautop only on freeform chunks) or wpautop for classic posts, then
the other shortcodes. Every rule that needs the rest of the site (gallery images, reusable blocks,
footnotes) reads the read-only site context, so rendering one item is a pure function.
"""

from __future__ import annotations

import bisect
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from migrate.mappings import Mappings
from migrate.wordpress import blocks as wpblocks
from migrate.wordpress import shortcodes as sc
from migrate.wordpress.embeds import Embeds, link_html, media_html
from migrate.wordpress.wpautop import lone_shortcode_unwrapper, wpautop
from migrate.wxr.index import SiteContext
from migrate.wxr.model import Attachment, Item, ascii_int

_MORE = "<!--more"  # up to the next "-->": the teaser ends there (`get_extended`)
_NEXTPAGE = re.compile(r"\n?<!--nextpage-->\n?")
_URL_LINE = re.compile(r"^(\s*)(https?://[^\s<>\"]+)(\s*)$", re.M)
_P_URL = re.compile(r"<p(?:\s[^>]*)?>\s*(https?://[^\s<>\"]+)\s*</p>")
_LATEX_INLINE = re.compile(r"\$latex\s(.+?)\$", re.S)
_PLACEHOLDER = "wp2zola-protected-{}-x"
_PLACEHOLDER_RE = re.compile(r"wp2zola-protected-(\d+)-x")
_PRE_AROUND_PLACEHOLDER = re.compile(r"<pre\b[^>]*>\s*(wp2zola-protected-\d+-x)\s*</pre>")
_CODECOLORER = re.compile(r"(\s*)\[cc([^\s\]_]*(?:_[^\s\]]*)?)([^\]]*)\](.*?)\[/cc\2\](\s*)", re.S | re.I)
_CODECOLORER_CLOSER = re.compile(r"\[/cc", re.I)
_SHORTCODE_LIKE = re.compile(r"\[([A-Za-z][\w-]*)(?=[\s\]/=])")
# the name of every `[/name]`, and of every `[name key=` (a name, then spaces, then an attribute)
_CLOSER_LIKE = re.compile(r"\[/([A-Za-z][\w-]*)\]")
_WITH_ATTRIBUTE = re.compile(r"\[([A-Za-z][\w-]*)\s+\w+=")
_CODE_OPENER = re.compile(r"<(pre|code)\b")
_TAG_OPENER = re.compile(r"<(pre|code)(\s[^>]*)?>", re.I)
_SPECIALCHARS = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'"), ("&#39;", "'"), ("&amp;", "&"))


@dataclass(frozen=True)
class CodeTag:
    """A highlighter's <pre>/<code> whose content is code text (`[[code_tags]]` in mappings)."""

    name: str
    tag: str
    match: re.Pattern
    skip: re.Pattern | None
    language: re.Pattern | None
    decode: re.Pattern | None
    decodes: str
    inline: re.Pattern | None

    @classmethod
    def from_table(cls, entry: dict) -> CodeTag:
        def rx(key: str) -> re.Pattern | None:
            return re.compile(entry[key], re.I | re.S) if entry.get(key) else None

        match = rx("match")
        if match is None:
            raise ValueError(f"code_tags entry {entry.get('name', '?')!r} has no match")
        return cls(
            str(entry.get("name", "")),
            str(entry.get("tag", "pre")).lower(),
            match,
            rx("skip"),
            rx("language"),
            rx("decode"),
            str(entry.get("decodes", "entities")),
            rx("inline"),
        )

    def takes(self, tag: str, attrs: str) -> bool:
        return tag == self.tag and bool(self.match.search(attrs)) and not (self.skip and self.skip.search(attrs))

    def code(self, attrs: str, content: str) -> str:
        """The code as the plugin highlights it: leading blank lines and trailing space trimmed (as
        WP-Syntax's trimCode, CodeColorer and Crayon's trim-whitespace do), entities decoded only
        where the plugin decodes them."""
        code = re.sub(r"^(?:[ \t]*\n)+", "", content).rstrip()
        if self.decode and self.decode.search(attrs):
            if self.decodes == "specialchars":
                for entity, char in _SPECIALCHARS:
                    code = code.replace(entity, char)
            else:
                code = html.unescape(code)
        return code

    def lang(self, attrs: str) -> str:
        m = self.language.search(attrs) if self.language else None
        return m.group("lang").lower() if m else ""


@dataclass
class RenderNotes:
    """What the report counts for one item."""

    unknown_shortcodes: Counter = field(default_factory=Counter)
    plugin_blocks: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)  # dynamic blocks, dropped shortcodes
    nextpage: int = 0


class Renderer:
    """Renders items of one site; built once per run from the mappings and the site context."""

    def __init__(self, ctx: SiteContext, mappings: Mappings):
        self.ctx = ctx
        self.embeds = Embeds(mappings)
        self.table: dict[str, dict] = dict(mappings.tables.get("shortcodes", {}))
        code = mappings.tables.get("code_shortcodes", {})
        self.languages = set(code.get("languages", []))
        self.code_names = set(code.get("names", [])) | self.languages
        self.codecolorer = bool(code.get("codecolorer", True))
        self.registered = set(self.table)
        self.code_tags = [CodeTag.from_table(t) for t in mappings.tables.get("code_tags", [])]
        # shortcode_unautop's patterns, built once: classic text knows the code shortcodes too
        self.unautop = lone_shortcode_unwrapper(self.registered | self.code_names)
        self.unautop_registered = lone_shortcode_unwrapper(self.registered)

    # -- entry --------------------------------------------------------------------------------
    def render(self, item: Item) -> tuple[str, RenderNotes]:
        notes = RenderNotes()
        protected: list[str] = []
        content = item.content.replace("\r\n", "\n").replace("\r", "\n")
        if self.codecolorer and _CODECOLORER_CLOSER.search(content):  # no closer: no match, and no scan per opener
            content = _CODECOLORER.sub(lambda m: self._codecolorer(m, protected), content)
        content = self._verbatim_code(content, protected)
        content = self._code_shortcodes(content, item, protected)
        if "$latex" in content:
            content = _LATEX_INLINE.sub(lambda m: self._protect(protected, _math(html.unescape(m.group(1)))), content)
        if wpblocks.has_blocks(content):
            out = self._blocks(wpblocks.parse_blocks(content), item, notes, set())
        else:
            out = self._classic(content, notes)
        out = self._shortcodes(out, item, notes, protected)
        out = self._flash(out, notes)
        out = self._widget_scripts(out, notes)
        if "wp2zola-protected-" in out:
            # a code shortcode typed inside <pre> (Live Writer did this): the shortcode's block replaces it
            out = _PRE_AROUND_PLACEHOLDER.sub(r"\1", out)
            while _PLACEHOLDER_RE.search(out):
                out = _PLACEHOLDER_RE.sub(lambda m: protected[int(m.group(1))], out)
        self._count_unknown(out, notes)
        return out, notes

    def _protect(self, protected: list[str], html_text: str) -> str:
        protected.append(html_text)
        return _PLACEHOLDER.format(len(protected) - 1)

    # -- classic ------------------------------------------------------------------------------
    def _classic(self, content: str, notes: RenderNotes) -> str:
        """Classic editor content: split at <!--more--> and <!--nextpage-->, auto-embed, wpautop."""
        spans = _more_spans(content)
        if spans:
            head = content[: spans[0][0]]
            # the text after the first one, without any other (WordPress shows them as nothing)
            starts = [start for start, _ in spans[1:]] + [len(content)]
            tail = "".join(content[end:start] for (_, end), start in zip(spans, starts, strict=True))
            # WordPress shows the post whole, the marker a mere point inside: inline formatting open
            # across it (`<strong>a <!--more--> b</strong>`) is closed before it and opened again
            # after it, where wpautop's paragraphs would end it (blocks around it, a table or a
            # list, are read whole by the HTML parser, the marker inside: html2md moves it out)
            opened = _open_inline(head)
            head += "".join(f"</{name}>" for name, _ in reversed(opened))
            tail = "".join(tag for _, tag in opened) + tail
            return self._classic_part(head, notes) + "\n<!--more-->\n" + self._classic_part(tail, notes)
        return self._classic_part(content, notes)

    def _classic_part(self, content: str, notes: RenderNotes) -> str:
        pages = _NEXTPAGE.split(content) if "<!--nextpage-->" in content else [content]
        notes.nextpage += len(pages) - 1
        rendered = []
        for page in pages:
            page = self._autoembed(page)
            rendered.append(self.unautop(wpautop(page)))
        return "\n<hr />\n".join(r for r in rendered if r.strip())

    def _autoembed(self, text: str) -> str:
        """`WP_Embed::autoembed`: a URL alone on its line (or alone in a `<p>`) becomes its embed;
        one that is no known embed becomes a link (`maybe_make_link`; on the live site such URLs
        were discovered as oEmbed cards of other sites, links either way), never dead text.
        Embeds are made wherever the line is (WordPress's regex sees the raw post, code and all);
        a link is not made inside code, a link or a textarea, where WordPress shows the URL as text."""
        if "http" not in text:
            return text

        def embed(m: re.Match, url: str, whole: str, lead: str = "", trail: str = "") -> str:
            found = self.embeds.html_for(url)
            if found:
                return lead + found[1] + trail
            return whole if _inside(kept, m.start()) else lead + link_html(html.unescape(url)) + trail

        # the spans are found only for a text that has a URL to embed or link (few have)
        if _URL_LINE.search(text):
            kept = _verbatim_spans(text)
            text = _URL_LINE.sub(lambda m: embed(m, m.group(2), m.group(0), m.group(1), m.group(3)), text)
        if _P_URL.search(text):
            kept = _verbatim_spans(text)
            text = _P_URL.sub(lambda m: embed(m, m.group(1), m.group(0)), text)
        return text

    # -- blocks -------------------------------------------------------------------------------
    def _blocks(self, blocks: list, item: Item, notes: RenderNotes, seen_refs: set[int]) -> str:
        return "".join(self._block(b, item, notes, seen_refs) for b in blocks)

    def _inner(self, block, item: Item, notes: RenderNotes, seen_refs: set[int]) -> str:
        parts = []
        children = iter(block.inner_blocks)
        for chunk in block.inner_content:
            parts.append(chunk if chunk is not None else self._block(next(children), item, notes, seen_refs))
        return "".join(parts)

    def _block(self, block, item: Item, notes: RenderNotes, seen_refs: set[int]) -> str:
        name, attrs = wpblocks.normalize_name(block.name, block.attrs) if block.name else (None, block.attrs)
        if name is None:  # freeform (classic) HTML between blocks
            text = block.inner_html
            return self._classic(text, notes) if text.strip() else text
        if not name.startswith("core/"):
            notes.plugin_blocks[name] += 1
            if name == "syntaxhighlighter/code":
                return self._code_block(block.inner_html, attrs.get("language", ""))
            return self._inner(block, item, notes, seen_refs)
        kind = name[5:]
        if kind == "html":
            # raw HTML as typed, never autop'd; blocks typed inside it are rendered in place,
            # as WordPress renders any static block's inner content (they were lost before)
            return self._inner(block, item, notes, seen_refs)
        if kind == "shortcode":
            return self.unautop_registered(wpautop(block.inner_html))
        if kind in ("more",):
            return "\n<!--more-->\n"
        if kind == "nextpage":
            notes.nextpage += 1
            return "\n<hr />\n"
        if kind == "spacer":
            return ""
        if kind == "embed":
            return self._embed_block(block, attrs)
        if kind == "block":
            return self._reusable(attrs, item, notes, seen_refs)
        if kind == "footnotes":
            return self._footnotes(item)
        if kind == "code" and attrs.get("language"):
            return self._code_block(block.inner_html, str(attrs["language"]))
        if kind == "paragraph":  # the_content's autoembed runs over block markup too: `<p>URL</p>`
            return self._autoembed(self._inner(block, item, notes, seen_refs))
        if not block.inner_html.strip() and not block.inner_blocks:
            notes.dropped[f"block {name}"] += 1  # dynamic blocks (latest posts, archives…) have no stored HTML
            return ""
        return self._inner(block, item, notes, seen_refs)

    def _code_block(self, inner_html: str, language: str) -> str:
        m = re.search(r"<pre[^>]*>(.*)</pre>", inner_html, re.S)
        code = html.unescape(re.sub(r"<[^>]+>", "", m.group(1) if m else inner_html))
        return self._pre(code, language)

    def _pre(self, code: str, language: str) -> str:
        cls = f' class="language-{html.escape(language.lower())}"' if language and language != "plain" else ""
        return f"\n<pre><code{cls}>{html.escape(code, quote=False)}</code></pre>\n"

    def _embed_block(self, block, attrs: dict) -> str:
        text = re.sub(r"<[^>]+>", " ", block.inner_html)
        url = str(attrs.get("url") or "").strip() or next(iter(re.findall(r"https?://\S+", text)), "")
        url = html.unescape(url)  # the URL as the browser reads it (`&amp;` in the HTML is one `&`)
        caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", block.inner_html, re.S)
        found = self.embeds.html_for(url) if url else None
        body = found[1] if found else (link_html(url) if url else "")
        if caption and caption.group(1).strip():
            return f"\n<figure>{body}<figcaption>{caption.group(1).strip()}</figcaption></figure>\n"
        return f"\n{body}\n"

    def _reusable(self, attrs: dict, item: Item, notes: RenderNotes, seen_refs: set[int]) -> str:
        ref = attrs.get("ref")
        if not isinstance(ref, int) or ref in seen_refs or ref not in self.ctx.reusable_blocks:
            notes.dropped["block core/block (reusable block not in the export)"] += 1
            return ""
        content = self.ctx.reusable_blocks[ref]
        return self._blocks(wpblocks.parse_blocks(content), item, notes, seen_refs | {ref})

    def _footnotes(self, item: Item) -> str:
        try:
            notes = json.loads(item.meta_value("footnotes") or "[]")
        except ValueError:
            return ""
        if not isinstance(notes, list) or not notes:
            return ""
        items = "".join(
            f'<li id="{html.escape(str(n.get("id", "")), quote=True)}">{n.get("content", "")}</li>'
            for n in notes
            if isinstance(n, dict)
        )
        return f'\n<ol class="wp-block-footnotes">{items}</ol>\n'

    # -- shortcodes ---------------------------------------------------------------------------
    def _code_shortcodes(self, content: str, item: Item, protected: list[str]) -> str:
        encoded = item.meta_value("_syntaxhighlighter_encoded") == "1"

        def handle(code: sc.Shortcode) -> str | None:
            if code.content is None:
                return None  # SyntaxHighlighter only runs its enclosing form
            body = code.content.strip("\n")
            if encoded or ("<" not in body and re.search(r"&(?:lt|gt|amp|quot|#\d+);", body)):
                body = html.unescape(body)
            return "\n\n" + self._protect(protected, self._pre(body, self._code_language(code))) + "\n\n"

        # SyntaxHighlighter runs on the raw post: code may hold "<" that is not HTML
        return sc.replace_shortcodes(content, self.code_names, handle, skip_html=False)

    def _verbatim_code(self, content: str, protected: list[str]) -> str:
        """Highlighter <pre>/<code> elements (`code_tags`) as the plugins read them: taken from the
        raw post, before blocks, wpautop or the HTML parser see them, up to the first closing tag
        (the plugins' own non-greedy match), and protected as a code block (or inline code)."""
        if not self.code_tags or "<" not in content:
            return content
        out: list[str] = []
        pos = 0
        unclosed: set[str] = set()  # once a closer is missing, no later opener of that tag has one
        for m in _TAG_OPENER.finditer(content):
            if m.start() < pos:
                continue  # inside code already taken
            tag, attrs = m.group(1).lower(), m.group(2) or ""
            rule = next((t for t in self.code_tags if t.takes(tag, attrs)), None)
            if rule is None or tag in unclosed:
                continue
            closer = re.compile(rf"</{tag}\s*>", re.I).search(content, m.end())
            if closer is None:
                unclosed.add(tag)
                continue
            code = rule.code(attrs, content[m.end() : closer.start()])
            pos, before = closer.end(), content[pos : m.start()]
            if rule.inline and rule.inline.search(attrs):
                out.append(before + self._protect(protected, f"<code>{html.escape(code, quote=False)}</code>"))
                continue
            # a block of its own, as the plugins make it (the spaces around go, like their `\s*`)
            out.append(
                before.rstrip(" \t") + "\n\n" + self._protect(protected, self._pre(code, rule.lang(attrs))) + "\n\n"
            )
            while pos < len(content) and content[pos] in " \t":
                pos += 1
        out.append(content[pos:])
        return "".join(out)

    def _flash(self, text: str, notes: RenderNotes) -> str:
        """Flash `<object>`/`<embed>` embed codes (no browser plays Flash since 2021, and raw they
        would stay in the Markdown): one whose movie is a known provider's becomes its embed (its
        `movies` or embed patterns in mappings/embeds.toml), any other a link to the movie, named by
        its title or alt text; each with a note. Not inside code or a textarea, where it is text."""
        if not _FLASH_OPENER.search(text):
            return text
        out: list[str] = []
        pos = 0
        for start, end in _flash_spans(text):
            element = text[start:end]
            url = _movie_url(element)
            if not url or _inside(_text_spans(text), start):
                continue
            found = self.embeds.movie_html(url)
            if found and found[1].startswith("<p>"):  # a provider without an iframe: its link, inline
                found = (found[0], found[1][3:-4])
            title = next((v for k, v in _tag_attrs(element) if k in ("title", "alt") and v.strip()), "")
            replacement = found[1] if found else _link_inline(url, title.strip())
            # wpautop took the spaces around an <embed> (its box kept the words apart): put them back
            if text[start - 1 : start] not in ("", ">") and not text[start - 1].isspace():
                replacement = " " + replacement
            if text[end : end + 1] not in ("", "<") and not text[end].isspace():
                replacement += " "
            notes.dropped[f"Flash <object>/<embed> (now {f'the {found[0]} embed' if found else 'a link'})"] += 1
            out.append(text[pos:start] + replacement)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _widget_scripts(self, text: str, notes: RenderNotes) -> str:
        """An embed widget's script (`widget_scripts` in mappings/embeds.toml: Twitter's widgets.js
        after a tweet's `<blockquote>`, …) is dropped: the embed's HTML reads without it, and a
        static site should not run it. Not inside a textarea, where it is text."""
        if not self.embeds.widget_scripts or not _SCRIPT_OPENER.search(text):
            return text

        out: list[str] = []
        pos = 0
        textareas = _text_spans(text)
        for m in _SCRIPT_OPEN.finditer(text):
            if m.start() < pos:
                continue
            close = _SCRIPT_CLOSE.search(text, m.end())
            if close is None:
                break  # no later script is closed either
            src = next((v for k, v in _tag_attrs(m.group(1)) if k == "src"), "")
            name = self.embeds.widget_script(src) if src else None  # with a src, its content never runs
            if name is None or _inside(textareas, m.start()):
                continue
            notes.dropped[f"script {name} (its embed stays as HTML)"] += 1
            out.append(text[pos : m.start()])
            pos = close.end()
        out.append(text[pos:])
        return "".join(out)

    def _codecolorer(self, m: re.Match, protected: list[str]) -> str:
        """CodeColorer ran before WordPress formatted the post: [cc…]code[/cc…] → a code block."""
        suffix, options, code = m.group(2), m.group(3), m.group(4)
        flags, _, language = suffix.partition("_")
        attrs = sc.parse_attrs(options)
        language = language or str(attrs.get("lang", ""))
        code = re.sub(r"^(?:\s*[\r\n])+|\s+$", "", code)
        if "e" in flags.lower() or str(attrs.get("escaped", "")).lower() in ("true", "1"):
            code = html.unescape(code)
        if "i" in flags.lower() or str(attrs.get("inline", "")).lower() in ("true", "1"):
            return m.group(1) + self._protect(protected, f"<code>{html.escape(code, quote=False)}</code>") + m.group(5)
        return "\n\n" + self._protect(protected, self._pre(code, language)) + "\n\n"

    def _code_language(self, code: sc.Shortcode) -> str:
        name = code.name
        if "_" in name and name.split("_", 1)[1] in self.languages:
            return name.split("_", 1)[1]
        if name in self.languages:
            return name
        for key in ("language", "lang", "type"):
            if code.attrs.get(key):
                return str(code.attrs[key])
        first = str(code.attrs.get(0, ""))
        return first.lstrip("=").strip("\"'") if first.startswith("=") else ""

    def _shortcodes(self, text: str, item: Item, notes: RenderNotes, protected: list[str]) -> str:
        def handle(code: sc.Shortcode) -> str | None:
            spec = self.table.get(code.name, {})
            if spec.get("drop"):
                notes.dropped[f"shortcode [{code.name}]"] += 1
                return ""
            if spec.get("unwrap"):
                return inner(code.content or "")
            if "html" in spec:
                return inner(_fill(spec["html"], code))
            handler = getattr(self, f"sc_{spec.get('handler', '')}", None)
            if handler is None:
                return None
            out = handler(code, item, notes)
            return inner(out) if out is not None and code.name in ("caption", "wp_caption") else out

        def inner(content: str) -> str:  # shortcodes inside a caption's or an unwrapped one's content
            return sc.replace_shortcodes(content, self.registered, handle)

        return sc.replace_shortcodes(text, self.registered, handle)

    def _count_unknown(self, text: str, notes: RenderNotes) -> None:
        """Each `[name` left in the text counts when the text also has `[/name]` or `[name key=`
        (looks like a shortcode, not a bracket in prose). Both sets are collected in one pass
        each: a search of the whole text per `[` was quadratic on a post of unclosed `[caption`."""
        if "[" not in text:
            return
        visible = _without_code(text)
        closed = set(_CLOSER_LIKE.findall(visible)) | set(_WITH_ATTRIBUTE.findall(visible))
        for name in _SHORTCODE_LIKE.findall(visible):
            if name in closed:
                notes.unknown_shortcodes[name] += 1

    # built-in handlers: sc_<handler>(shortcode, item, notes) -> HTML or None (leave the text)
    def sc_caption(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        content = code.content or ""
        caption = str(code.attrs.get("caption", ""))
        m = re.match(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", content, re.S)
        if not m:
            return content or None
        image, rest = m.group(1), m.group(2)
        if not caption:
            caption = re.sub(r"^(?:\s|<br\s*/?>)+|(?:\s|<br\s*/?>)+$", "", rest)
        if not caption.strip():
            return f"\n{image}\n"
        return f"\n<figure>{image}<figcaption>{caption}</figcaption></figure>\n"

    def sc_gallery(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        """`gallery_shortcode` (wp-includes/media.php): the images at the gallery's size (default
        thumbnail) in its columns (default 3), each linked to its attachment page, its file
        (`link="file"`) or nothing (`link="none"`), with its caption."""
        ids = [int(i) for i in re.findall(r"\d+", str(code.attrs.get("ids") or code.attrs.get("include") or ""))]
        if ids:
            images = [self.ctx.attachments[i] for i in ids if i in self.ctx.attachments]
        else:
            parent = ascii_int(code.attrs.get("id", ""))
            parent = parent if parent is not None else (item.id or 0)
            images = self.ctx.attached_images(parent)
        exclude = {int(i) for i in re.findall(r"\d+", str(code.attrs.get("exclude", "")))}
        images = [a for a in images if a.id not in exclude]
        if str(code.attrs.get("order", "")).upper() == "DESC":
            images.reverse()
        if not images:
            notes.dropped["shortcode [gallery] with no images in the export"] += 1
            return ""
        link = str(code.attrs.get("link", ""))
        size = str(code.attrs.get("size", "") or "thumbnail")
        columns = str(code.attrs.get("columns", "3")).strip()
        columns = columns if ascii_int(columns) is not None else "3"
        figures = []
        for att in images:
            src, width, height = _sized(att, size)
            dims = f' width="{width}" height="{height}"' if width and height else ""
            img = f'<img src="{html.escape(src, quote=True)}"{dims} alt="{html.escape(att.alt, quote=True)}">'
            target = att.url if link == "file" else (att.page or att.url)
            if link != "none" and target:
                img = f'<a href="{html.escape(target, quote=True)}">{img}</a>'
            caption = (
                f'<figcaption class="wp-caption-text gallery-caption">{html.escape(att.caption, quote=False)}</figcaption>'
                if att.caption.strip()
                else ""
            )
            figures.append(f'<figure class="gallery-item"><div class="gallery-icon">{img}</div>{caption}</figure>')
        classes = f"gallery galleryid-{item.id or 0} gallery-columns-{columns} gallery-size-{html.escape(size)}"
        return f'\n<div class="{classes}">' + "".join(figures) + "</div>\n"

    def sc_embed(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        url = (code.content or str(code.attrs.get("src", ""))).strip()
        if not url:
            return ""
        found = self.embeds.html_for(url)
        return f"\n{found[1] if found else link_html(html.unescape(url))}\n"

    def sc_embed_url(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        url = str(code.attrs.get("url") or code.attrs.get(0) or code.content or "").strip().lstrip("=")
        if not url:
            return None
        if not url.startswith("http") and code.name == "youtube":
            url = f"https://www.youtube.com/watch?v={url}"
        found = self.embeds.html_for(url)
        return f"\n{found[1] if found else link_html(html.unescape(url))}\n"

    def sc_vimeo(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        value = str(code.attrs.get("id") or code.attrs.get(0) or code.content or "").strip().lstrip("=")
        if value.isascii() and value.isdigit():
            value = f"https://vimeo.com/{value}"
        found = self.embeds.html_for(value) if value else None
        return f"\n{found[1]}\n" if found else None

    def sc_slideshare(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        """Jetpack's [slideshare id=… doc=…]; a slideshare.net URL goes through the embed table."""
        ident = re.match(r"\d+", str(code.attrs.get("id", "")))
        if not ident:
            return self.sc_embed_url(code, item, notes)
        return (
            f'\n<iframe src="https://www.slideshare.net/slideshow/embed_code/{ident.group(0)}" width="597" '
            'height="486" title="SlideShare" frameborder="0" allowfullscreen></iframe>\n'
        )

    def sc_gist(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        value = str(code.attrs.get(0) or code.content or code.attrs.get("id") or "").strip()
        m = re.search(r"([0-9a-f]{5,})", value)
        if not m:
            return None
        url = value if value.startswith("http") else f"https://gist.github.com/{value}"
        return f'\n<script src="https://gist.github.com/{m.group(1)}.js"></script>\n' + link_html(url)

    def sc_tweet(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        value = str(code.attrs.get("tweet") or code.attrs.get(0) or code.content or "").strip()
        if value.isascii() and value.isdigit():
            value = f"https://twitter.com/i/status/{value}"
        return link_html(value) if value else None

    def sc_latex(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        return _math(html.unescape(code.content or "")) if code.content is not None else None

    def _media(self, kind: str, code: sc.Shortcode, item: Item) -> str | None:
        formats = (
            ["src", "mp3", "ogg", "flac", "m4a", "wav"]
            if kind == "audio"
            else ["src", "mp4", "m4v", "webm", "ogv", "flv"]
        )
        src = next((str(code.attrs[f]) for f in formats if code.attrs.get(f)), "")
        src = src or str(code.attrs.get(0, "")).strip()  # WordPress.com's [audio URL]
        src = html.unescape(src)  # attribute text is HTML: `&amp;` is one `&` (esc_url keeps it so)
        if not src:
            return None
        if kind == "video":
            provider = self.embeds.provider(src)
            embedded = self.embeds.html_for(src) if provider and provider[0].html else None
            if embedded:
                return f"\n{embedded[1]}\n"
        return "\n" + media_html(kind, src, poster=html.unescape(str(code.attrs.get("poster", "")))) + "\n"

    def sc_audio(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        return self._media("audio", code, item)

    def sc_video(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        return self._media("video", code, item)

    def sc_playlist(self, code: sc.Shortcode, item: Item, notes: RenderNotes) -> str | None:
        kind = "video" if code.attrs.get("type") == "video" else "audio"
        ids = [int(i) for i in re.findall(r"\d+", str(code.attrs.get("ids") or code.attrs.get("include") or ""))]
        tracks = (
            [self.ctx.attachments[i] for i in ids if i in self.ctx.attachments]
            if ids
            else [
                a
                for a in (self.ctx.attachments.uploaded_to(item.id) if item.id is not None else [])
                if self.embeds.media_kind(a.url) == kind
            ]
        )
        if not tracks:
            notes.dropped["shortcode [playlist] with no media in the export"] += 1
            return ""
        parts = [
            f"<figure>{media_html(kind, t.url)}<figcaption>{html.escape(t.title or t.url, quote=False)}</figcaption></figure>"
            for t in tracks
        ]
        return "\n" + "\n".join(parts) + "\n"


def _fill(template: str, code: sc.Shortcode) -> str:
    def value(m: re.Match) -> str:
        key = m.group(1)
        if key == "content":
            return code.content or ""
        index = ascii_int(key)
        raw = code.attrs.get(index) if index is not None else code.attrs.get(key)
        # attribute text is HTML (`&amp;` in a URL is one `&`): decoded once, escaped once
        return html.escape(html.unescape(str(raw or "")), quote=True)

    return re.sub(r"\{(\w+)\}", value, template)


def _sized(att: Attachment, size: str) -> tuple[str, int | None, int | None]:
    """An attachment's file at a named size (its URL, width, height): the size's own file, which
    lives beside the full one, or the full size when WordPress made no such size."""
    entry = att.sizes.get(size)
    if size not in ("full", "") and isinstance(entry, dict) and isinstance(entry.get("file"), str) and entry["file"]:
        folder = att.url.rsplit("/", 1)[0] if "/" in att.url else ""
        width, height = entry.get("width"), entry.get("height")
        return (
            f"{folder}/{entry['file']}",
            width if isinstance(width, int) else None,
            height if isinstance(height, int) else None,
        )
    return att.url, att.width, att.height


def _math(formula: str) -> str:
    return "$" + html.escape(formula.strip(), quote=False) + "$"


def _without_code(text: str) -> str:
    """The text without its `<pre>…</pre>` and `<code>…</code>` spans, as
    `re.sub(r"<pre\b.*?</pre>|<code\b.*?</code>", "", text, flags=re.S)` gives it, in linear time:
    once an opener has no closer after it, no later opener of that kind has one either."""
    out: list[str] = []
    pos = 0
    open_kinds = {"pre", "code"}
    while open_kinds:
        m = _CODE_OPENER.search(text, pos)
        while m is not None and m.group(1) not in open_kinds:
            m = _CODE_OPENER.search(text, m.start() + 1)
        if m is None:
            break
        end = text.find(f"</{m.group(1)}>", m.end())
        if end < 0:
            open_kinds.discard(m.group(1))
            continue  # search again from pos: an opener of the other kind may come first
        out.append(text[pos : m.start()])
        pos = end + len(m.group(1)) + 3
    out.append(text[pos:])
    return "".join(out)


_VERBATIM_OPENER = re.compile(r"<(pre|code|a|textarea|script|style)\b", re.I)


def _verbatim_spans(text: str) -> list[tuple[int, int]]:
    """Where the text has `<pre>`, `<code>`, `<a>`, `<textarea>`, `<script>` or `<style>`
    elements (opener to closer), left to right, in linear time: an opener without a closer
    after it means no later opener of that kind has one."""
    spans: list[tuple[int, int]] = []
    lower = text.lower()
    open_kinds = {"pre", "code", "a", "textarea", "script", "style"}
    pos = 0
    for m in _VERBATIM_OPENER.finditer(text):
        kind = m.group(1).lower()
        if m.start() < pos or kind not in open_kinds:
            continue
        end = lower.find(f"</{kind}", m.end())
        if end < 0:
            open_kinds.discard(kind)
            continue
        spans.append((m.start(), end))
        pos = end
    return spans


# `"<object" in text.lower()` and the like without a lowered copy of the text (ASCII case only:
# no other letter lowers to one of these)
_FLASH_OPENER = re.compile(r"<(?:object|embed)", re.I | re.A)
_SCRIPT_OPENER = re.compile(r"<script", re.I | re.A)
_SCRIPT_OPEN = re.compile(r"<script\b([^>]*)>", re.I)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.I)
_FLASH_TAG = re.compile(r"<(/?)(object|embed)\b[^>]*?(/?)>", re.I)
_ATTR = re.compile(r"""(?<![^\s"'])([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")
_PARAM = re.compile(r"<param\b([^>]*)>", re.I)


def _tag_attrs(tag: str) -> list[tuple[str, str]]:
    """(lowercase name, decoded value) of each attribute in the text of a tag (the first tag of
    `tag`), names matched exactly: `data-src` is not `src`."""
    m = re.match(r"\s*<?[\w:-]*([^>]*)", tag)
    attrs = m.group(1) if m else tag
    return [
        (a.group(1).lower(), html.unescape(a.group(2) or a.group(3) or a.group(4) or "")) for a in _ATTR.finditer(attrs)
    ]


def _flash_spans(text: str) -> list[tuple[int, int]]:
    """Where each outermost `<object>…</object>` and each `<embed>` outside one is: an `<object>`
    holds its `<param>`s, an `<embed>` (for other browsers) and maybe another `<object>`; an
    `<embed>` is void, its stray `</embed>` part of it. An unclosed `<object>` runs to the end."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for m in _FLASH_TAG.finditer(text):
        closing, kind = m.group(1), m.group(2).lower()
        if kind == "object":
            if closing and depth:
                depth -= 1
                if depth == 0:
                    spans.append((start, m.end()))
            elif not closing:
                if depth == 0:
                    start = m.start()
                depth += 1
        elif depth == 0 and not closing:
            end = m.end()
            close = re.match(r"\s*</embed\s*>", text[end:], re.I)
            spans.append((m.start(), end + (close.end() if close else 0)))
    if depth:
        spans.append((start, len(text)))
    return spans


def _movie_url(element: str) -> str:
    """The movie a Flash `<object>`/`<embed>` plays: its `movie` (or `src`, `url`, `filename`)
    `<param>`, the object's `data`, or the inner `<embed>`'s `src`."""
    for m in _PARAM.finditer(element):
        attrs = dict(_tag_attrs(m.group(1)))
        if attrs.get("name", "").lower() in ("movie", "src", "url", "filename") and attrs.get("value", "").strip():
            return attrs["value"].strip()
    for m in _FLASH_TAG.finditer(element):
        attrs = dict(_tag_attrs(m.group(0)))
        value = attrs.get("data" if m.group(2).lower() == "object" else "src", "").strip()
        if value and not m.group(1):
            return value
    return ""


def _link_inline(url: str, text: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(text or url, quote=False)}</a>'


def _text_spans(text: str) -> list[tuple[int, int]]:
    """Where the `<textarea>`s are (their content is text, tags and all), in linear time: once one
    has no closer after it, neither has any later one."""
    lower = text.lower()
    spans: list[tuple[int, int]] = []
    start = lower.find("<textarea")
    while start >= 0:
        end = lower.find("</textarea", start)
        if end < 0:
            break
        spans.append((start, end))
        start = lower.find("<textarea", end)
    return spans


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    i = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= offset < spans[i][1]


_TAG_START = re.compile(r"<(/?)([A-Za-z][\w:-]*)")
_ID_ATTR = re.compile(r"""(?<![^\s"'])id\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source"})
_VOID |= {"track", "wbr"}
_RAW_TEXT = frozenset(("script", "style", "textarea"))


_INLINE_FORMATTING = frozenset({"a", "abbr", "b", "big", "cite", "code", "del", "dfn", "em", "font", "i", "ins", "kbd"})
_INLINE_FORMATTING |= {"mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "tt", "u", "var"}


def _open_inline(text: str) -> list[tuple[str, str]]:
    """The inline elements open at the end of `text` inside its innermost open block, outermost
    first (see `_open_elements`)."""
    opened = _open_elements(text)
    k = len(opened)
    while k and opened[k - 1][0] in _INLINE_FORMATTING:
        k -= 1
    return opened[k:]


def _open_elements(text: str) -> list[tuple[str, str]]:
    """The elements still open at the end of `text` (name, opening tag without its id: the copy
    must not repeat it), outermost first, read as leniently as a browser: a closer closes the
    nearest open element of its name and those inside it; stray closers, void elements, comments
    and the content of scripts, styles and textareas count for nothing. Linear: the next `>` is
    searched for again only once passed."""
    stack: list[tuple[str, str]] = []
    raw = ""
    pos, gt = 0, -1
    while (lt := text.find("<", pos)) >= 0:
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            if end < 0:
                break
            pos = end + 3
            continue
        m = _TAG_START.match(text, lt)
        if m is None:
            pos = lt + 1
            continue
        if gt < m.end():
            gt = text.find(">", m.end())
            if gt < 0:
                break
        closing, name, attrs = m.group(1), m.group(2).lower(), text[m.end() : gt]
        pos = gt + 1
        if raw and not (closing and name == raw):
            continue
        if closing:
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == name:
                    del stack[k:]
                    break
            raw = ""
        elif name not in _VOID and not attrs.rstrip().endswith("/"):
            stack.append((name, f"<{name}{_ID_ATTR.sub('', attrs)}>"))
            raw = name if name in _RAW_TEXT else ""
    return stack


def _more_spans(text: str) -> list[tuple[int, int]]:
    """Where each `<!--more…-->` is, left to right, as `re.finditer(r"<!--more(.*?)?-->", text, re.S)`
    finds them — in linear time: once one has no `-->` after it, neither has any later one."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = text.find(_MORE, pos)
        if start < 0:
            return spans
        end = text.find("-->", start + len(_MORE))
        if end < 0:
            return spans
        spans.append((start, end + 3))
        pos = end + 3
