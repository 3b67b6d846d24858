"""Issue 8's classes of loss in code, links, emphasis and the summary marker: each checked on what
Zola will show (our Markdown rendered by pulldown-cmark through pyromark), not only on the Markdown."""

from __future__ import annotations

import re

import pytest

from migrate.fidelity.compare import render_markdown
from migrate.mappings import Mappings
from migrate.markdown.document import html_markdown
from migrate.site.content import item_body
from migrate.wordpress.render import Renderer, _inside, _verbatim_spans
from migrate.wxr.index import SiteContext
from migrate.wxr.model import Item, Source

RENDERER = Renderer(SiteContext(), Mappings.load())


def markdown(content: str, renderer: Renderer = RENDERER) -> str:
    return item_body(Item(source=Source("t", 1), id=1, type="post", content=content), renderer).markdown


def shown(content: str) -> str:
    """What Zola shows for the stored content."""
    return render_markdown(markdown(content))


# -- Custom HTML blocks ------------------------------------------------------------------------------


def test_custom_html_block_keeps_the_blocks_inside_it():
    page = shown(
        '<!-- wp:html --><div class="x"><!-- wp:paragraph --><p>Inner words</p><!-- /wp:paragraph -->'
        "<p>own words</p></div><!-- /wp:html -->"
    )
    assert "<p>Inner words</p>" in page and "own words" in page


# -- highlighter code is text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, language",
    [
        ('<pre lang="php"><?php echo "<form>"; ?>\n<script>x()</script></pre>', "php"),
        ('<pre class="lang:php">\n<?php echo "<form>"; ?>\n<script>x()</script></pre>', "php"),
        ('<code lang="php"><?php echo "<form>"; ?> <script>x()</script></code>', "php"),
    ],
)
def test_highlighter_code_is_shown_as_code_never_as_markup(content, language):
    page = shown(content)
    assert f'<code class="language-{language}">' in page
    assert "&lt;form&gt;" in page and "&lt;script&gt;" in page  # the tags are text of the code
    assert "<form" not in page and "<script" not in page  # nothing became live


def test_wp_syntax_decodes_only_the_special_characters_and_only_when_escaped():
    assert "&amp;nbsp; &lt;b&gt;" in shown('<pre lang="html" escaped="true">&amp;nbsp; &lt;b&gt;&nbsp;</pre>')
    assert "&amp;lt;b&amp;gt;" in shown('<pre lang="html">&lt;b&gt;</pre>')  # verbatim: GeSHi showed "&lt;b&gt;"


def test_a_pre_with_other_attributes_is_not_wp_syntax_and_stays_html():
    page = shown('<pre lang="php" class="x"><strong>bold</strong></pre>')  # WP-Syntax's regex refuses it
    assert "bold" in page and "&lt;strong&gt;" not in page


def test_crayon_decodes_with_decode_true_and_knows_its_opt_out():
    assert "if (a &lt; b)" in shown('<pre class="lang:js decode:true">if (a &lt; b)</pre>')
    assert "&lt;em&gt;" not in shown('<pre class="lang:js crayon:false"><em>html</em></pre>')


def test_codecolorer_code_is_a_block_unless_inline():
    assert markdown('Use <code lang="sh">ls <b></code> here.') == "Use\n\n```sh\nls <b>\n```\n\nhere.\n"
    assert markdown('Use <code lang="sh" inline="true">ls <b></code> here.') == "Use `ls <b>` here.\n"
    assert markdown("Plain <code><b>bold</b></code> code.") == "Plain `bold` code.\n"  # no lang: HTML


def test_a_users_code_tag_mapping_is_used(tmp_path):
    user = tmp_path / "mine.toml"
    user.write_text(
        "[[code_tags]]\nname = 'mine'\ntag = 'pre'\nmatch = 'data-raw'\nskip = ''\n"
        "language = 'data-raw=\"(?P<lang>\\w+)\"'\ndecode = ''\ndecodes = 'entities'\ninline = ''\n"
    )
    renderer = Renderer(SiteContext(), Mappings.load(user))
    assert markdown('<pre data-raw="c">a <b> c</pre>', renderer) == "```c\na <b> c\n```\n"
    assert markdown('<pre data-raw="c">a <b> c</pre>') == "<pre>a <b> c</b></pre>\n"  # without it: HTML


def test_an_unclosed_highlighter_pre_is_left_to_wpautop():
    assert "`a`" not in markdown('<pre lang="php">a') and "a" in markdown('<pre lang="php">a')


# -- nested <pre>, links in <pre> ---------------------------------------------------------------------


