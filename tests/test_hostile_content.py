"""Post content written to break the converter: nesting thousands of levels deep, tens of thousands
of unclosed comments and shortcodes, whole documents pasted into a post, NULs and lone surrogates.

Every word must come through, in time linear in the size of the post, and no content may stop the
run. Time is measured as a ratio (n against 4n in one test), never as an absolute: a linear step
gives about 4, a quadratic one 16.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrate.fidelity.compare import render_markdown
from migrate.mappings import Mappings
from migrate.markdown.document import html_markdown, markdown_document
from migrate.markdown.html2md import escape_inline
from migrate.markdown.parse import FLATTENED, TREE_DEPTH, parse_html, without_comments
from migrate.pipeline import plan_site
from migrate.site.content import item_body
from migrate.wordpress.render import Renderer, _more_spans, _without_code
from migrate.wordpress.wpautop import _KEEP_NEWLINE, _keep_raw_newlines
from migrate.wxr.index import SiteContext
from migrate.wxr.model import Item, Source

from .conftest import wxr_item

RENDERER = Renderer(SiteContext(), Mappings.load())


def body(content: str):
    return item_body(Item(source=Source("t", 1), id=1, type="post", content=content), RENDERER)


def words(n: int) -> list[str]:
    return [f"w{i}x" for i in range(n)]


# --- nesting --------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [300, 2500, 10_000])
@pytest.mark.parametrize(
    "opener",
    ["<span>", "<div>", "<span style='font-size:12pt'><font face=Arial>", "<blockquote>", "<ul><li>", "<em><strong>"],
)
def test_deep_markup_keeps_every_word(opener, depth):
    """A word processor's paste: thousands of unclosed tags. libxml2 stops at 256 levels (2048 with
    huge_tree) and the converter recurses per level; every word still reaches the Markdown, and
    the Markdown renders with them."""
    ws = words(depth)
    result = body("".join(f"{opener}{w} " for w in ws) + "end")
    assert not result.failed
    assert re.findall(r"w\d+x|end", result.markdown) == ws + ["end"]
    assert re.findall(r"w\d+x|end", re.sub(r"<[^>]*>", " ", render_markdown(result.markdown))) == ws + ["end"]


def test_deep_markup_closed_again_keeps_the_words_after_it():
    deep = "".join(f"<span>{w} " for w in words(5000)) + "</span>" * 5000
    result = body(f"<p>before</p>{deep}<h2>After</h2><p>the <strong>rest</strong></p>")
    assert not result.failed
    assert result.markdown.startswith("before\n\nw0x w1x")
    assert result.markdown.endswith("w4999x\n\n## After\n\nthe **rest**\n")


def test_deep_markup_is_flattened_and_says_how_much():
    root = parse_html("".join(f"<div>{w}" for w in words(3000)))
    document = markdown_document(root)
    assert document.flattened == 3000 - TREE_DEPTH
    depth, el = 0, root
    while len(el):
        el, depth = el[0], depth + 1
    assert depth == TREE_DEPTH
    assert re.findall(r"w\d+x", document.markdown) == words(3000)  # a space where each block was


def test_markup_of_ordinary_depth_is_parsed_as_written():
    html = "".join("<div><ul><li>" for _ in range(20)) + "<p>deep <em>text</em></p>"
    root = parse_html(html)
    assert root.get(FLATTENED) is None
    assert markdown_document(root).flattened == 0
    assert root.xpath("count(//li)") == 20 and root.find(".//em").text == "text"


def test_a_tag_closed_by_an_end_tag_it_cannot_reach_still_counts():
    """libxml2 ignores `</span>` when a `<div>` opened after the span is still open: the depth
    model does the same, so this still nests (and is flattened, not lost)."""
    ws = words(3000)
    result = body("".join(f"<span><div>{w}</span>" for w in ws))
    assert re.findall(r"w\d+x", result.markdown) == ws


# --- linear time ----------------------------------------------------------------------------------


def _seconds(content: str) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        body(content)
        best = min(best, time.perf_counter() - start)
    return best


def assert_linear(make, n: int) -> None:
    small, large = _seconds(make(n)), _seconds(make(4 * n))
    assert large < 10 * max(small, 0.005), (small, large)  # 4 when linear, 16 when quadratic


@pytest.mark.parametrize(
    ("make", "n"),
    [
        pytest.param(lambda n: "<!-- " * n, 25_000, id="unclosed-comments"),
        pytest.param(lambda n: "word <!-- " * n, 25_000, id="text-and-unclosed-comments"),
        pytest.param(lambda n: "<!-- wp:paragraph --><p>" + "<!-- " * n, 25_000, id="unclosed-comments-in-a-block"),
        pytest.param(lambda n: "[caption " * n, 12_500, id="unclosed-captions"),
        pytest.param(lambda n: "[caption]x\n" * n, 2_500, id="captions-without-closer"),
        pytest.param(lambda n: "<!--more" * n, 12_500, id="unclosed-more"),
        pytest.param(lambda n: "<script>" * n, 12_500, id="unclosed-scripts"),
        pytest.param(lambda n: "[cc " * n, 12_500, id="unclosed-codecolorer"),
        pytest.param(lambda n: "_[ " * n, 12_500, id="unclosed-brackets"),
        pytest.param(lambda n: "<code>x" * n, 12_500, id="unclosed-code"),
        pytest.param(lambda n: "<span>w " * n, 2_500, id="unclosed-spans"),
    ],
)
def test_pathological_content_takes_linear_time(make, n):
    assert_linear(make, n)


# --- the linear rewrites give what the regular expressions they replace gave ------------------------

pieces = st.lists(
    st.sampled_from(
        ["<!--", "-->", "<!--more", "more", " ", "\n", "x", "<", ">", "-", "!", "<pre", "</pre>", "<code", "</code>"]
        + ["<script", "</script>", "<style>", "</style>", "<svg", "</svg>", "<math", "</math>", "[", "]", "(", ":"]
        + ["\x00", "^", "X", "&", "&amp;"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(pieces)
def test_without_comments_is_the_regex(text):
    assert without_comments(text) == re.sub(r"<!--(?!\s*more\s*-->).*?-->", "", text, flags=re.S)


@settings(max_examples=400, deadline=None)
@given(pieces)
def test_more_spans_are_the_regex(text):
    assert _more_spans(text) == [m.span() for m in re.finditer(r"<!--more(.*?)?-->", text, re.S)]


@settings(max_examples=400, deadline=None)
@given(pieces)
def test_code_removal_is_the_regex(text):
    assert _without_code(text) == re.sub(r"<pre\b.*?</pre>|<code\b.*?</code>", "", text, flags=re.S)


@settings(max_examples=400, deadline=None)
@given(pieces)
def test_raw_newlines_are_kept_as_the_regex_did(text):
    expected = re.sub(
        r"<(script|style|svg|math).*?</\1>",
        lambda m: m.group(0).replace("\n", _KEEP_NEWLINE),
        text,
        flags=re.S | re.A,
    )
    assert _keep_raw_newlines(text) == expected


_LINKISH = re.compile(r"\[(?:\^|[ xX]\]|[^\]\x00]*(?:\][(:]|\x00))")  # the first "]" after a "[" decides


def _flat(text: str) -> bool:
    """No "[" opens before the one before it met a "]" or NUL: there, the first "]" after a "[" decides."""
    open_ = False
    for ch in text:
        if ch == "[":
            if open_:
                return False
            open_ = True
        elif ch in "]\x00":
            open_ = False
    return True


@settings(max_examples=400, deadline=None)
@given(pieces, st.booleans())
def test_brackets_are_escaped_as_the_regex_did(text, more_follows):
    """Where no bracket nests, escape_inline decides each "[" as this regex on the text + NUL (when more
    follows) did: a "[" is escaped only where a link could start."""
    text = text.replace("\\", "")  # so that each "\\[" of the output is an escaped "["
    if not _flat(text):
        return
    subject = text + ("\x00" if more_follows else "")
    expected = ["\\[" if _LINKISH.match(subject, i) else "[" for i, ch in enumerate(text) if ch == "["]
    assert re.findall(r"\\?\[", escape_inline(text, more_follows=more_follows)) == expected


brackets = st.lists(st.sampled_from(["[", "]", "(", ")", ":", " ", "a", "^", "x", "[x]", "](", "]["]), max_size=30).map(
    "".join
)


@settings(max_examples=600, deadline=None)
@given(brackets)
@example("[[a][a]()")
@example("[a [b] c](d)")
@example("[[x] a](b)")
@example("[a]: [b](c) [d")
def test_escaped_brackets_never_make_a_link(text):
    """Whatever the brackets, nested or not, pulldown-cmark (Zola's own Markdown) makes no link, footnote
    or image of the escaped text: the check is its renderer's, not ours (`[[a][b]()` made a link)."""
    html = render_markdown("a " + escape_inline(text, more_follows=False) + "\n")
    assert "<a" not in html and "<img" not in html and "<sup" not in html, (text, html)


# --- hostile content never stops the run ------------------------------------------------------------

SHELLS = [
    "<!DOCTYPE html><html></html>",
    "<html></html>",
    "<!doctype html>",
    "<html><head><title>T</title></head></html>",
    "<frameset><frame></frameset>",
    "</body>",
    # a block post is not wpautop'd: the shell reaches the parser as it is (lxml raised an
    # AssertionError on it, which stopped the whole run)
    "<!-- wp:html --><!DOCTYPE html><html></html><!-- /wp:html -->",
    "<!-- wp:html --><html><head></head></html><!-- /wp:html -->",
]


@pytest.mark.parametrize("content", SHELLS)
def test_a_document_shell_is_an_empty_body(content):
    result = body(content)
    assert (result.markdown, result.failed) == ("", "")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("a</body>b", "a b\n"),  # libxml2 drops what follows a stray </body>; a browser shows it
        ("x<html><body>y</body></html>z", "x y z\n"),
        ("<p>a</p></body></html><p>after</p>", "a\n\nafter\n"),
        ("<head><title>T</title></head>shown", "shown\n"),
        ("<textarea>", ""),  # no `</body></html>` of lxml's wrapper shown as its text
        ("a\x00b", "a\ufffdb\n"),
        ("a&#xD800;b", "a\ufffdb\n"),
        ("a\ud800b", "a\ufffdb\n"),  # a lone surrogate lxml cannot encode
    ],
)
def test_hostile_markup_shows_what_a_browser_shows(content, expected):
    result = body(content)
    assert (result.markdown, result.failed) == (expected, "")


