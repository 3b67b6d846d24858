"""The fidelity harness: WordPress HTML against our Markdown as Zola's engine renders it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.fidelity.compare import (
    ZOLA_OPTIONS,
    ItemFidelity,
    SiteFidelity,
    Structure,
    compare,
    diff_report,
    format_table,
    leftovers,
    raw_html_tags,
    render_markdown,
    structure,
    summarize,
    visible_words,
)

# --------------------------------------------------------------------------------------------------
# Rendering like Zola


def test_render_markdown_has_zolas_extensions():
    html = render_markdown(
        "# Title {#top .big}\n\n~~gone~~ text[^n]\n\n[^n]: Note.\n\n- [x] done\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert '<h1 id="top" class="big">Title</h1>' in html
    assert "<del>gone</del>" in html
    assert 'class="footnote-definition"' in html
    assert 'type="checkbox"' in html
    assert "<table>" in html and "<td>1</td>" in html
    # Off in Zola: smart punctuation.
    assert '"quoted" -- x' in render_markdown('"quoted" -- x').replace("&quot;", '"')
    assert ZOLA_OPTIONS  # a non-empty flag set


# --------------------------------------------------------------------------------------------------
# Visible words


def test_visible_words_skip_what_a_reader_does_not_see():
    html = (
        "<p>Hello <em>wo</em>rld</p><script>var hidden = 1;</script><style>p { x: y }</style>"
        "<template><p>later</p></template><!-- a comment --><input type='hidden' value='secret'>"
        "<p hidden>gone</p><div style='display: none'>gone too</div>"
        "<img src='a.png' alt='alternative text'><noscript>enable js</noscript>"
    )
    assert visible_words(html) == ["hello", "world"]


def test_visible_words_normalise_case_width_quotes_and_dashes():
    assert visible_words("<p>Don’t STOP—ＦＵＬＬ width &amp; “quotes”</p>") == visible_words(
        '<p>don\'t stop-full width & "quotes"</p>'
    )
    assert visible_words("<p>Don’t</p>") == ["don't"]
    assert visible_words("<p>&nbsp;</p><p>a&nbsp;b</p>") == ["a", "b"]
    assert visible_words("<p>café</p>") == visible_words("<p>cafe\u0301</p>") == ["café"]
    assert visible_words("<p>हिन्दी</p>") == ["हिन्दी"]  # combining vowel signs stay in the word


def test_visible_words_blocks_split_words_inline_elements_do_not():
    assert visible_words("<p>one</p><p>two</p>") == ["one", "two"]
    assert visible_words("<li>a</li><li>b</li>") == ["a", "b"]
    assert visible_words("a<br>b") == ["a", "b"]
    assert visible_words("<strong>bo</strong><em>ld</em>") == ["bold"]


def test_cjk_characters_each_count_as_a_word():
    assert visible_words("<p>我爱北京。</p>") == ["我", "爱", "北", "京"]
    assert visible_words("<p>日本語のテキスト</p>") == list("日本語のテキスト")
    assert visible_words("<p>한국어 문장</p>") == ["한", "국", "어", "문", "장"]
    assert visible_words("<p>Zola是一个static site生成器</p>") == [
        "zola",
        "是",
        "一",
        "个",
        "static",
        "site",
        "生",
        "成",
        "器",
    ]
    assert visible_words("<p>ｶﾀｶﾅ・テスト</p>") == ["カ", "タ", "カ", "ナ", "テ", "ス", "ト"]


def test_cjk_post_loss_is_measured_per_character():
    result = compare("<p>我爱北京天安门。</p>", "我爱北京。\n")
    assert (result.words_wordpress, result.words_kept) == (7, 4)


# --------------------------------------------------------------------------------------------------
# Structure


def test_structure_collects_elements_with_their_rules():
    s = structure(
        "<h2>Intro <a class='anchor' href='#intro'>#</a></h2>"
        "<ol start='3'><li>a<ul><li>b</li><li></li></ul></li></ol>"
        "<p><a href='https://x.org/a/?q=1&amp;b=2'>link</a><a href='#nothing'></a> <img src='i%20x.png' alt=' my  alt'></p>"
        "<pre>\n  code  \n\n</pre>"
        "<table><tr><td>&nbsp;</td><th> h </th></tr></table>"
        "<blockquote><p>q</p><blockquote>inner</blockquote><ul><li>li</li></ul></blockquote>"
    )
    assert s == Structure(
        headings=[(2, "Intro")],
        list_items=[(1, True, "a"), (2, False, "b"), (1, False, "li")],  # the empty <li> shows nothing
        links=[("https://x.org/a?q=1&b=2", "link")],
        images=[("i x.png", "my alt")],
        code_blocks=["  code"],
        table_cells=["", "h"],
        blockquotes=[(1, "q li"), (2, "inner")],
        list_starts=[3],
    )


def test_structure_reads_footnotes_of_wordpress_and_pulldown_cmark_alike():
    wordpress = (
        '<p>Text<sup data-fn="ab" class="fn"><a href="#ab" id="ab-link">1</a></sup></p>'
        '<ol class="wp-block-footnotes"><li id="ab">The <a href="https://x.org">note</a>. '
        '<a href="#ab-link" aria-label="Jump to footnote reference 1">↩︎</a></li></ol>'
    )
    markdown_extra = (
        '<p>Text<sup id="fnref:1"><a href="#fn:1" class="footnote-ref">1</a></sup></p><div class="footnotes"><hr>'
        '<ol><li id="fn:1"><p>The <a href="https://x.org">note</a>.&#160;<a href="#fnref:1" class="footnote-backref">'
        "&#8617;</a></p></li></ol></div>"
    )
    zola = render_markdown("Text[^1]\n\n[^1]: The [note](https://x.org).\n")
    expected = Structure(links=[("https://x.org", "note")], footnotes=["The note."])
    assert structure(wordpress) == structure(markdown_extra) == structure(zola) == expected


# --------------------------------------------------------------------------------------------------
# Pairs that render the same


EQUAL_PAIRS = {
    "paragraphs": (
        (
            "<p>First paragraph with <strong>bold</strong> and <em>emphasis</em>.</p>\n"
            "<p>Second&nbsp;one, with a<br />\nline break.</p>\n<p>&nbsp;</p>"
        ),
        "First paragraph with **bold** and *emphasis*.\n\nSecond one, with a  \nline break.\n",
    ),
    "classic editor text without <p>": (
        "First paragraph.\n\nSecond paragraph\nwith a break.",
        "First paragraph.\n\nSecond paragraph  \nwith a break.\n",
    ),
    "nested mixed lists with start": (
        (
            '<ol start="3"><li>three<ul><li>bullet <em>a</em></li><li>bullet b<ol><li>deep</li></ol></li></ul></li>'
            "<li>four</li></ol><ul><li></li><li>after</li></ul>"
        ),
        "3. three\n   - bullet *a*\n   - bullet b\n     1. deep\n4. four\n\n<!-- -->\n\n-\n- after\n",
    ),
    "loose list items": (
        "<ul><li><p>one</p></li><li><p>two</p></li></ul>",
        "- one\n\n- two\n",
    ),
    "code with language": (
        (
            '<pre class="wp-block-code"><code lang="python" class="language-python">\ndef f():   \n'
            '    return "&lt;b&gt;"\n\n</code></pre>'
        ),
        '```python\ndef f():\n    return "<b>"\n```\n',
    ),
    "tables": (
        (
            '<figure class="wp-block-table"><table><thead><tr><th>Name</th><th>Age</th></tr></thead>'
            "<tbody><tr><td>Ann <strong>B.</strong></td><td>&nbsp;</td></tr></tbody></table></figure>"
        ),
        "| Name | Age |\n|---|---|\n| Ann **B.** |  |\n",
    ),
    "table kept as HTML": (
        "<table><tr><td>a</td><td>b</td></tr></table>",
        "<table><tr><td>a</td><td>b</td></tr></table>\n",
    ),
    "blockquote with nested list": (
        "<blockquote><p>Quoted</p><ul><li>one</li><li>two</li></ul><blockquote><p>deeper</p></blockquote></blockquote>",
        "> Quoted\n>\n> - one\n> - two\n>\n> > deeper\n",
    ),
    "images with alt and title": (
        (
            '<p>Look: <img src="https://ex.org/wp-content/uploads/a.jpg" alt="A cat" title="Cat" width="300" /></p>'
            '<p><a href="https://ex.org/big.jpg"><img src="https://ex.org/small%20one.jpg" alt="" /></a></p>'
        ),
        (
            'Look: ![A cat](https://ex.org/wp-content/uploads/a.jpg "Cat")\n\n'
            "[![](<https://ex.org/small one.jpg>)](https://ex.org/big.jpg)\n"
        ),
    ),
    "links with titles": (
        (
            '<p>See <a href="https://ex.org/docs/?a=1&#038;b=2" title="Docs">the docs</a> and '
            '<a href="/about/">about us</a>, <a href="https://ex.org/é">é</a>.</p>'
        ),
        'See [the docs](https://ex.org/docs?a=1&b=2 "Docs") and [about us](/about), [é](https://ex.org/%C3%A9).\n',
    ),
    "headings": (
        '<h2 id="intro">Intro <a class="anchor-link" href="#intro">¶</a></h2><h3>Details</h3>',
        "## Intro ##\n\n### Details {#details}\n",
    ),
    "footnotes": (
        (
            '<p>Claim<sup data-fn="f1" class="fn"><a href="#f1" id="f1-link">1</a></sup>.</p>'
            '<ol class="wp-block-footnotes"><li id="f1">Source. <a href="#f1-link" '
            'aria-label="Jump to footnote reference 1">↩︎</a></li></ol>'
        ),
        "Claim[^1].\n\n[^1]: Source.\n",
    ),
    "figure HTML kept": (
        (
            '<figure class="wp-block-image"><img src="x.jpg" alt="X" /><figcaption>Caption <em>text</em></figcaption>'
            "</figure>"
        ),
        (
            '<figure class="wp-block-image"><img src="x.jpg" alt="X" /><figcaption>Caption <em>text</em></figcaption>'
            "</figure>\n"
        ),
    ),
    "chinese": ("<p>我爱北京。</p><ul><li>第一</li></ul>", "我爱北京。\n\n- 第一\n"),
}


@pytest.mark.parametrize("wordpress, markdown", EQUAL_PAIRS.values(), ids=EQUAL_PAIRS.keys())
def test_equal_pairs(wordpress, markdown):
    result = compare(wordpress, markdown)
    assert result.differences == []
    assert result.structure_equal
    assert result.words_wordpress > 0
    assert result.words_kept == result.words_wordpress
    assert result.raw_html == [] and result.leftovers == []


# --------------------------------------------------------------------------------------------------
# Pairs that do not


def test_lost_list_depth():
    result = compare("<ul><li>a<ul><li>b</li></ul></li></ul>", "- a\n- b\n")
    assert not result.structure_equal
    assert result.differences == ["list item depth 2 'b' is depth 1"]
    assert result.words_kept == result.words_wordpress == 2


def test_list_becoming_ordered_and_losing_its_start():
    result = compare('<ol start="8"><li>x</li></ol>', "- x\n")
    assert result.differences == ["list item depth 1 'x' is unordered", "ordered list starting at 8 missing"]
    result = compare('<ol start="8"><li>x</li></ol>', "1. x\n")
    assert result.differences == ["ordered list starting at 8 is starting at 1"]


def test_lost_heading():
    result = compare("<h2>Intro</h2><p>Text here.</p>", "Intro\n\nText here.\n")
    assert result.differences == ["heading 2 'Intro' missing"]
    assert result.words_kept == result.words_wordpress == 3
    assert compare("<h2>Intro</h2>", "### Intro\n").differences == ["heading 2 'Intro' is heading 3"]


def test_lost_paragraph_words():
    result = compare("<p>One two three.</p><p>Four five.</p>", "One two three.\n")
    assert (result.words_wordpress, result.words_kept) == (5, 3)
    assert result.structure_equal  # words are not structure


def test_lost_link():
    result = compare('<p>See <a href="https://ex.org/">the site</a>.</p>', "See the site.\n")
    assert result.differences == ["link 'the site' (https://ex.org) missing"]
    assert result.words_kept == result.words_wordpress
    moved = compare('<p><a href="https://ex.org/a">docs</a></p>', "[docs](https://ex.org/b)\n")
    assert moved.differences == ["link 'docs' (https://ex.org/a) is to https://ex.org/b"]


def test_other_differences_read_well():
    assert compare("<p><img src='a.png' alt='A'></p>", "![B](a.png)\n").differences == [
        "image a.png alt 'A' is alt 'B'"
    ]
    assert compare("<pre>a\nb</pre>", "```\na\nc\n```\n").differences == [
        "code block 'a' is different at line 2: 'c', not 'b'"
    ]
    assert compare("<table><tr><td>x</td></tr></table>", "x\n").differences == ["table cell 'x' missing"]
    assert compare("<blockquote><p>q</p></blockquote>", "q\n").differences == ["blockquote depth 1 'q' missing"]
    assert compare("<p>a</p>", "- a\n").differences == ["list item depth 1 'a' added"]
    long = "Extract the content from the XML file and generate the JSON files for the import: run it"
    assert compare(f"<ul><li>{long}</li></ul>", f"- {long[:-8]}\n").differences == [
        (
            "list item depth 1 'Extract the content from the XML file and generat…' is "
            "'… for the import', not '… for the import: run it'"
        )
    ]
    assert compare("<p>x<img><img src=''></p>", "x\n").differences == []  # no source, nothing shown


def test_long_runs_are_one_difference_and_differences_are_capped():
    table = "<table><tr>" + "".join(f"<td>c{n}</td>" for n in range(16)) + "</tr></table>"
    assert compare(table, "text\n").differences == ["16 table cells missing: 'c0', 'c1', 'c2', … 'c15'"]
    assert compare("<p>x</p>", "# a\n\n# b\n\n# c\n\n# d\n\n# e\n\n# f\n").differences == [
        "6 headings added: 'a', 'b', 'c', … 'f'"
    ]
    wordpress = "".join(f"<h2>h{n}</h2>" for n in range(300))
    result = compare(wordpress, "".join(f"### h{n}\n\n" for n in range(300)))
    assert len(result.differences) == 100
    assert result.differences[0] == "heading 2 'h0' is heading 3"
    assert result.differences[-1] == "… and 201 more differences"


def test_shortcode_tags_are_not_words_wordpress_showed():
    wordpress = '[caption id="attachment_5" align="alignleft" width="300"]<img src="a.jpg" alt="A"> A caption[/caption]'
    markdown = '<figure><img src="a.jpg" alt="A"><figcaption>A caption</figcaption></figure>\n'
    result = compare(wordpress, markdown, ["caption"])
    assert (result.words_wordpress, result.words_kept) == (2, 2)
    assert result.structure_equal
    left = compare(wordpress, "[caption]![A](a.jpg) A caption[/caption]\n", ["caption"])
    assert left.leftovers == ["[caption]", "[/caption]"]
    # An escaped shortcode shows in WordPress as the bracketed text.
    assert compare("[[gallery]]", "[gallery]\n", ["gallery"]).words_wordpress == 1


# --------------------------------------------------------------------------------------------------
# Raw HTML and leftovers in the source


def test_raw_html_tags_in_text():
    assert raw_html_tags("Some <span class='x'>styled</span> and <a href='/x'>linked</a> text.\n") == ["span", "a"]
    assert raw_html_tags("<p>A paragraph</p>\n\n<ul>\n<li>x</li>\n</ul>\n") == ["p", "ul", "li"]
    assert raw_html_tags("Line<br>break and <br/> again\n") == ["br", "br"]
    assert raw_html_tags("stray </li></ul> closers\n") == ["li", "ul"]
    assert raw_html_tags("<div><img src=x></div>\n") == ["img"]


def test_raw_html_tags_ignore_code_and_deliberate_html():
    markdown = (
        "Use `<span>` and ``<a href=x>``.\n\n"
        "```html\n<p><span>fenced</span></p>\n```\n\n"
        "    <p>indented code</p>\n\n"
        "<figure><img src=a.jpg><figcaption><a href=x>c</a></figcaption></figure>\n\n"
        "<table><tr><td><strong>x</strong><br></td></tr></table>\n\n"
        "<pre><code><span class=k>def</span></code></pre>\n\n"
        "<details><summary>More</summary>\n\n<p>inside</p>\n\n</details>\n\n"
        '<iframe src="https://x.org"><a href=x>fallback</a></iframe> <video><a>v</a></video> <audio><a>a</a></audio>\n\n'
        "<script>document.write('<p>x</p>')</script>\n\n"
        "\\<span> is escaped\n"
    )
    assert raw_html_tags(markdown) == []


def test_leftovers_block_comments_and_shortcodes():
    markdown = (
        '[caption id="attachment_1" align="alignnone"]![x](a.jpg) Caption[/caption]\n\n'
        "<!-- wp:paragraph -->\nText\n<!-- /wp:paragraph -->\n\n"
        '\\[gallery ids="1,2"\\]\n\n'
        "[captions] and [other] are not the names\n"
    )
    assert leftovers(markdown, ["caption", "gallery"]) == [
        '[caption id="attachment_1" align="alignnone"]',
        "[/caption]",
        "<!-- wp:paragraph -->",
        "<!-- /wp:paragraph -->",
        '[gallery ids="1,2"]',
    ]


def test_leftovers_ignore_code():
    markdown = (
        "`[caption]` and `<!-- wp:paragraph -->`\n\n"
        "```\n[caption]\n<!-- wp:image -->\n```\n\n"
        "<pre>[caption]</pre>\n\n<code>[gallery]</code>\n\n"
        "<!-- more -->\n\n"
        "![[gallery]](x.png)\n"
    )
    assert leftovers(markdown, ["caption", "gallery"]) == []
    assert leftovers("[caption]x[/caption]\n") == []  # no names, no shortcodes


def test_compare_reports_raw_html_and_leftovers():
    result = compare("<p>a <span>b</span></p>", "a <span>b</span>\n\n<!-- wp:separator -->\n")
    assert result.raw_html == ["span"]
    assert result.leftovers == ["<!-- wp:separator -->"]


# --------------------------------------------------------------------------------------------------
# Sites


def _item(wp, kept, equal=True, raw=(), left=(), differences=None):
    return ItemFidelity(wp, kept, equal, list(differences or ([] if equal else ["x"])), list(raw), list(left))


def test_summarize_counts_and_orders_the_worst():
    results = [
        ("perfect", _item(10, 10)),
        ("half", _item(10, 5)),
        ("structure", _item(10, 10, equal=False)),
        ("raw", _item(10, 10, raw=["span"])),
        ("leftover", _item(10, 9, left=["[caption]"])),
        ("empty", _item(0, 0)),
    ]
    site = summarize(results, worst=3)
    assert (site.items, site.words_wordpress, site.words_kept) == (6, 50, 44)
    assert (site.structure_equal, site.raw_html_items, site.leftover_items) == (5, 1, 1)
    assert site.words_ratio == pytest.approx(0.88)
    assert site.structure_ratio == pytest.approx(5 / 6)
    assert [name for name, _ in site.worst] == ["half", "leftover", "structure"]
    assert [name for name, _ in summarize(results).worst] == ["half", "leftover", "structure", "raw"]
    empty = summarize([])
    assert (empty.items, empty.words_ratio, empty.structure_ratio, empty.worst) == (0, 1.0, 1.0, [])


def test_format_table():
    sites = {
        "theme-unit": SiteFidelity(items=79, words_wordpress=10000, words_kept=9996, structure_equal=70,
                                   raw_html_items=3, leftover_items=1, stored_words=1000, stored_kept=990,
                                   stored_added=20, flagged_items=2, bold_stored=4, bold_kept=3,
                                   needless_backslashes=5),
        "blog": SiteFidelity(items=2, words_wordpress=0, words_kept=0, structure_equal=2),
    }  # fmt: skip
    sites["blog"].raw_tags.update({"figure": 2, "script": 1})
    sites["blog"].errors.append(("id 1", "renders to nothing"))
    lines = format_table(sites).splitlines()
    assert lines[0].split() == ["site", "items", "words", "kept", "(render)", "words", "kept", "(stored)", "words",
                                "added", "(stored)", "flagged", "errors", "structure", "equal", "raw", "HTML",
                                "items", "leftover", "items"]  # fmt: skip
    # 99.96% is not shown as 100
    assert lines[2].split() == ["theme-unit", "79", "99.9%", "99.0%", "2.0%", "2", "0", "88.6%", "3", "1"]
    assert lines[3].split() == ["blog", "2", "-", "-", "-", "0", "1", "100.0%", "0", "0"]
    assert lines[4].split() == ["all", "81", "99.9%", "99.0%", "2.0%", "2", "1", "88.8%", "3", "1"]
    assert len({len(line) for line in lines[:2]}) == 1
    counts = lines[6:]
    assert counts[0].split()[:4] == ["site", "bold", "kept", "italic"]
    assert counts[2].split() == ["theme-unit", "3/4", "-", "-", "-", "0→0", "0→0", "5", "-"]
    assert counts[3].split() == ["blog", "-", "-", "-", "-", "0→0", "0→0", "0", "figure", "2,", "script!", "1"]
    assert counts[4].split()[-5:] == ["5", "figure", "2,", "script!", "1"]
    assert format_table({"one": SiteFidelity()}).splitlines()[2].split() == ["one", "0", "-", "-", "-", "0", "0",
                                                                              "-", "0", "0"]  # fmt: skip


def test_diff_report_explains_an_item():
    wordpress = "<h2>Intro</h2><p>One two three.</p><ul><li>a<ul><li>b</li></ul></li></ul><p>Gone words.</p>"
    markdown = "Intro\n\nOne two three.\n\n- a\n- b\n\n<span>x</span>\n"
    result = compare(wordpress, markdown)
    report = diff_report("post-1", wordpress, markdown, result)
    assert report.startswith("== post-1: words kept 6/8 (75.0%), structure differs\n")
    assert "  - heading 2 'Intro' missing\n" in report
    assert "  - list item depth 2 'b' is depth 1\n" in report
    assert "raw HTML: span\n" in report
    assert "words lost: gone, words\n" in report
    assert "--- wordpress\n+++ zola\n" in report
    assert "\n-gone words\n" in report and "\n+x\n" in report
    assert len(report.splitlines()) < 30


# --------------------------------------------------------------------------------------------------
# Properties

_html_soup = st.lists(
    st.one_of(
        st.sampled_from(
            ["<p>", "</p>", "<ul>", "<ol start=x>", "<li>", "</li>", "<h2>", "</h2>", "<a href='#'>", "</a>",
             "<img alt=", "<pre>", "</pre>", "<!--", "-->", "<!-- wp:x -->", "[caption]", "```", "`", "\n",
             "\n\n", "    ", "&nbsp;", "&#0;", "</body>", "<table><tr><td>", "<blockquote>", "> ", "- ",
             "1. ", "# ", "[^1]", "[^1]: ", "|", "---", "<script>", "<figure>", "\\", "*", "_", "\x00", "\ud800",
             "<?xml version='1.0' encoding='utf-8'?>", "中文", "<sup><a href=#x>1</a></sup>"]
        ),
        st.text(max_size=8),
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), _html_soup), st.one_of(st.text(), _html_soup))
def test_compare_never_raises(html, markdown):
    result = compare(html, markdown, ["caption", "gallery"])
    assert 0 <= result.words_kept <= result.words_wordpress
    assert result.structure_equal == (not result.differences)
    diff_report("x", html, markdown, result)


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäéßΩжあ漢", min_size=1, max_size=8)
_inline = st.lists(
    st.one_of(_word, _word.map(lambda w: f"*{w}*"), _word.map(lambda w: f"**{w}**"), _word.map(lambda w: f"`{w}`")),
    min_size=1,
    max_size=6,
).map(" ".join)


@st.composite
def _simple_list(draw, depth=0):
    marker = draw(st.sampled_from(["-", "*", "1."]))
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        lines.append("   " * depth + f"{marker} {draw(_inline)}")
        if depth < 2 and draw(st.booleans()):
            lines.append(draw(_simple_list(depth + 1)))
    return "\n".join(lines)


_block = st.one_of(
    _inline,
    st.builds(lambda level, text: "#" * level + " " + text, st.integers(1, 6), _inline),
    _simple_list(),
)
_simple_markdown = st.lists(_block, min_size=1, max_size=6).map(lambda blocks: "\n\n".join(blocks) + "\n")


@settings(max_examples=150, deadline=None)
@given(_simple_markdown)
def test_markdown_against_its_own_rendering_is_faithful(markdown):
    result = compare(render_markdown(markdown), markdown)
    assert result.structure_equal, result.differences
    assert result.words_kept == result.words_wordpress > 0
    assert result.raw_html == [] and result.leftovers == []


def test_a_background_image_is_an_image_wordpress_showed():
    """A cover block before 5.7 shows its image as a background; losing it is losing an image."""
    cover = '<div class="wp-block-cover" style="background-image:url(https://ex.org/a.jpg)"><p>Over the sea.</p></div>'
    assert compare(cover, "Over the sea.\n").differences == ["image https://ex.org/a.jpg alt '' missing"]
    assert compare(cover, "![](https://ex.org/a.jpg)\n\nOver the sea.\n").differences == []


def test_raw_emphasis_is_deliberate_only_where_markdown_cannot_say_it():
    from migrate.fidelity.compare import needed_emphasis

    assert needed_emphasis("的<strong>《计算机图形学》</strong>和") == {"strong": 1}  # ** would not open here
    assert needed_emphasis("a <strong>bold</strong> and <em>soft</em> word") == {}  # Markdown says these
    said = compare("<p>a <strong>bold</strong> word</p>", "a <strong>bold</strong> word\n")
    assert said.raw_html == ["strong"]
    cjk = compare("<p>的<strong>《书》</strong>和</p>", "的<strong>《书》</strong>和\n")
    assert cjk.raw_html == []


def test_a_textile_site_is_measured_as_its_plugin_showed_it(tmp_path):
    """The harness converts a Textile site's posts as the migration does (python-textile), so its
    words are measured, not its markup."""
    from migrate.fidelity.measure import measure_export
    from migrate.mappings import Mappings

    from .conftest import wxr, wxr_item

    posts = [
        wxr_item(
            i,
            f"Post {i}",
            f"post-{i}",
            content=f'h2. Title {i}\n\nSome *bold* words and "a link":http://example.org/{i}.',
        )
        for i in range(1, 5)
    ]
    path = tmp_path / "textile.xml"
    path.write_text(wxr(*posts), "utf-8")
    measured = list(measure_export(path, Mappings.load()))
    assert len(measured) == 4
    for m in measured:
        assert "<h2>" in m.wordpress_html and "## Title" in m.markdown
        assert m.result.words_kept == m.result.words_wordpress
