"""WordPress's shortcode grammar (migrate.shortcodes) — the tables read as its documentation
(wordpress.md §3.1–3.2; WordPress's shortcodes.php)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.wordpress.shortcodes import (
    Shortcode,
    find_shortcodes,
    parse_attrs,
    replace_shortcodes,
    stripcslashes,
)

NAMES = {"gallery", "youtube", "code", "caption", "embed", "foo", "tag", "audio", "latex", "contact-form-7"}


def found(text: str, names=NAMES, **kw) -> list[tuple]:
    return [(s.name, s.attrs, s.content) for s in find_shortcodes(text, names, **kw)]


# -- what is a shortcode, and what it holds: text → [(name, attrs, content)] -------------------------

FIND = [
    pytest.param(
        "[gallery ids=\"1,2,3\" columns=4 link='file']",
        [("gallery", {"ids": "1,2,3", "columns": "4", "link": "file"}, None)],
        id="gallery-three-quote-styles",
    ),
    pytest.param("[youtube https://youtu.be/x]", [("youtube", {0: "https://youtu.be/x"}, None)], id="positional-url"),
    pytest.param('[code="php"]echo 1;[/code]', [("code", {0: '="php"'}, "echo 1;")], id="name-equals-value"),
    pytest.param("[gallery-x]", [], id="name-followed-by-hyphen-is-another-name"),
    pytest.param("[gallery_x] [galleryx]", [], id="name-followed-by-word-char"),
    pytest.param("[gallery.x]", [], id="gallery.x-is-written-not-gallery"),
    pytest.param(
        "[gallery.x] [gallery]",
        [("gallery", {0: ".x"}, None), ("gallery", {}, None)],
        id="gallery.x-matches-once-gallery-is-written",
    ),
    pytest.param("[Gallery]", [], id="case-sensitive"),
    pytest.param("[unknown a=1]x[/unknown]", [], id="unknown-name-left-alone"),
    pytest.param("[foo] a [foo]b[/foo]", [("foo", {}, " a [foo]b")], id="same-name-nesting-pitfall"),
    pytest.param("[foo]a[/foo] [foo]b[/foo]", [("foo", {}, "a"), ("foo", {}, "b")], id="two-enclosing"),
    pytest.param("[foo] and [foo]", [("foo", {}, None), ("foo", {}, None)], id="no-closer-self-closing"),
    pytest.param("[foo][/foo]", [("foo", {}, "")], id="empty-content-is-not-none"),
    pytest.param("[tag /]", [("tag", {}, None)], id="self-closing-slash"),
    pytest.param("[tag/]x[/tag]", [("tag", {}, None)], id="self-closing-ignores-later-closer"),
    pytest.param('[tag attr="a/b"]', [("tag", {"attr": "a/b"}, None)], id="slash-inside-attrs"),
    pytest.param(
        "[tag url=http://a/b/]", [("tag", {"url": "http://a/b"}, None)], id="slash-before-bracket-self-closes"
    ),
    pytest.param('[tag title="a]b"]', [("tag", {0: 'title="a'}, None)], id="first-bracket-ends-the-tag"),
    pytest.param("[tag\nalign=left]", [("tag", {"align": "left"}, None)], id="newline-separates-name"),
    pytest.param("[[tag]]", [("tag", {}, None)], id="escaped-self-closing"),
    pytest.param("[[tag]x[/tag]]", [("tag", {}, "x")], id="escaped-enclosing"),
    pytest.param(
        '[caption id="attachment_123" align="alignright" width="300"]<a href="https://e.org/a.jpg">'
        '<img class="size-medium wp-image-123" src="https://e.org/a-300x200.jpg" alt="" /></a> Caption text[/caption]',
        [
            (
                "caption",
                {"id": "attachment_123", "align": "alignright", "width": "300"},
                (
                    '<a href="https://e.org/a.jpg"><img class="size-medium wp-image-123" src="https://e.org/a-300x200.jpg"'
                    ' alt="" /></a> Caption text'
                ),
            )
        ],
        id="caption-encloses-linked-image",
    ),
    pytest.param("[caption]a [gallery] b[/caption]", [("caption", {}, "a [gallery] b")], id="nested-other-not-run"),
    pytest.param("<!-- [gallery ids=1] -->", [], id="inside-html-comment"),
    pytest.param("<!--[if IE]>[gallery]<![endif]-->", [], id="inside-conditional-comment"),
    pytest.param("<![CDATA[ [gallery] ]]> [tag]", [("tag", {}, None)], id="inside-cdata"),
    pytest.param('<a href="[tag]">x</a>', [], id="inside-attribute-left-alone"),
    pytest.param(
        '[foo]<a title="[/foo]">x</a>[/foo]',
        [("foo", {}, '<a title="[/foo]">x</a>')],
        id="closer-inside-a-tag-does-not-count",
    ),
    pytest.param("a < b [tag] c", [], id="stray-less-than-hides-to-end-like-wordpress"),
    pytest.param("a < b > [tag] c", [("tag", {}, None)], id="stray-less-than-ends-at-greater-than"),
    pytest.param("[code]if (a < b) x[0];[/code]", [("code", {}, None)], id="less-than-in-content-hides-closer-too"),
    pytest.param("[gallery ids=”1,2”]", [("gallery", {"ids": "”1,2”"}, None)], id="curly-quotes-kept"),
    pytest.param("[latex]e^{i\\pi}+1=0[/latex]", [("latex", {}, "e^{i\\pi}+1=0")], id="content-not-unescaped"),
    pytest.param(
        '[contact-form-7 id="123" title="Contact form 1"]',
        [("contact-form-7", {"id": "123", "title": "Contact form 1"}, None)],
        id="name-with-digits-hyphen",
    ),
    pytest.param(
        '[audio mp3="/a.mp3"][/audio] [embed]https://youtu.be/x[/embed] [gallery]',
        [("audio", {"mp3": "/a.mp3"}, ""), ("embed", {}, "https://youtu.be/x"), ("gallery", {}, None)],
        id="many-in-one-text",
    ),
    pytest.param("[tag]Grüße, 日本語 😀[/tag]", [("tag", {}, "Grüße, 日本語 😀")], id="unicode-content"),
    pytest.param("[tag é=1]", [("tag", {0: "é=1"}, None)], id="non-ascii-attr-name-is-positional"),
    pytest.param("[tagé]", [], id="name-then-non-ascii-is-another-name"),
    pytest.param("[tag", [], id="no-closing-bracket"),
]


@pytest.mark.parametrize("text, expected", FIND)
def test_find(text, expected):
    assert found(text) == expected


# -- attributes: shortcode_parse_atts ----------------------------------------------------------------

ATTRS = [
    pytest.param("ids=\"1,2,3\" columns=4 link='file'", {"ids": "1,2,3", "columns": "4", "link": "file"}, id="forms"),
    pytest.param("https://youtu.be/x", {0: "https://youtu.be/x"}, id="bare-positional"),
    pytest.param('="php"', {0: '="php"'}, id="equals-value-is-positional"),
    pytest.param("\"a b\" 'c d' e", {0: "a b", 1: "c d", 2: "e"}, id="quoted-positionals"),
    pytest.param('Width="300" ALIGN=left', {"width": "300", "align": "left"}, id="names-lower-cased"),
    pytest.param('a = "1"  b =2', {"a": "1", "b": "2"}, id="spaces-around-equals"),
    pytest.param("a=1\u00a0b=2\u200bc=3", {"a": "1", "b": "2", "c": "3"}, id="nbsp-zwsp-are-spaces"),
    pytest.param('a="x"b=2', {0: 'a="x"b=2'}, id="quoted-value-must-be-followed-by-space"),
    pytest.param(r'a="line\nnext"', {"a": "line\nnext"}, id="stripcslashes-newline"),
    pytest.param(r'a="say \"hi\""', {0: 'a="say', 1: '"hi""'}, id="escaped-quote-does-not-protect"),
    pytest.param(r"a='say \"hi\"'", {"a": 'say "hi"'}, id="stripcslashes-quote"),
    pytest.param(r'a="c:\\dir"', {"a": "c:\\dir"}, id="stripcslashes-backslash"),
    pytest.param(r'a="\x41\x4a2\101"', {"a": "AJ2A"}, id="stripcslashes-hex-octal"),
    pytest.param(r'a="\xc3\xa9"', {"a": "é"}, id="stripcslashes-bytes-decode-as-utf8"),
    pytest.param(r'a="\q\"', {"a": "q\\"}, id="stripcslashes-unknown-and-final"),
    pytest.param(
        'a="<b>bold</b>" b="x < y" c="<img src=x"',
        {"a": "<b>bold</b>", "b": "", "c": ""},
        id="unclosed-less-than-emptied",
    ),
    pytest.param("a 5=five b", {0: "a", 5: "five", 6: "b"}, id="integer-name-is-int-key-php"),
    pytest.param('0="zero" x', {0: "x"}, id="name-0-dropped-php-empty"),
    pytest.param("\"\" '' x", {0: "x"}, id="empty-quoted-positional-dropped"),
    pytest.param("a=1 a=2", {"a": "2"}, id="last-wins"),
    pytest.param("   ", {}, id="blank"),
    pytest.param("", {}, id="empty"),
]


@pytest.mark.parametrize("text, expected", ATTRS)
def test_parse_attrs(text, expected):
    attrs = parse_attrs(text)
    assert attrs == expected
    assert list(attrs) == list(expected)  # PHP keeps insertion order


@pytest.mark.parametrize(
    "escaped, plain",
    [
        (r"\n\t\r", "\n\t\r"),
        (r"\a\v\b\f", "\a\v\b\f"),
        (r"\0", "\0"),
        (r"\x", "x"),
        (r"\xg", "xg"),
        (r"\1234", "S4"),
        ("\\", "\\"),
        ("no escapes", "no escapes"),
    ],
)
def test_stripcslashes(escaped, plain):
    assert stripcslashes(escaped) == plain


# -- replacing: do_shortcode -------------------------------------------------------------------------


def show(code: Shortcode) -> str:
    """A visible rendering: «name|content»."""
    return f"«{code.name}|{code.content}»"


REPLACE = [
    pytest.param("a [tag] b", "a «tag|None» b", id="self-closing"),
    pytest.param("a [tag]x[/tag] b", "a «tag|x» b", id="enclosing"),
    pytest.param("[[tag]]", "[tag]", id="escape-loses-one-pair"),
    pytest.param("[[tag]x[/tag]]", "[tag]x[/tag]", id="escaped-enclosing"),
    pytest.param("[[[tag]]]", "[[tag]]", id="triple-brackets"),
    pytest.param("[[tag]", "[«tag|None»", id="lone-leading-bracket-kept"),
    pytest.param("[tag]]", "«tag|None»]", id="lone-trailing-bracket-kept"),
    pytest.param("[unknown] [tag]", "[unknown] «tag|None»", id="unknown-kept"),
    pytest.param("<!-- [tag] --> [tag]", "<!-- [tag] --> «tag|None»", id="comment-untouched"),
    pytest.param(
        "[caption]<img src=x> [tag]cap[/tag][/caption]",
        "«caption|<img src=x> [tag]cap[/tag]»",
        id="inner-shortcodes-left-to-handler",
    ),
    pytest.param("&#91;tag&#93; [tag]", "&#91;tag&#93; «tag|None»", id="entities-left-alone"),
]


@pytest.mark.parametrize("text, expected", REPLACE)
def test_replace(text, expected):
    assert replace_shortcodes(text, NAMES, show) == expected


def test_handler_none_keeps_text_and_recursion_is_the_handlers_job():
    text = "[caption]<img/> [foo]b[/foo][/caption] [gallery]"

    def handler(code: Shortcode) -> str | None:
        if code.name == "caption":
            return "<figure>" + replace_shortcodes(code.content or "", NAMES, handler) + "</figure>"
        return None if code.name == "gallery" else code.name.upper()

    assert replace_shortcodes(text, NAMES, handler) == "<figure><img/> FOO</figure> [gallery]"


def test_offsets_and_raw():
    text = "x [[tag]] y [[foo] z [gallery ids=1]]"
    codes = find_shortcodes(text, NAMES)
    assert [(c.raw, c.escaped) for c in codes] == [("[[tag]]", True), ("[foo]", False), ("[gallery ids=1]", False)]
    for c in codes:
        assert text[c.start : c.end] == c.raw


def test_skip_html_false_matches_raw_text():
    assert found("<!-- [tag] -->", skip_html=False) == [("tag", {}, None)]
    assert found("[code]if (a < b) x[0];[/code]", skip_html=False) == [("code", {}, "if (a < b) x[0];")]
    assert replace_shortcodes('<a href="[tag]">', NAMES, show, skip_html=False) == '<a href="«tag|None»">'


def test_names_may_be_any_collection_or_one_string():
    assert found("[tag] [foo]", ["tag"]) == [("tag", {}, None)]
    assert found("[tag] [foo]", "tag") == [("tag", {}, None)]
    assert found("[tag]", frozenset()) == []


def test_longest_name_wins():
    assert found("[a.b] [a]", {"a", "a.b"}) == [("a.b", {}, None), ("a", {}, None)]


def test_handler_must_return_text():
    with pytest.raises(TypeError):
        replace_shortcodes("[tag]", NAMES, lambda code: 1)  # type: ignore[arg-type, return-value]


def test_shortcode_is_hashable():
    assert len({*find_shortcodes("[tag a=1] [tag a=1]", NAMES)}) == 2  # different offsets


def test_many_unclosed_openers_stay_fast():
    text = "[tag " * 20000 + "[foo]" * 20000
    codes = find_shortcodes(text, NAMES)
    assert len(codes) == 20000 and codes[0].name == "tag"


# -- properties --------------------------------------------------------------------------------------

PIECES = [
    "[",
    "]",
    "[[",
    "]]",
    "/",
    "[/",
    "/]",
    "tag",
    "foo",
    "[tag",
    "[/tag]",
    "[tag]",
    "[tag /]",
    "[foo]",
    "[/foo]",
    "[[tag]]",
    "-",
    "x",
    " ",
    "\n",
    "=",
    '"',
    "'",
    "\\",
    "\u00a0",
    "<",
    ">",
    "<!--",
    "-->",
    '<a href="',
    "<![CDATA[",
    "]]>",
    "é",
    "<b>",
    "ta",
    "g",
]
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), max_size=40).map("".join)
name_sets = st.sets(st.sampled_from(["tag", "foo", "ta", "tag-x", "a/b", "x"]), max_size=4)


@settings(max_examples=400, deadline=None)
@given(texts, name_sets)
def test_find_and_replace_never_raise_and_none_is_identity_except_escapes(text, names):
    codes = find_shortcodes(text, names)
    last = 0
    expected = []
    for code in codes:
        assert last <= code.start < code.end <= len(text)
        assert text[code.start : code.end] == code.raw
        assert code.name in names
        if code.escaped:
            assert code.raw.startswith("[[") and code.raw.endswith("]]")
            expected.append(text[last : code.start] + code.raw[1:-1])
        else:
            assert code.raw.startswith("[" + code.name)
            expected.append(text[last : code.start] + code.raw)
        last = code.end
    expected.append(text[last:])
    seen: list[Shortcode] = []
    assert replace_shortcodes(text, names, lambda c: seen.append(c)) == "".join(expected)
    assert seen == [c for c in codes if not c.escaped]
    replace_shortcodes(text, names, lambda c: "out", skip_html=False)


def wordpress_regex_matches(text: str, names: set[str]) -> list[tuple]:
    """The reference: WordPress's single get_shortcode_regex, translated literally, on the raw text
    (no HTML handling), with do_shortcode's step that keeps only the names written in the text."""
    present = set(re.findall(r"\[([^<>&/\[\]\x00-\x20=]++)", text))
    wanted = sorted((n for n in names if n in present), key=lambda n: (-len(n), n))
    if not wanted:
        return []
    pattern = re.compile(
        r"\[(\[?)(" + "|".join(map(re.escape, wanted)) + r")(?![A-Za-z0-9_-])"
        r"([^\]\/]*(?:\/(?!\])[^\]\/]*)*?)"
        r"(?:(\/)\]|\](?:([^\[]*+(?:\[(?!\/\2\])[^\[]*+)*+)\[\/\2\])?)(\]?)"
    )
    out = []
    for m in pattern.finditer(text):
        escaped = bool(m.group(1) and m.group(6))
        start = m.start() if escaped else m.start() + len(m.group(1))
        end = m.end() if escaped else m.end() - len(m.group(6))
        out.append((m.group(2), m.group(3), m.group(5), start, end, escaped))
    return out


@settings(max_examples=400, deadline=None)
@given(texts, name_sets)
def test_matches_wordpress_single_regex(text, names):
    ours = [(c.name, c.content, c.start, c.end, c.escaped) for c in find_shortcodes(text, names, skip_html=False)]
    reference = wordpress_regex_matches(text, names)
    assert ours == [(n, content, s, e, esc) for n, _attrs, content, s, e, esc in reference]
    for code, ref in zip(find_shortcodes(text, names, skip_html=False), reference):
        assert code.attrs == parse_attrs(ref[1])