def test_a_huge_attribute_keeps_the_text():
    assert body("<p title='" + "x" * 11_000_000 + "'>big</p>").markdown == "big\n"


def test_a_document_shell_does_not_stop_the_migration(tmp_path):
    items = "".join(
        f"""<item><title>Post {i}</title><link>https://example.com/p{i}/</link>
<content:encoded><![CDATA[{content}]]></content:encoded><wp:post_id>{i}</wp:post_id>
<wp:post_date>2021-03-01 10:00:00</wp:post_date><wp:post_name>p{i}</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"""
        for i, content in enumerate([*SHELLS, "<p>fine</p>", "<span>" * 3000 + "deep"], start=1)
    )
    export = tmp_path / "site.xml"
    export.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">'
        "<channel><title>T</title><link>https://example.com</link><wp:wxr_version>1.2</wp:wxr_version>"
        f"<wp:base_site_url>https://example.com</wp:base_site_url>{items}</channel></rss>"
    )
    plan = plan_site([export], Mappings.load())
    pages = {p: f.data.decode() for p, f in plan.files.items() if f.role == "content"}
    assert len(pages) == len(SHELLS) + 2
    assert any(text.endswith("+++\n\nfine\n") for text in pages.values())
    assert any(text.endswith("deep\n") for text in pages.values())
    assert not [n for n in plan.notices if "could not be converted" in n.message]


