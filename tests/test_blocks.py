"""The block parser (migrate.blocks) — the tables read as its documentation (wordpress.md §5;
WordPress's WP_Block_Parser and Gutenberg's block-serialization-default-parser)."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from migrate.wordpress.blocks import Block, has_blocks, normalize_name, parse_blocks, walk


def tree(blocks: list[Block]) -> list:
    """A compact view: ("#", html) for freeform text; (name, attrs, content) for a block, where
    content is inner_content with each None replaced by that inner block's view, and attrs is None
    when the JSON did not decode (WordPress's null)."""
    out = []
    for block in blocks:
        if block.name is None:
            assert block.attrs == {} and block.inner_blocks == [] and block.inner_content == [block.inner_html]
            out.append(("#", block.inner_html))
            continue
        children = iter(tree(block.inner_blocks))
        content = [chunk if chunk is not None else next(children) for chunk in block.inner_content]
        assert next(children, None) is None
        out.append((block.name, None if block.attrs_invalid else block.attrs, content))
    return out


def consistent(blocks: list[Block]) -> None:
    """What holds for every parse: inner_html is the text chunks, one None per inner block."""
    for block in walk(blocks):
        assert block.inner_html == "".join(c for c in block.inner_content if c is not None)
        assert block.inner_content.count(None) == len(block.inner_blocks)
        assert isinstance(block.attrs, dict)
        assert block.name is None or "/" in block.name


P = "<!-- wp:paragraph -->"
EP = "<!-- /wp:paragraph -->"

EXAMPLE_5_4 = (
    '<!-- wp:heading {"level":3} --><h3 class="wp-block-heading">Trip</h3><!-- /wp:heading -->\n'
    '<!-- wp:image {"id":57,"sizeSlug":"large","linkDestination":"none"} -->\n'
    '<figure class="wp-block-image size-large"><img src="https://example.org/wp-content/uploads/2021/03/a-1024x683.jpg"'
    ' alt="Lake" class="wp-image-57"/><figcaption class="wp-element-caption">At dawn</figcaption></figure>\n'
    "<!-- /wp:image -->\n"
    '<!-- wp:gallery {"linkTo":"none"} -->\n'
    '<figure class="wp-block-gallery has-nested-images columns-default is-cropped"><!-- wp:image {"id":58} -->'
    '<figure class="wp-block-image"><img src="b.jpg" class="wp-image-58"/></figure><!-- /wp:image --></figure>\n'
    "<!-- /wp:gallery -->\n"
    '<!-- wp:embed {"url":"https://youtu.be/abc","type":"video","providerNameSlug":"youtube","responsive":true} -->\n'
    '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube">'
    '<div class="wp-block-embed__wrapper">\nhttps://youtu.be/abc\n</div></figure>\n'
    "<!-- /wp:embed -->"
)

PARSE = [
    pytest.param("", [], id="empty"),
    pytest.param("<p>Classic post</p>\n\n<p>Two</p>", [("#", "<p>Classic post</p>\n\n<p>Two</p>")], id="classic-only"),
    pytest.param(f"{P}\n<p>Hi</p>\n{EP}", [("core/paragraph", {}, ["\n<p>Hi</p>\n"])], id="paragraph-core-implied"),
    pytest.param(
        "<!-- wp:core/paragraph --><p>Hi</p><!-- /wp:core/paragraph -->",
        [("core/paragraph", {}, ["<p>Hi</p>"])],
        id="explicit-core-namespace",
    ),
    pytest.param(
        '<!-- wp:heading {"level":3,"className":"x"} --><h3>T</h3><!-- /wp:heading -->',
        [("core/heading", {"level": 3, "className": "x"}, ["<h3>T</h3>"])],
        id="json-attrs",
    ),
    pytest.param("<!-- wp:footnotes /-->", [("core/footnotes", {}, [])], id="void"),
    pytest.param('<!-- wp:block {"ref":123} /-->', [("core/block", {"ref": 123}, [])], id="void-with-attrs"),
    pytest.param(
        '<!-- wp:syntaxhighlighter/code {"language":"php"} -->\n<pre class="wp-block-syntaxhighlighter-code">'
        "echo 1;</pre>\n<!-- /wp:syntaxhighlighter/code -->",
        [
            (
                "syntaxhighlighter/code",
                {"language": "php"},
                ['\n<pre class="wp-block-syntaxhighlighter-code">echo 1;</pre>\n'],
            )
        ],
        id="plugin-namespace",
    ),
    pytest.param(
        '<!-- wp:jetpack/contact-form {"to":"a@b.c"} /-->',
        [("jetpack/contact-form", {"to": "a@b.c"}, [])],
        id="plugin-void",
    ),
    pytest.param(
        f"<p>before</p>\n{P}<p>x</p>{EP}",
        [("#", "<p>before</p>\n"), ("core/paragraph", {}, ["<p>x</p>"])],
        id="freeform-before",
    ),
    pytest.param(
        f"{P}<p>a</p>{EP}\n\n{P}<p>b</p>{EP}",
        [("core/paragraph", {}, ["<p>a</p>"]), ("#", "\n\n"), ("core/paragraph", {}, ["<p>b</p>"])],
        id="whitespace-between-is-kept",
    ),
    pytest.param(
        f"{P}<p>a</p>{EP}classic<!-- wp:separator /-->tail",
        [("core/paragraph", {}, ["<p>a</p>"]), ("#", "classic"), ("core/separator", {}, []), ("#", "tail")],
        id="freeform-between-and-after",
    ),
    pytest.param(
        '<!-- wp:list -->\n<ul class="wp-block-list"><!-- wp:list-item -->\n<li>One</li>\n<!-- /wp:list-item -->'
        "\n\n<!-- wp:list-item -->\n<li>Two<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>Two.1</li>\n"
        "<!-- /wp:list-item --></ul>\n<!-- /wp:list --></li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list -->",
        [
            (
                "core/list",
                {},
                [
                    '\n<ul class="wp-block-list">',
                    ("core/list-item", {}, ["\n<li>One</li>\n"]),
                    "\n\n",
                    (
                        "core/list-item",
                        {},
                        [
                            "\n<li>Two",
                            ("core/list", {}, ["\n<ul>", ("core/list-item", {}, ["\n<li>Two.1</li>\n"]), "</ul>\n"]),
                            "</li>\n",
                        ],
                    ),
                    "</ul>\n",
                ],
            )
        ],
        id="nested-list-items",
    ),
    pytest.param(
        '<!-- wp:gallery {"linkTo":"none"} --><figure class="wp-block-gallery">'
        '<!-- wp:image {"id":1} --><figure><img src="1.jpg"/></figure><!-- /wp:image -->'
        '<!-- wp:image {"id":2} --><figure><img src="2.jpg"/></figure><!-- /wp:image -->'
        "<figcaption>Both</figcaption></figure><!-- /wp:gallery -->",
        [
            (
                "core/gallery",
                {"linkTo": "none"},
                [
                    '<figure class="wp-block-gallery">',
                    ("core/image", {"id": 1}, ['<figure><img src="1.jpg"/></figure>']),
                    ("core/image", {"id": 2}, ['<figure><img src="2.jpg"/></figure>']),
                    "<figcaption>Both</figcaption></figure>",
                ],
            )
        ],
        id="gallery-nested-images-no-text-between",
    ),
    pytest.param(
        "<!-- wp:columns --><div><!-- wp:column /--><!-- wp:column --><div>b</div><!-- /wp:column --></div>"
        "<!-- /wp:columns -->",
        [("core/columns", {}, ["<div>", ("core/column", {}, []), ("core/column", {}, ["<div>b</div>"]), "</div>"])],
        id="void-inner-block",
    ),
    pytest.param(
        "<!-- wp:group --><div><!-- wp:columns --><div><!-- wp:column --><p>c</p><!-- /wp:column -->"
        "<!-- /wp:columns --></div><!-- /wp:group -->",
        [
            (
                "core/group",
                {},
                ["<div>", ("core/columns", {}, ["<div>", ("core/column", {}, ["<p>c</p>"]), ""]), "</div>"],
            )
        ],
        id="nested-closer-adds-empty-chunk-like-wordpress",
    ),
    pytest.param(f"{P}<p>never closed</p>", [("core/paragraph", {}, ["<p>never closed</p>"])], id="unclosed-at-eof"),
    pytest.param(
        f"x<!-- wp:group --><div>{P}<p>a</p>",
        [("#", "x"), ("core/group", {}, ["<div>", ("core/paragraph", {}, ["<p>a</p>"])])],
        id="unclosed-nested-closed-inside-parent",
    ),
    pytest.param(f"a{EP}b{P}c{EP}", [("#", f"a{EP}b{P}c{EP}")], id="stray-closer-rest-is-freeform"),
    pytest.param(
        f"{P}a{EP} {EP}{P}b{EP}",
        [("core/paragraph", {}, ["a"]), ("#", f" {EP}{P}b{EP}")],
        id="stray-closer-after-block",
    ),
    pytest.param(
        "<!-- wp:quote --><blockquote>q<!-- /wp:paragraph --> after",
        [("core/quote", {}, ["<blockquote>q"]), ("#", " after")],
        id="closer-name-need-not-match",
    ),
    pytest.param(
        '<!-- wp:image {"id":1,} --><img/><!-- /wp:image -->', [("core/image", None, ["<img/>"])], id="invalid-json"
    ),
    pytest.param('<!-- wp:x {"a":NaN} /-->', [("core/x", None, [])], id="nan-is-not-json"),
    pytest.param('<!-- wp:x {"a":"\\ud800"} /-->', [("core/x", None, [])], id="lone-surrogate-is-invalid-like-php"),
    pytest.param(
        '<!-- wp:html {"content":"\\u003cb\\u003e \\u0026 \\u002d\\u002d \\u0022"} /-->',
        [("core/html", {"content": '<b> & -- "'}, [])],
        id="serializer-unicode-escapes",
    ),
    pytest.param(
        '<!-- wp:x {"a":"} -->"} /-->', [("core/x", None, ['"} /-->'])], id="json-ends-at-first-brace-space-arrow"
    ),
    pytest.param('<!-- wp:x {"a":{"b":{}}} /-->', [("core/x", {"a": {"b": {}}}, [])], id="nested-braces"),
    pytest.param(
        '<!--\n\twp:image  \n {"id":5}\n\n-->X<!--   /wp:image\t-->',
        [("core/image", {"id": 5}, ["X"])],
        id="any-ascii-whitespace",
    ),
    pytest.param(
        "<!-- wp:paragraph--><p>x</p><!-- /wp:paragraph -->",
        [("#", "<!-- wp:paragraph--><p>x</p><!-- /wp:paragraph -->")],
        id="no-space-before-arrow-not-delimiter",
    ),
    pytest.param("<!--wp:paragraph --><p>x</p>", [("#", "<!--wp:paragraph --><p>x</p>")], id="no-space-after-bang"),
    pytest.param("<!-- wp:Paragraph --><p>x</p>", [("#", "<!-- wp:Paragraph --><p>x</p>")], id="upper-case-not-name"),
    pytest.param("<!-- wp:x / -->", [("#", "<!-- wp:x / -->")], id="void-slash-must-touch-arrow"),
    pytest.param('<!-- wp:x {"a":1}-->', [("#", '<!-- wp:x {"a":1}-->')], id="json-needs-space-after"),
    pytest.param("<!-- wp:x [1] -->", [("#", "<!-- wp:x [1] -->")], id="json-must-be-object"),
    pytest.param("<!--\u00a0wp:x\u00a0-->", [("#", "<!--\u00a0wp:x\u00a0-->")], id="nbsp-is-not-whitespace"),
    pytest.param("<!-- /wp:x /-->", [("core/x", {}, [])], id="closer-with-void-slash-is-void"),
    pytest.param(
        '<!-- wp:core-embed/youtube {"url":"u"} --><figure>u</figure><!-- /wp:core-embed/youtube -->',
        [("core-embed/youtube", {"url": "u"}, ["<figure>u</figure>"])],
        id="legacy-names-kept-by-parser",
    ),
    pytest.param("0<!-- wp:x -->0<!-- /wp:x -->", [("#", "0"), ("core/x", {}, ["0"])], id="text-0-kept"),
    pytest.param(
        "<!-- wp:more --><!--more--><!-- /wp:more -->", [("core/more", {}, ["<!--more-->"])], id="plain-comment-inside"
    ),
]


@pytest.mark.parametrize("text, expected", PARSE)
def test_parse(text, expected):
    blocks = parse_blocks(text)
    consistent(blocks)
    assert tree(blocks) == expected


def test_wordpress_md_example():
    blocks = parse_blocks(EXAMPLE_5_4)
    consistent(blocks)
    assert [b.name or "#" for b in blocks] == [
        "core/heading",
        "#",
        "core/image",
        "#",
        "core/gallery",
        "#",
        "core/embed",
    ]
    heading, _, image, _, gallery, _, embed = blocks
    assert heading.attrs == {"level": 3} and heading.inner_html == '<h3 class="wp-block-heading">Trip</h3>'
    assert image.attrs == {"id": 57, "sizeSlug": "large", "linkDestination": "none"}
    assert 'alt="Lake"' in image.inner_html and "At dawn" in image.inner_html
    assert [b.attrs for b in gallery.inner_blocks] == [{"id": 58}]
    assert gallery.inner_content == [
        '\n<figure class="wp-block-gallery has-nested-images columns-default is-cropped">',
        None,
        "</figure>\n",
    ]
    assert embed.attrs["providerNameSlug"] == "youtube"
    assert "\nhttps://youtu.be/abc\n" in embed.inner_html
    assert [b.inner_html for b in blocks if b.name is None] == ["\n", "\n", "\n"]


def test_walk_is_depth_first_in_document_order():
    text = "<!-- wp:a --><!-- wp:b --><!-- wp:c /--><!-- /wp:b --><!-- wp:d /--><!-- /wp:a -->t<!-- wp:e /-->"
    assert [b.name for b in walk(parse_blocks(text))] == ["core/a", "core/b", "core/c", "core/d", None, "core/e"]


def test_walk_handles_deep_nesting():
    text = "<!-- wp:group -->" * 3000 + "x"
    assert sum(1 for _ in walk(parse_blocks(text))) == 3000


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<!-- wp:paragraph -->", True),
        ("x <!-- wp:", True),
        ("<!-- /wp:paragraph -->", False),
        ("<!--wp:x -->", False),
        ("", False),
    ],
)
def test_has_blocks(text, expected):
    assert has_blocks(text) is expected