def test_a_pre_with_links_and_an_image_keeps_them():
    page = shown(
        '<pre>see <a href="https://e.org/x?a=1&amp;b=2">docs</a> <img src="/s.png" alt="s">\n<pre>inner</pre></pre>'
    )
    assert '<a href="https://e.org/x?a=1&amp;b=2">docs</a>' in page
    assert '<img src="/s.png"' in page and "inner" in page and page.count("<pre") == 1


def test_a_pre_in_html_is_a_fixed_point():
    md = html_markdown('<pre>x <a href="/a">a</a>\n\n  y &lt;z&gt;</pre>')
    assert html_markdown(render_markdown(md)) == md


# -- links ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html_text, text",
    [
        ('<a href="/r.pdf">Report [PDF]</a>', "Report [PDF]"),
        ('<a href="/n">[1]</a>', "[1]"),
        ('<a href="/n">a ] b [ c</a>', "a ] b [ c"),
        ('<a href="/n"><strong>[x]</strong> <code>[0]</code></a>', "<strong>[x]</strong> <code>[0]</code>"),
    ],
)
def test_link_text_holding_brackets_is_one_link(html_text, text):
    page = shown(f"<p>See {html_text} now.</p>")
    assert re.search(r'<a href="/[^"]+">' + re.escape(text) + "</a>", page), page


def test_urls_with_entities_are_one_ampersand_everywhere():
    content = (
        "[googlemaps https://maps.google.com/?q=a&amp;z=3]\n\n"
        '[audio src="https://e.org/a.mp3?x=1&amp;y=2"]\n\n'
        '<!-- wp:embed {"url":"https://e.org/p?a=1\\u0026amp;b=2"} --><figure class="wp-block-embed">'
        "</figure><!-- /wp:embed -->"
    )
    page = shown(content)
    assert "&amp;amp;" not in page
    assert "q=a&amp;z=3" in page and "x=1&amp;y=2" in page and 'href="https://e.org/p?a=1&amp;b=2"' in page


# -- bare URLs ------------------------------------------------------------------------------------------


def test_a_bare_url_line_that_is_no_embed_becomes_a_link_outside_code():
    page = shown("Read:\n\nhttps://example.org/a?b=1&amp;c=2\n\n<pre>\nhttps://example.org/code\n</pre>")
    assert '<a href="https://example.org/a?b=1&amp;c=2">' in page
    assert '<a href="https://example.org/code"' not in page and "https://example.org/code" in page


def test_verbatim_spans_are_found_in_linear_time_and_without_a_closer():
    text = "<a href=x>" * 20000 + "<pre>p</pre> tail"
    spans = _verbatim_spans(text)
    assert spans == [(text.index("<pre>"), text.index("</pre>"))]
    assert _inside(spans, text.index("p</pre>")) and not _inside(spans, len(text) - 1)


# -- emphasis beside CJK punctuation ---------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["strong", "em", "b", "i"])
def test_emphasis_beside_cjk_punctuation_is_kept(tag):
    shown_tag = {"b": "strong", "i": "em"}.get(tag, tag)
    page = shown(f"<p>的<{tag}>《计算机图形学》</{tag}>和</p>")
    assert f"<{shown_tag}>《计算机图形学》</{shown_tag}>" in page
    assert "*" not in page


def test_emphasis_that_flanks_stays_markdown():
    assert markdown("<p>普通的<strong>粗体</strong>没有</p>") == "普通的**粗体**没有\n"


# -- the summary marker ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "<p>Teaser<!--more--> rest</p>",
        "<h2>Title<!--more--></h2><p>rest</p>",
        "<ul><li>one<!--more--></li><li>two</li></ul>",
        "<table><tr><td>a<!--more--></td><td>b</td></tr></table>",
        "<!-- wp:paragraph --><p>Teaser<!--more--> rest</p><!-- /wp:paragraph -->",
        "<blockquote><p>quoted<!--more--></p></blockquote>",
    ],
)
def test_more_inside_a_block_is_the_summary_marker_on_its_own_line(content):
    md = markdown(content)
    assert md.split("\n").count("<!-- more -->") == 1, md
    assert re.search(r"(?:^|\n\n)<!-- more -->(?:\n\n|\n$)", md), md


def test_only_the_first_more_marker_counts():
    md = markdown(
        "<!-- wp:paragraph --><p>a<!--more-->b</p><!-- /wp:paragraph --><!-- wp:paragraph --><p>c<!--more-->d</p><!-- /wp:paragraph -->"
    )
    assert md == "a\n\n<!-- more -->\n\nb\n\ncd\n"


# -- inline code at word edges -------------------------------------------------------------------------------


def test_a_space_at_the_edge_of_inline_code_keeps_words_apart():
    page = shown("<p>run <code>npm install </code>then <code> test</code>now</p>")
    assert "<code>npm install</code> then <code>test</code>now" in page