hostile = st.lists(
    st.one_of(
        st.sampled_from(
            ["<html>", "</html>", "<head>", "</head>", "<body>", "</body>", "<!DOCTYPE html>", "<frameset>", "<p>"]
            + ["</p>", "<span>", "<div>", "</div>", "<ul><li>", "<table><td>", "<pre>", "<textarea>", "<plaintext>"]
            + [
                "<script>",
                "</script>",
                "<!--",
                "-->",
                "<!--more-->",
                "<![CDATA[",
                "]]>",
                "<?x",
                "<!x>",
                "<a href='#",
                "'>",
            ]
            + ["\x00", "\x01", "\x0c", "\ufffe", "&#xD800;", "&#0;", "&#x110000;", "&", "<", ">", "\n\n", "[caption]"]
            + ["[/caption]", "[gallery]", "<!-- wp:paragraph -->", "<!-- /wp:paragraph -->", '<!-- wp:x {"a":1} /-->']
            + ["<img src=x>", "<sup data-fn=a>", "<h2 id=x>", "<details><summary>", "<svg>", "<math>", "{{", "`"]
        ),
        st.text(max_size=4),
    ),
    max_size=50,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_item_body_never_raises_and_always_converts(content):
    result = body(content)
    assert not result.failed, result.failed
    assert "{{" not in result.markdown and "\x00" not in result.markdown
    assert isinstance(html_markdown(content), str)  # the fidelity path, unrendered


def test_the_run_says_which_item_lost_its_formatting_to_depth(tmp_path, write_export):
    deep = "<span>" * 300 + "deep words here" + "</span>" * 300
    export = write_export(wxr_item(1, "Deep", "deep", content=deep), wxr_item(2, "Flat", "flat", content="<p>Hi</p>"))
    plan = plan_site([export], Mappings.load())
    said = [str(n) for n in plan.notices if "nested too deep" in n.message]
    assert len(said) == 1 and "item 1:" in said[0], said
    assert "deep words here" in plan.files["content/2021/03/deep.md"].data.decode()


def test_an_item_the_converter_fails_on_is_kept_as_html_and_the_run_goes_on(tmp_path, write_export, monkeypatch):
    """Whatever goes wrong converting one item (here a bug of ours: an AssertionError, as lxml raised on a
    document shell) costs that item its Markdown, not the run: it is written as its HTML, with a warning."""
    import migrate.site.content as content

    real = content.markdown_document

    def fails_on_marker(root):
        if root is not None and "MARKER" in "".join(root.itertext()):
            raise AssertionError("a converter bug")
        return real(root)

    monkeypatch.setattr(content, "markdown_document", fails_on_marker)
    export = write_export(
        wxr_item(1, "Broken", "broken", content="<p>MARKER <b>kept</b></p>"),
        wxr_item(2, "Fine", "fine", content="<p>Fine</p>"),
    )
    plan = plan_site([export], Mappings.load())
    assert "MARKER <b>kept</b>" in plan.files["content/2021/03/broken.md"].data.decode()
    assert "Fine" in plan.files["content/2021/03/fine.md"].data.decode()
    assert any("item 1:" in str(n) and "AssertionError" in str(n) for n in plan.notices)