@pytest.mark.parametrize(
    "name, attrs, expected",
    [
        ("core/text", {"a": 1}, ("core/paragraph", {"a": 1})),
        ("core/cover-text", {}, ("core/paragraph", {})),
        ("core/cover-image", {"url": "u"}, ("core/cover", {"url": "u"})),
        (
            "core-embed/youtube",
            {"url": "u"},
            ("core/embed", {"url": "u", "providerNameSlug": "youtube", "responsive": True}),
        ),
        ("core-embed/speaker", {}, ("core/embed", {"providerNameSlug": "speaker-deck", "responsive": True})),
        ("core-embed/polldaddy", {}, ("core/embed", {"providerNameSlug": "crowdsignal", "responsive": True})),
        ("core-embed/wordpress", {}, ("core/embed", {"providerNameSlug": "wordpress"})),
        ("core/social-link-mastodon", {"url": "u"}, ("core/social-link", {"url": "u", "service": "mastodon"})),
        ("core/post-comments", {}, ("core/comments", {"legacy": True})),
        ("core/paragraph", {"x": 1}, ("core/paragraph", {"x": 1})),
        ("myplugin/text", {}, ("myplugin/text", {})),
        (None, {}, (None, {})),
    ],
)
def test_normalize_name(name, attrs, expected):
    before = dict(attrs)
    assert normalize_name(name, attrs) == expected
    assert attrs == before  # a new dict; the block's own is not changed


