"""Losses found by the independent fidelity measure on real sites (issue 8, follow-up): highlighter
attributes matched by exact name, formatting inside <pre>, <!--more--> inside formatting, Flash
embeds, widget scripts, and needless backslashes. The golden cases are tests/cases/convert/loss2-*.txt."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.fidelity.compare import needless_backslashes, render_markdown
from migrate.mappings import Mappings
from migrate.markdown.html2md import escape_inline, escape_line_start
from migrate.site.content import item_body
from migrate.wordpress.render import Renderer
from migrate.wxr.index import SiteContext
from migrate.wxr.model import Item, Source

RENDERER = Renderer(SiteContext(), Mappings.load())
# what makes Markdown, and what stands beside it: letters, digits, spaces (a no-break one too), CJK
# text and punctuation, a Unicode symbol
ALPHABET = "ab1 _~*<>/!?-&;#[]()`\\{}|:@.=\"'$前）、€\u00a0"


def render(content: str):
    return RENDERER.render(Item(source=Source("t", 1), id=1, type="post", content=content))


def markdown(content: str) -> str:
    return item_body(Item(source=Source("t", 1), id=1, type="post", content=content), RENDERER).markdown


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=16))
def test_escaped_text_shows_exactly_the_text(text):
    text = text.strip(" \u00a0")
    if not text:
        return
    md = escape_line_start(escape_inline(text, " ", " ", False))
    shown = render_markdown(md)
    m = re.fullmatch(r"<p>([^<]*)</p>\n", shown)
    assert m is not None and html.unescape(m.group(1)) == text, (md, shown)


def test_no_needless_backslash_in_words_code_would_use():
    md = escape_inline("$_SERVER and G_Foo_Bar, 7~8, x < 5, a <- b, j<i), <要>", " ", " ", False)
    assert "\\" not in md
    assert needless_backslashes(md) == []


def test_an_opener_is_safe_beside_a_closer_in_other_pieces():
    # `$_` can open, `foo_` before `**` can close: the closer stays escaped, whatever stands around
    shown = render_markdown(markdown("<p><strong>$_GET and foo_</strong> x_<em>y</em>_z</p>"))
    assert "<strong>$_GET and foo_</strong>" in shown and "x_<em>y</em>_z" in shown


def test_data_lang_is_not_codecolorers_lang():
    out, _ = render('<pre><code class="language-groovy" data-lang="groovy"><span class="n">a</span></code></pre>')
    assert "&lt;span" not in out and '<span class="n">a</span>' in out
    out, _ = render('<code lang="php">&lt;b&gt;<i>x</i></code>')  # the real attribute still counts
    assert "&lt;i&gt;x&lt;/i&gt;" in out


def test_a_widget_script_is_dropped_with_a_note():
    out, notes = render(
        '<blockquote class="twitter-tweet"><p>Hi</p></blockquote><script async src="https://platform.twitter.com/widgets.js"></script>'
    )
    assert "<script" not in out and "<blockquote" in out
    assert notes.dropped == {"script Twitter/X widgets.js (its embed stays as HTML)": 1}
    out, notes = render('<script src="https://example.com/mine.js"></script>')  # not a widget: not this rule's
    assert "<script" in out and not notes.dropped


def test_flash_becomes_an_embed_or_a_link_with_a_note():
    out, notes = render(
        '<embed src="http://www.youtube.com/v/uwjXoHLP_7U&amp;hl=en" type="application/x-shockwave-flash">'
    )
    assert "youtube-nocookie.com/embed/uwjXoHLP_7U" in out and "<embed" not in out
    assert notes.dropped == {"Flash <object>/<embed> (now the youtube embed)": 1}
    out, notes = render('<object data="http://e.org/a.swf" title="Intro"><param name="quality" value="high"></object>')
    assert out.strip() == '<p><a href="http://e.org/a.swf">Intro</a></p>'
    assert notes.dropped == {"Flash <object>/<embed> (now a link)": 1}
    assert "<object" not in markdown('<object><param name="movie" value="http://e.org/b.swf"><embed src="x"></object>')


def test_more_inside_formatting_keeps_it_on_both_sides():
    shown = render_markdown(markdown("<b>one <i>two <!--more--> three</i> four</b>"))
    assert shown.count("<strong>") == 2 and shown.count("<em>") == 2 and "<!-- more -->" in shown


def test_a_pre_keeps_formatting_as_html():
    assert markdown("<pre>a <em>b</em>\nc</pre>") == "<pre>a <em>b</em>\nc</pre>\n"
    assert markdown('<pre>a <span class="k">b</span></pre>') == "```\na b\n```\n"
