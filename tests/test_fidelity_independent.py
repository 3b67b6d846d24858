"""The independent side of the fidelity measure (`stored.py`) and the counts the old one lacked:
stored words against Zola's, bold/italic runs, the summary marker, link targets, images, needless
backslashes, raw tags by name, errors, and markup too deep for libxml2."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import migrate.wordpress.render as render_module
from migrate.fidelity.compare import (
    FLAG_BELOW,
    compare,
    format_errors,
    format_table,
    needless_backslashes,
    raw_html_tags,
    summarize,
    visible_words,
)
from migrate.fidelity.measure import measure_export
from migrate.fidelity.stored import ShortcodeRules, stored_content
from migrate.mappings import Mappings

from .conftest import wxr_item

RULES = ShortcodeRules.from_tables(Mappings.load().tables)


def words(content: str) -> list[str]:
    return stored_content(content, RULES).words


# --------------------------------------------------------------------------------------------------
# What the stored content shows


def test_block_comments_and_their_attributes_are_no_words():
    content = (
        '<!-- wp:paragraph {"className":"secret-class","placeholder":"hidden words"} -->\n'
        "<p>Shown text</p>\n<!-- /wp:paragraph -->\n<!-- wp:separator /-->"
    )
    assert words(content) == ["shown", "text"]


def test_shortcodes_lose_brackets_and_attributes_and_keep_shown_text():
    caption = (
        '[caption id="attachment_5" align="alignleft" width="300"]<img src="a.jpg" alt="Alt words"> A cat[/caption]'
    )
    assert words(caption) == ["a", "cat"]
    assert words('[caption caption="Old style" width="10"]<img src="a.jpg">[/caption]') == ["old", "style"]
    assert words('[gallery ids="1,2,3" columns="3"]') == []
    assert words("[embed]https://www.youtube.com/watch?v=abc[/embed] after") == ["after"]
    assert words("[recipe]Bake it[/recipe]") == ["bake", "it"]  # unwrap: its text is shown
    assert words("[[gallery]]") == ["gallery"]  # escaped: shown as [gallery]
    assert words("an [unknown thing] stays") == ["an", "unknown", "thing", "stays"]  # not a known name
    assert words("[captioned]x[/captioned]") == ["captioned", "x", "captioned"]  # another name


def test_entities_are_decoded_once_and_inline_tags_join_words():
    assert words("<p>Tom &amp; Jerry&nbsp;&#8217;s &lt;b&gt; &amp;amp;</p>") == ["tom", "jerry", "s", "b", "amp"]
    assert words("<p>wo<em>r</em>d</p><p>next</p>") == ["word", "next"]
    assert words("one<br>two<div>three</div>") == ["one", "two", "three"]


def test_what_a_reader_does_not_see_is_no_words():
    content = (
        "<script>var notShown = '<p>x</p>';</script><style>p { color: red }</style>"
        "<p hidden>gone</p><div style='display: none'>gone <div>too</div> still</div>"
        "<!-- a comment --><!--nextpage--><!--more-->"
        "<img src='a.png' alt='alternative text' title='a title'>"
        "<iframe src='https://x.org'>fallback</iframe><video src='v.mp4'>no video</video>"
        "<p>Seen</p><textarea>typed text</textarea><![CDATA[ cdata text ]]><?php echo 'x'; ?>"
    )
    assert words(content) == ["seen", "typed", "text", "cdata", "text"]


def test_a_url_alone_on_a_line_is_an_embed():
    content = "Look:\nhttps://www.youtube.com/watch?v=abc\n<p>https://vimeo.com/1</p>\nSee https://x.org/a here."
    assert words(content) == ["look", "see", "https", "x", "org", "a", "here"]
    block = (
        '<!-- wp:embed {"url":"https://twitter.com/a/status/1"} -->\n<figure class="wp-block-embed">'
        '<div class="wp-block-embed__wrapper">\nhttps://twitter.com/a/status/1\n</div>'
        "<figcaption>A tweet</figcaption></figure>\n<!-- /wp:embed -->"
    )
    assert words(block) == ["a", "tweet"]


def test_highlighter_code_is_verbatim_plain_pre_is_markup():
    assert words('[php]<?php echo "<div>"; ?>[/php]') == ["php", "echo", "div"]
    assert words('<pre lang="php">$a = "<b>x</b>";</pre>') == ["a", "b", "x", "b"]
    assert words('<pre class="lang:php decode:true">&lt;i&gt;</pre>') == ["i"]
    assert words("<pre><b>bold</b> code</pre>") == ["bold", "code"]
    # data-lang is no highlighter's attribute; a highlighted <pre> inside a plain <code> still is
    assert words('<code data-lang="kotlin"><span class="k">val</span></code>') == ["val"]
    assert words('<code>\n<pre lang="java"><table></pre></code>') == ["table"]


def test_reusable_blocks_show_their_content_and_runs_links_images_more_are_read():
    stored = stored_content(
        '<!-- wp:block {"ref":7} /--><p><strong>Bold <em>both</em></strong> <b></b><i>it</i> '
        '<a href="https://ex.org/a/">x</a> <a href="/local">y</a><a href="#"></a> '
        '<sup data-fn="f"><a href="#f">1</a></sup><img src="p.jpg"></p><!--more Read on-->',
        RULES,
        {7: "<p>Reused words</p>"},
    )
    assert stored.words == ["reused", "words", "bold", "both", "it", "x", "y", "1"]
    assert stored.bold == [["bold", "both"]]  # the empty <b> shows nothing
    assert stored.italic == [["both"], ["it"]]
    assert stored.links == ["https://ex.org/a", "/local"]  # the empty link and the footnote reference are not
    assert stored.images == ["p.jpg"]
    assert stored.more


# --------------------------------------------------------------------------------------------------
# The independent comparison


def test_the_independent_measure_sees_what_the_render_lost():
    content = "<p>First paragraph here.</p>\n\n<p>Second paragraph, lost.</p>"
    rendered = "<p>First paragraph here.</p>"  # a render that dropped the second paragraph
    result = compare(rendered, "First paragraph here.\n", stored=stored_content(content, RULES))
    assert result.words_kept == result.words_wordpress == 3  # the render and the Markdown agree
    assert (result.stored_words, result.stored_kept) == (6, 3)
    assert sorted(result.stored_lost) == ["lost", "paragraph", "second"]
    assert result.flagged and not result.perfect
    assert not compare(rendered, "First paragraph here.\n").flagged  # without it, nothing is flagged


def test_flagging_threshold():
    content = "<p>" + " ".join(f"w{n}" for n in range(100)) + "</p>"
    kept_91 = " ".join(f"w{n}" for n in range(91)) + "\n"
    kept_89 = " ".join(f"w{n}" for n in range(89)) + "\n"
    assert not compare("", kept_91, stored=stored_content(content)).flagged
    assert compare("", kept_89, stored=stored_content(content)).flagged
    assert FLAG_BELOW == 0.9


def test_an_item_rendering_to_nothing_is_an_error():
    result = compare("", "\n", stored=stored_content("<p>Words that were there.</p>"))
    assert result.errors == ["renders to nothing: the stored content has 4 words, WordPress's render 0"]
    assert result.flagged
    assert compare("", "", stored=stored_content("<!-- wp:separator /-->")).errors == []  # nothing to show
    assert compare("<p>Shown</p>", "").errors == ["renders to nothing: WordPress showed 1 words"]
    site = summarize([("empty", result), ("fine", compare("<p>a</p>", "a\n", stored=stored_content("a")))])
    assert site.errors == [("empty", result.errors[0])]
    assert [name for name, _ in site.worst] == ["empty"]
    assert format_errors({"blog": site}) == f"ERROR blog: empty: {result.errors[0]}\n"
    row = format_table({"blog": site}).splitlines()[2].split()
    assert row[:7] == ["blog", "2", "100.0%", "20.0%", "0.0%", "1", "1"]  # 1 flagged, 1 item with errors


def test_a_dropped_bold_run_and_italic_run():
    stored = stored_content("<p><strong>Key</strong> point and <em>stress</em> here, <b>more</b></p>")
    full = compare("", "**Key** point and *stress* here, **more**\n", stored=stored)
    assert (full.bold_stored, full.bold_kept, full.italic_stored, full.italic_kept) == (2, 2, 1, 1)
    lost = compare("", "**Key** point and stress here, more\n", stored=stored)
    assert (lost.bold_kept, lost.italic_kept) == (1, 0)
    assert lost.stored_kept == lost.stored_words and not lost.perfect
    merged = compare("", "", stored=stored_content("<b>a</b><b>b</b> c"))
    assert merged.bold_stored == 1  # adjacent runs are one run when the text joins them
    split = compare("", "**a** b\n", stored=stored_content("<b>a b</b>"))
    assert split.bold_kept == 0


def test_a_changed_href_an_internal_rewrite_and_a_lost_image():
    stored = stored_content(
        '<p><a href="https://other.org/a">ext</a> <a href="https://example.com/2021/01/post/">own</a> '
        '<img src="https://example.com/wp-content/uploads/a.jpg"></p>'
    )
    hosts = {"example.com"}
    kept = compare(
        "",
        "[ext](https://other.org/a) [own](@/2021/01/post.md) ![](/wp-content/uploads/a.jpg)\n",
        stored=stored,
        hosts=hosts,
    )
    assert (kept.external_links, kept.external_kept, kept.internal_links, kept.internal_shown) == (1, 1, 1, 1)
    assert (kept.images_stored, kept.images_shown) == (1, 1)
    changed = compare("", "[ext](https://other.org/b) own\n", stored=stored, hosts=hosts)
    assert (changed.external_kept, changed.external_lost) == (0, ["https://other.org/a"])
    assert (changed.internal_shown, changed.images_shown) == (0, 0)
    assert not changed.perfect


def test_the_more_marker_must_stand_alone_as_zolas():
    stored = stored_content("<p>Teaser</p><!--more--><p>Rest</p>")
    assert compare("", "Teaser\n\n<!-- more -->\n\nRest\n", stored=stored).more_kept
    assert not compare("", "Teaser\n\nRest\n", stored=stored).more_kept
    assert not compare("", "Teaser\n\n<!--more-->\n\nRest\n", stored=stored).more_kept  # 0.17 does not know it
    glued = compare("", "<p>Teaser</p><!-- more --><p>Rest</p>\n", stored=stored)
    assert not glued.more_kept  # Zola 0.17 replaces the whole block, text and all


# --------------------------------------------------------------------------------------------------
# The Markdown itself


def test_needless_backslashes():
    assert len(needless_backslashes("a\\. b\n")) == 1
    assert needless_backslashes("1\\. b\n") == []  # it stops an ordered list
    assert needless_backslashes("\\# not a heading\n\n\\- not a list\n\n\\*not em\\*\n") != []
    assert len(needless_backslashes("\\*not em\\*\n")) == 1  # one of the two is needed
    assert needless_backslashes("`a\\.` and\n\n```\nb\\.\n```\n") == []  # in code a backslash shows
    assert needless_backslashes("\\[x] and \\[^1]\n\n[x]: /u\n\n[^1]: A note.\n") == []  # definitions elsewhere
    assert len(needless_backslashes("\\[y]\n\n[x]: /u\n")) == 1
    assert needless_backslashes("path\\to\n") == []  # not an escape: the backslash shows
    assert len(needless_backslashes("é\\. ü\n\n- item \\!\n")) == 2  # byte ranges of non-ASCII text
    assert compare("", "a\\. b\n").needless_backslashes == ["a\\. b"]


def test_needless_backslashes_are_fast_on_long_documents():
    import time

    markdown = "\n\n".join(f"{n}\\. is needed, and this\\. is not" for n in range(2000)) + "\n"
    start = time.perf_counter()
    assert len(needless_backslashes(markdown)) == 2000
    assert time.perf_counter() - start < 5


def test_every_raw_tag_is_counted_by_name_and_some_are_never_deliberate():
    markdown = (
        '<figure><img src="a.jpg"><figcaption>c</figcaption></figure>\n\n'
        "<script>document.write('<p>x</p>')</script>\n\n<form><input name=q></form>\n\n"
        "Text <span>s</span> `<code>` and\n\n```\n<object>\n```\n\n</body>\n"
    )
    result = compare("", markdown)
    assert result.raw_tags == {"figure": 1, "img": 1, "figcaption": 1, "script": 1, "form": 1, "input": 1,
                               "span": 1, "/body": 1}  # fmt: skip
    assert result.never_deliberate == ["/body", "form", "input", "script"]
    assert not result.perfect
    assert raw_html_tags(markdown) == ["span"]  # the old count: tags Markdown can write, outside <figure> & co


# --------------------------------------------------------------------------------------------------
# Deep markup


@pytest.mark.parametrize("depth", [3000, 20000])
def test_deep_markup_keeps_its_words(depth):
    deep = "<p>before</p>" + "<div><span>" * depth + "deep words" + "</span></div>" * depth + "<p>after</p>"
    assert visible_words(deep) == ["before", "deep", "words", "after"]
    stray = "<div>" + "<div></b>" * depth + "deep <b>wo</b>rds" + "</div>" * depth + " after"  # hides its depth
    assert visible_words(stray) == ["deep", "words", "after"]
    result = compare(deep, "before\n\ndeep words\n\nafter\n", stored=stored_content(deep))
    assert result.words_kept == result.words_wordpress == result.stored_kept == result.stored_words == 4


# --------------------------------------------------------------------------------------------------
# Through the renderer: the measure can fail


def test_a_render_that_loses_a_paragraph_is_caught_by_the_independent_measure(write_export, monkeypatch):
    content = "First paragraph of the post.\n\nSecond paragraph, which the render loses."
    export = write_export(wxr_item(1, "Post", content=content), wxr_item(2, "Other", content="<p>Fine words.</p>"))
    real = render_module.wpautop

    def lossy(text: str, *args, **kwargs) -> str:  # drops every paragraph after the first
        return real(text.split("\n\n")[0], *args, **kwargs)

    monkeypatch.setattr(render_module, "wpautop", lossy)
    measured = {m.item.id: m.result for m in measure_export(export, Mappings.load())}
    lossy_post = measured[1]
    assert lossy_post.words_kept == lossy_post.words_wordpress == 5  # the old measure: perfect agreement
    assert (lossy_post.stored_words, lossy_post.stored_kept) == (11, 5)
    assert lossy_post.flagged
    assert not measured[2].flagged
    site = summarize(measured.items())
    assert site.words_ratio == 1.0 and site.stored_ratio < 0.995


# --------------------------------------------------------------------------------------------------
# Properties

_soup = st.lists(
    st.one_of(
        st.sampled_from(
            ["<p>", "</p>", "<b>", "</b>", "<em>", "<a href='https://x.org'>", "</a>", "<img src=a>", "<script>",
             "</script>", "<!--", "-->", "<!-- wp:block {\"ref\":1} /-->", "[caption]", "[/caption]", "[code]",
             "[/code]", "<pre lang=x>", "</pre>", "<div hidden>", "</div>", "<![CDATA[", "]]>", "&amp;", "&",
             "https://x.org/v\n", "\n", "<!--more-->", "<textarea>", "<", ">", "\"", "'", "\x00", "\ud800"]
        ),
        st.text(max_size=6),
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_soup, st.one_of(st.text(), _soup))
def test_the_independent_measure_never_raises(content, markdown):
    stored = stored_content(content, RULES, {1: content})
    result = compare(content, markdown, ["caption"], stored=stored, hosts={"x.org"})
    assert 0 <= result.stored_kept <= result.stored_words == len(stored.words)
    assert result.bold_kept <= result.bold_stored and result.external_kept <= result.external_links
    assert len(needless_backslashes(markdown)) <= markdown.count("\\")