# -- properties --------------------------------------------------------------------------------------

SOUP = [
    "<!-- wp:a -->",
    "<!-- /wp:a -->",
    '<!-- wp:b {"x":1} -->',
    "<!-- wp:c /-->",
    "<!--",
    "-->",
    "wp:",
    "{",
    "}",
    " ",
    "\n",
    "/",
    "<p>",
    "</p>",
    "0",
    "é",
    "<!-- wp:x {",
    "} -->",
    "/-->",
    "<!-- /wp:b -->",
]
soup = st.lists(st.one_of(st.sampled_from(SOUP), st.text(max_size=5)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(soup)
def test_parse_never_raises_on_any_text(text):
    consistent(parse_blocks(text))


def serialize_attrs(attrs: dict) -> str:
    """WordPress's serialize_block_attributes escaping (less its `\\"` rule, which breaks a value
    that ends in a backslash)."""
    out = json.dumps(attrs, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("--", "\\u002d\\u002d"), ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        out = out.replace(raw, escaped)
    return out


names = st.from_regex(r"([a-z][a-z0-9_-]{0,6}/)?[a-z][a-z0-9_-]{0,8}", fullmatch=True)
json_attrs = st.dictionaries(
    st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8), st.booleans()), max_size=3
)
delimiters = st.one_of(
    st.tuples(st.just("open"), names, st.none() | json_attrs),
    st.tuples(st.just("close"), names, st.none()),
    st.tuples(st.just("void"), names, st.none() | json_attrs),
)
text_pieces = st.tuples(st.just("text"), st.text(alphabet=st.sampled_from('<!->wp: {}/\nxé0"'), max_size=12))
documents = st.lists(st.one_of(delimiters, text_pieces), max_size=30)


def render(kind: str, name: str, attrs) -> str:
    json_part = f" {serialize_attrs(attrs)}" if attrs is not None else ""
    if kind == "open":
        return f"<!-- wp:{name}{json_part} -->"
    if kind == "close":
        return f"<!-- /wp:{name} -->"
    return f"<!-- wp:{name}{json_part} /-->"


def rebuild(blocks: list[Block]) -> str:
    """All text the parse kept, in order: freeform HTML and each block's chunks around its inner blocks."""
    out = []
    todo: list = list(reversed(blocks))
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        children = iter(item.inner_blocks)
        todo.extend(reversed([c if c is not None else next(children) for c in item.inner_content]))
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_freeform_and_inner_html_reproduce_all_non_delimiter_text(pieces):
    # Adjacent text pieces are one text; it must not hold a delimiter of its own.
    merged: list = []
    for piece in pieces:
        if piece[0] == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + piece[1])
        else:
            merged.append(piece)
    assume(all("<!--" not in p[1] for p in merged if p[0] == "text"))
    document = "".join(p[1] if p[0] == "text" else render(*p) for p in merged)
    # The oracle: text is kept, delimiters are consumed — until a closer arrives with nothing
    # open, from where the rest of the document is kept as it is.
    expected, depth, position = [], 0, 0
    for piece in merged:
        written = piece[1] if piece[0] == "text" else render(*piece)
        if piece[0] == "text":
            expected.append(written)
        elif piece[0] == "open":
            depth += 1
        elif piece[0] == "close":
            if depth == 0:
                expected.append(document[position:])
                break
            depth -= 1
        position += len(written)
    blocks = parse_blocks(document)
    consistent(blocks)
    assert rebuild(blocks) == "".join(expected)
    opened = [p for p in merged if p[0] in ("open", "void")]
    if all(p[0] != "close" for p in merged):  # no closers: every delimiter is a block, in order
        assert [b.name for b in walk(blocks) if b.name] == [p[1] if "/" in p[1] else "core/" + p[1] for p in opened]
        assert [b.attrs for b in walk(blocks) if b.name] == [p[2] or {} for p in opened]
