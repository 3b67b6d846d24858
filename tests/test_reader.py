"""Unit tests for the WXR reader (migrate.reader / migrate.xmlstream) on small crafted exports.

Every export here is written by the test itself into tmp_path. `export()` builds a minimal
WXR document; its body starts on line BODY_LINE, so item line numbers can be asserted.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from migrate.wxr import xmlstream
from migrate.wxr.model import Author, Item, ItemTerm, Notice, Term
from migrate.wxr.reader import ChannelField, ExportError, read_export

from .conftest import SAMPLES, corpus_files

WP10 = "http://wordpress.org/export/1.0/"
WP11 = "http://wordpress.org/export/1.1/"
WP12 = "http://wordpress.org/export/1.2/"
WP12S = "https://wordpress.org/export/1.2/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"

BODY_LINE = 5  # line of the first body line in export(): decl, <rss>, <channel>, <title>, body


# -- helpers ---------------------------------------------------------------------------------------


def export(body: str, *, wp_ns: str = WP12, prefix: str = "wp", version: str | None = "1.2") -> str:
    """A minimal WXR document around `body` (channel children and items)."""
    excerpt_ns = wp_ns + "excerpt/"
    version_line = f"<{prefix}:wxr_version>{version}</{prefix}:wxr_version>" if version is not None else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" xmlns:excerpt="{excerpt_ns}" xmlns:content="{CONTENT}" xmlns:dc="{DC}" '
        f'xmlns:{prefix}="{wp_ns}">\n'
        "<channel>\n"
        f"<title>Test Blog</title>{version_line}\n"
        f"{body}\n"
        "</channel>\n"
        "</rss>\n"
    )


def item(
    post_id: int | str, *, prefix: str = "wp", content: str = "Body", post_type: str = "post", extra: str = ""
) -> str:
    """A one-line item with the usual fields (content in CDATA)."""
    p = prefix
    return (
        f"<item><title>Post {post_id}</title>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded>"
        f"<{p}:post_id>{post_id}</{p}:post_id>"
        f"<{p}:status><![CDATA[publish]]></{p}:status>"
        f"<{p}:post_type><![CDATA[{post_type}]]></{p}:post_type>"
        f"{extra}</item>"
    )


@dataclass
class Read:
    records: list
    notices: list[Notice] = field(default_factory=list)

    @property
    def items(self) -> list[Item]:
        return [r for r in self.records if isinstance(r, Item)]

    @property
    def channel(self) -> dict[str, str]:
        return {r.name: r.value for r in self.records if isinstance(r, ChannelField)}

    @property
    def authors(self) -> list[Author]:
        return [r for r in self.records if isinstance(r, Author)]

    @property
    def terms(self) -> list[Term]:
        return [r for r in self.records if isinstance(r, Term)]

    def only_item(self) -> Item:
        assert len(self.items) == 1, self.items
        return self.items[0]

    def messages(self) -> str:
        return "\n".join(n.message for n in self.notices)


def write(tmp_path: Path, data: str | bytes, name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read(tmp_path: Path, data: str | bytes, name: str = "export.xml", label: str | None = None) -> Read:
    path = write(tmp_path, data, name)
    notices: list[Notice] = []
    records = list(read_export(path, notices.append, label=label))
    return Read(records, notices)


# -- namespaces ------------------------------------------------------------------------------------


@pytest.mark.parametrize("wp_ns", [WP10, WP11, WP12, WP12S], ids=["1.0", "1.1", "1.2", "1.2-https"])
def test_all_wxr_namespace_uris_are_recognised(tmp_path, wp_ns):
    body = "<wp:base_blog_url>https://blog.example</wp:base_blog_url>\n" + item(
        12, extra="<excerpt:encoded><![CDATA[Short]]></excerpt:encoded><wp:post_name>hello</wp:post_name>"
    )
    r = read(tmp_path, export(body, wp_ns=wp_ns))
    assert r.channel["base_blog_url"] == "https://blog.example"
    assert r.channel["wxr_version"] == "1.2"
    it = r.only_item()
    assert (it.id, it.type, it.status, it.slug) == (12, "post", "publish", "hello")
    assert it.content == "Body"
    assert it.excerpt == "Short"
    assert it.damage == []


def test_other_prefix_bound_to_wordpress_namespace(tmp_path):
    body = (
        "<wordpress:author><wordpress:author_login>alice</wordpress:author_login>"
        "<wordpress:author_display_name>Alice</wordpress:author_display_name></wordpress:author>\n"
        + item(7, prefix="wordpress", post_type="page")
    )
    r = read(tmp_path, export(body, prefix="wordpress"))
    assert r.channel["wxr_version"] == "1.2"
    assert [(a.login, a.display_name) for a in r.authors] == [("alice", "Alice")]
    it = r.only_item()
    assert (it.id, it.type, it.status) == (7, "page", "publish")


def test_wp_prefix_in_a_foreign_namespace_is_ignored(tmp_path):
    foreign = 'xmlns:wp="http://example.com/not-wordpress/"'
    body = (
        f"<wp:author {foreign}><wp:author_login>mallory</wp:author_login></wp:author>\n"
        # the foreign elements come first: if they were matched, they would win ("first one wins")
        + item(5, extra="").replace(
            "<item>",
            f"<item><wp:post_id {foreign}>999</wp:post_id><wp:post_type {foreign}>evil</wp:post_type>",
        )
    )
    r = read(tmp_path, export(body))
    assert r.authors == []
    it = r.only_item()
    assert it.id == 5
    assert it.type == "post"


def test_whole_file_with_wp_prefix_bound_elsewhere_yields_no_wordpress_fields(tmp_path):
    r = read(tmp_path, export(item(5), wp_ns="http://example.com/not-wordpress/"))
    it = r.only_item()
    assert it.id is None and it.type == "" and it.status == ""
    assert it.content == "Body"  # content: namespace is still the real one


def test_default_namespace_declaration_on_element(tmp_path):
    body = (
        f'<item><title>T</title><post_id xmlns="{WP12}">77</post_id><post_type xmlns="{WP12}">page</post_type></item>'
    )
    it = read(tmp_path, export(body)).only_item()
    assert it.id == 77
    assert it.type == "page"
    assert it.title == "T"  # un-namespaced RSS title is unaffected


# -- junk around the document ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    ["\n\n   \n", '<div class="notice">PHP Warning: Undefined index "x" in /var/www/theme.php on line 3</div>\n'],
    ids=["blank-lines", "php-notice"],
)
def test_junk_before_xml_declaration(tmp_path, junk):
    r = read(tmp_path, junk + export(item(1) + "\n" + item(2)), label="site.xml")
    assert [i.id for i in r.items] == [1, 2]
    assert all(i.damage == [] for i in r.items)
    assert r.channel["title"] == "Test Blog"
    junk_notes = [n for n in r.notices if n.source is not None and n.source.line == 1]
    assert junk_notes, r.notices
    assert junk_notes[0].source.file == "site.xml"


def test_no_declaration_leading_comments_then_rss(tmp_path):
    text = (
        "<!-- generated by a plugin -->\n<!-- second comment -->\n"
        f'<rss version="2.0" xmlns:wp="{WP12}" xmlns:content="{CONTENT}">\n<channel>\n'
        "<title>No decl</title>\n" + item(3) + "\n</channel>\n</rss>\n"
    )
    r = read(tmp_path, text)
    assert r.channel["title"] == "No decl"
    it = r.only_item()
    assert (it.id, it.content, it.damage) == (3, "Body", [])
    assert it.source.line == 6


def test_utf8_bom(tmp_path):
    r = read(tmp_path, b"\xef\xbb\xbf" + export(item(4, content="caf\u00e9")).encode("utf-8"))
    assert r.channel["title"] == "Test Blog"
    it = r.only_item()
    assert (it.id, it.content) == (4, "caf\u00e9")
    assert r.notices == []


SAMPLE = Path(__file__).parent.parent / "samples" / "example-blog.wordpress.xml"


@pytest.mark.parametrize(
    ("codec", "bom", "declared"),
    [
        ("utf-16-le", b"\xff\xfe", "UTF-8"),
        ("utf-16-be", b"\xfe\xff", "UTF-8"),
        ("utf-16-le", b"\xff\xfe", "UTF-16"),
        ("utf-16-be", b"\xfe\xff", "UTF-16"),
        ("utf-16-le", b"", "UTF-16"),
        ("utf-16-be", b"", "UTF-16"),
    ],
    ids=["le-bom", "be-bom", "le-bom-declared", "be-bom-declared", "le-declared", "be-declared"],
)
def test_utf16_export_reads_as_its_utf8_original(tmp_path, monkeypatch, codec, bom, declared):
    text = SAMPLE.read_text(encoding="utf-8").replace('encoding="UTF-8"', f'encoding="{declared}"', 1)
    want = read(tmp_path, text, "utf8.xml", label="site.xml")
    assert len(want.items) == 13
    data = bom + text.encode(codec)
    got = read(tmp_path, data, "utf16.xml", label="site.xml")
    assert got.records == want.records and got.notices == want.notices
    monkeypatch.setattr(xmlstream, "BLOCK", 1001)  # an odd block size cuts 16-bit units in two
    assert read(tmp_path, data, "utf16.xml", label="site.xml").records == want.records


# -- undeclared prefixes ---------------------------------------------------------------------------


def test_undeclared_atom_prefix_on_channel_link(tmp_path):
    body = '<atom:link href="https://blog.example/feed/" rel="self" type="application/rss+xml" />\n' + item(8)
    r = read(tmp_path, export(body))
    assert r.channel["title"] == "Test Blog"
    assert r.only_item().id == 8
    assert "atom" in r.messages()


def test_lone_item_without_root_or_namespace_declarations(tmp_path):
    text = (
        "<item>\n<title>Lone</title>\n<wp:post_id>31</wp:post_id>\n<wp:post_type>page</wp:post_type>\n"
        "<content:encoded><![CDATA[<p>Lone body</p>]]></content:encoded>\n</item>\n"
    )
    r = read(tmp_path, text, label="lone.xml")
    it = r.only_item()
    assert (it.id, it.type, it.title, it.content) == (31, "page", "Lone", "<p>Lone body</p>")
    assert it.damage == []
    assert r.notices, "undeclared prefixes should be reported"
    assert all(n.source.file == "lone.xml" for n in r.notices)


# -- characters ------------------------------------------------------------------------------------


def test_xml_illegal_control_characters_in_cdata_are_removed(tmp_path):
    body = "<item>\n<wp:post_id>21</wp:post_id>\n<content:encoded><![CDATA[a\x10b\nc\x00d]]></content:encoded>\n</item>"
    r = read(tmp_path, export(body), label="ctl.xml")
    it = r.only_item()
    assert it.content == "ab\ncd"
    assert it.damage == []
    notes = [n for n in r.notices if n.item_id == 21]
    assert notes, r.notices
    # the item starts on BODY_LINE, the first control character is two lines further down; either
    # is an acceptable place to point at, but it must be one of them
    assert notes[0].source.file == "ctl.xml"
    assert notes[0].source.line in (BODY_LINE, BODY_LINE + 2)


def test_c1_controls_are_read_as_windows_1252(tmp_path):
    # U+0093 / U+0094 encoded as UTF-8: what utf8_encode() makes of cp1252 curly quotes
    it_text = item(22, content="He said \u0093hi\u0094")
    r = read(tmp_path, export(it_text))
    it = r.only_item()
    assert it.content == "He said \u201chi\u201d"
    assert any(n.item_id == 22 for n in r.notices)


def test_invalid_utf8_bytes_are_read_as_windows_1252(tmp_path):
    data = export(item(23, content="XX")).encode("utf-8").replace(b"XX", b"caf\xc3\xa9 \x93q\x94")
    r = read(tmp_path, data)
    assert r.only_item().content == "caf\u00e9 \u201cq\u201d"
    assert any(n.item_id == 23 for n in r.notices)


def test_declared_single_byte_encoding_is_honoured(tmp_path):
    text = export(item(24, content="caf\u00e9 \u201cq\u201d")).replace('encoding="UTF-8"', 'encoding="windows-1252"')
    r = read(tmp_path, text.encode("cp1252"))
    assert r.only_item().content == "caf\u00e9 \u201cq\u201d"


# -- ampersands and entities -----------------------------------------------------------------------


def test_raw_ampersand_in_attachment_url_and_guid(tmp_path):
    extra = (
        '<guid isPermaLink="false">http://blog.example/?attachment_id=9&amp=1&x=2</guid>'
        "<wp:attachment_url>http://cdn.example/img.php?w=100&h=50</wp:attachment_url>"
    )
    r = read(tmp_path, export(item(9, post_type="attachment", extra=extra)))
    it = r.only_item()
    assert it.attachment_url == "http://cdn.example/img.php?w=100&h=50"
    assert it.guid == "http://blog.example/?attachment_id=9&amp=1&x=2"
    assert it.damage == []
    assert any(n.item_id == 9 and "&" in n.message for n in r.notices)


def test_html_named_entity_outside_cdata_is_decoded(tmp_path):
    body = "<item><title>a&nbsp;b &eacute; &amp; c &#8217;</title><wp:post_id>10</wp:post_id></item>"
    r = read(tmp_path, export(body))
    it = r.only_item()
    assert it.title == "a\u00a0b \u00e9 & c \u2019"
    assert it.damage == []


def test_entities_inside_cdata_are_left_alone(tmp_path):
    body = "<item><title><![CDATA[Tom &amp; Jerry &nbsp;]]></title><wp:post_id>11</wp:post_id></item>"
    r = read(tmp_path, export(body))
    assert r.only_item().title == "Tom &amp; Jerry &nbsp;"
    assert r.notices == []


# -- CDATA -----------------------------------------------------------------------------------------


def test_cdata_end_split_across_sections(tmp_path):
    r = read(tmp_path, export(item(12, content="a]]]]><![CDATA[>b")))
    assert r.only_item().content == "a]]>b"
    assert r.notices == []


def test_literal_cdata_end_inside_cdata_pre_3_4(tmp_path):
    r = read(tmp_path, export(item(13, content="x <![CDATA[ y ]]> z"), wp_ns=WP11))
    it = r.only_item()
    assert it.content == "x <![CDATA[ y ]]> z"
    assert it.damage == []
    assert any(n.item_id == 13 for n in r.notices)


def test_literal_cdata_end_before_closing_html_tag_pre_3_4(tmp_path):
    # the classic inline-script guard pasted into a post, exported by WordPress < 3.4 (no splitting)
    content = "<script>//<![CDATA[\nfoo();\n//]]>\n</script>\n<p>after</p>"
    r = read(tmp_path, export(item(14, content=content), wp_ns=WP11))
    it = r.only_item()
    assert it.content == content
    assert it.damage == []


@pytest.mark.parametrize(
    "value",
    [
        "hello-world",
        "<![CDATA[hello-world]]>",
        "\n   <![CDATA[hello-world]]>\n  ",
        "  hello-world\n",
        "<![CDATA[  hello-world  ]]>",
    ],
    ids=["bare", "cdata", "ws-around-cdata", "ws-bare", "ws-inside-cdata"],
)
def test_values_with_and_without_cdata_are_stripped(tmp_path, value):
    body = f"<item><wp:post_id>\n 15 \n</wp:post_id><wp:post_name>{value}</wp:post_name><wp:status>{value}</wp:status></item>"
    it = read(tmp_path, export(body)).only_item()
    assert it.id == 15
    assert it.slug == "hello-world"
    assert it.status == "hello-world"


def test_entity_escaped_html_content_without_cdata(tmp_path):
    body = (
        "<item><wp:post_id>16</wp:post_id><content:encoded>&lt;p&gt;hi &amp;amp; bye&lt;/p&gt;</content:encoded></item>"
    )
    r = read(tmp_path, export(body))
    assert r.only_item().content == "<p>hi &amp; bye</p>"
    assert r.notices == []


# -- version ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "abc"], ids=["missing", "abc"])
def test_missing_or_odd_wxr_version_does_not_stop_reading(tmp_path, version):
    r = read(tmp_path, export(item(1) + "\n" + item(2), version=version))
    assert [i.id for i in r.items] == [1, 2]
    assert all(i.damage == [] for i in r.items)
    if version is None:
        assert "wxr_version" not in r.channel
    else:
        assert r.channel["wxr_version"] == "abc"


# -- damage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cut_after",
    ["<![CDATA[half a sent", "<wp:post_ty", "</wp:post_id>", "<item>"],
    ids=["inside-cdata", "inside-tag", "after-element", "right-after-start"],
)
def test_truncated_file_keeps_complete_items(tmp_path, cut_after):
    last = (
        "<item><title>Last</title><wp:post_id>3</wp:post_id><wp:post_type>post</wp:post_type>"
        "<content:encoded><![CDATA[half a sentence]]></content:encoded></item>"
    )
    full = export(item(1) + "\n" + item(2) + "\n" + last)
    start = full.index(last)
    cut = full.index(cut_after, start) + len(cut_after)
    r = read(tmp_path, full[:cut])
    assert len(r.items) == 3
    first, second, truncated = r.items
    assert (first.id, first.content, first.damage) == (1, "Body", [])
    assert (second.id, second.content, second.damage) == (2, "Body", [])
    assert truncated.damage, "the truncated item must say it is damaged"
    assert truncated.source.line == BODY_LINE + 2


def test_unclosed_item_followed_by_another_item(tmp_path):
    body = "<item><title>Open</title><wp:post_id>1</wp:post_id><wp:postmeta><wp:meta_key>k</wp:meta_key>\n" + item(
        2, content="Second body", extra="<wp:post_name>second</wp:post_name>"
    )
    r = read(tmp_path, export(body))
    assert len(r.items) == 2
    first, second = r.items
    assert first.damage
    assert first.id == 1
    assert second.damage == []
    assert (second.id, second.content, second.slug, second.title) == (2, "Second body", "second", "Post 2")
    assert second.source.line == BODY_LINE + 1


def test_every_item_start_yields_exactly_one_item(tmp_path):
    body = "\n".join(
        [
            item(1, content="mentions <item> and </item> inside CDATA"),
            "<!-- <item><wp:post_id>99</wp:post_id></item> -->",
            "<item/>",
            '<item xml:lang="en"><wp:post_id>3</wp:post_id></item>',
            "<item><wp:post_id>4</wp:post_id><title>a <b>bold</i> mess</title></item>",  # not well-formed
            "<item><wp:post_id>5</wp:post_id><wp:postmeta>",  # never closed
            item(6),
            "<item><wp:post_id>7</wp:post_id><content:encoded><![CDATA[cut off",
        ]
    )
    text = export(body)
    text = text[: text.index("cut off") + len("cut off")]
    r = read(tmp_path, text)
    assert len(r.items) == 7
    assert [i.id for i in r.items] == [1, None, 3, 4, 5, 6, 7]
    assert [bool(i.damage) for i in r.items] == [False, False, False, True, True, False, True]
    assert r.items[0].content == "mentions <item> and </item> inside CDATA"


# -- security --------------------------------------------------------------------------------------


def test_billion_laughs_entities_are_not_expanded(tmp_path):
    entities = '<!ENTITY lol "lol">\n' + "".join(
        f'<!ENTITY lol{n} "{("&lol%s;" % (n - 1 if n > 1 else "")) * 10}">\n' for n in range(1, 10)
    )
    text = export(
        "<item><title>&lol9;</title><wp:post_id>1</wp:post_id><content:encoded>&lol9;</content:encoded></item>"
    ).replace("<rss ", f"<!DOCTYPE rss [\n{entities}]>\n<rss ", 1)
    r = read(tmp_path, text)
    it = r.only_item()
    assert it.id == 1
    for value in (it.title, it.content, *r.channel.values()):
        assert "lollol" not in value
        assert len(value) < 100


@pytest.mark.parametrize("target", ["etc-passwd", "tmp-secret"])
def test_external_entity_is_never_loaded(tmp_path, target):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER\n")
    uri = "file:///etc/passwd" if target == "etc-passwd" else secret.as_uri()
    dtd = f'<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{uri}">\n<!ENTITY % pe SYSTEM "{uri}">\n%pe;\n]>\n'
    text = export(
        "<wp:base_blog_url>&xxe;</wp:base_blog_url>\n"
        "<item><title>&xxe;</title><wp:post_id>2</wp:post_id><guid>&xxe;</guid>"
        "<content:encoded>before &xxe; after</content:encoded></item>"
    ).replace("<rss ", dtd + "<rss ", 1)
    r = read(tmp_path, text)
    it = r.only_item()
    assert it.id == 2
    values = [it.title, it.guid, it.content, *r.channel.values()]
    for value in values:
        assert "TOP-SECRET-MARKER" not in value
        assert "root:" not in value
    assert it.content.startswith("before") and it.content.endswith("after")


def test_unknown_entity_is_kept_as_text_and_not_reported_as_resolved(tmp_path):
    r = read(tmp_path, export("<item><title>a &bogus; b</title><wp:post_id>3</wp:post_id></item>"))
    assert r.only_item().title == "a &bogus; b"
    assert r.notices, "the repair should still be reported"
    assert "resolved" not in r.messages()


# -- not an export ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "Hello, this is just a text file.\nNothing to see & no tags.\n",
        "<!DOCTYPE html>\n<html><head><title>Blog</title></head>\n<body><p>Welcome</p><!-- c --></body></html>\n",
        "",
    ],
    ids=["plain-text", "html-page", "empty"],
)
def test_not_an_export_raises_export_error_with_label(tmp_path, content):
    with pytest.raises(ExportError) as exc:
        read(tmp_path, content, label="uploads/thing.xml")
    assert str(exc.value).startswith("uploads/thing.xml")


def test_not_an_export_default_label_is_the_path(tmp_path):
    path = write(tmp_path, "just text\n")
    with pytest.raises(ExportError) as exc:
        list(read_export(path, lambda n: None))
    assert str(exc.value).startswith(str(path))


def test_missing_file_raises_export_error(tmp_path):
    with pytest.raises(ExportError) as exc:
        list(read_export(tmp_path / "nope.xml", lambda n: None, label="nope.xml"))
    assert str(exc.value).startswith("nope.xml")


# -- channel, authors, terms -----------------------------------------------------------------------


HEADER = """<link>https://blog.example</link>
<description>A test</description>
<language>en-GB</language>
<wp:base_site_url>https://example</wp:base_site_url>
<wp:base_blog_url>https://blog.example</wp:base_blog_url>
<wp:author><wp:author_id>3</wp:author_id><wp:author_login><![CDATA[alice]]></wp:author_login><wp:author_email><![CDATA[a@example.org]]></wp:author_email><wp:author_display_name><![CDATA[Alice Example]]></wp:author_display_name></wp:author>
<wp:author>
  <wp:author_id>4</wp:author_id>
  <wp:author_login>bob</wp:author_login>
  <wp:author_display_name>Bob &amp; Co</wp:author_display_name>
</wp:author>
<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename><![CDATA[parent]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[Parent Cat]]></wp:cat_name></wp:category>
<wp:category><wp:term_id>2</wp:term_id><wp:category_nicename>child</wp:category_nicename><wp:category_parent>parent</wp:category_parent><wp:cat_name><![CDATA[Child Cat]]></wp:cat_name><wp:category_description>Kids</wp:category_description></wp:category>
<wp:tag><wp:term_id>5</wp:term_id><wp:tag_slug>t-one</wp:tag_slug><wp:tag_name><![CDATA[Tag One]]></wp:tag_name></wp:tag>
<wp:term><wp:term_id>9</wp:term_id><wp:term_taxonomy>genre</wp:term_taxonomy><wp:term_slug>jazz</wp:term_slug><wp:term_parent>music</wp:term_parent><wp:term_name><![CDATA[Jazz]]></wp:term_name></wp:term>"""


def test_channel_fields(tmp_path):
    r = read(tmp_path, export(HEADER))
    assert r.channel == {
        "title": "Test Blog",
        "wxr_version": "1.2",
        "link": "https://blog.example",
        "description": "A test",
        "language": "en-GB",
        "base_site_url": "https://example",
        "base_blog_url": "https://blog.example",
    }
    assert r.items == []


def test_authors(tmp_path):
    r = read(tmp_path, export(HEADER))
    assert r.authors == [
        Author("alice", "Alice Example", "a@example.org", 3),
        Author("bob", "Bob & Co", "", 4),
    ]


def test_terms(tmp_path):
    r = read(tmp_path, export(HEADER))
    assert r.terms == [
        Term("category", "parent", "Parent Cat", "", "", 1),
        Term("category", "child", "Child Cat", "parent", "Kids", 2),
        Term("post_tag", "t-one", "Tag One", "", "", 5),
        Term("genre", "jazz", "Jazz", "music", "", 9),
    ]


def test_records_come_in_file_order(tmp_path):
    r = read(tmp_path, export(HEADER + "\n" + item(1)))
    kinds = [type(x).__name__ for x in r.records]
    assert kinds[-1] == "Item"
    assert kinds.index("Author") < kinds.index("Term") < kinds.index("Item")


# -- item fields -----------------------------------------------------------------------------------


FULL_ITEM = """<item>
<title><![CDATA[Hello &amp; welcome]]></title>
<link>https://blog.example/hello/</link>
<pubDate>Mon, 01 Mar 2021 09:00:00 +0000</pubDate>
<dc:creator><![CDATA[alice]]></dc:creator>
<guid isPermaLink="false">https://blog.example/?p=42</guid>
<description></description>
<content:encoded><![CDATA[<p>Body</p>]]></content:encoded>
<excerpt:encoded><![CDATA[Excerpt]]></excerpt:encoded>
<wp:post_id>42</wp:post_id>
<wp:post_date><![CDATA[2021-03-01 10:00:00]]></wp:post_date>
<wp:post_date_gmt><![CDATA[2021-03-01 09:00:00]]></wp:post_date_gmt>
<wp:post_modified><![CDATA[2021-04-01 10:00:00]]></wp:post_modified>
<wp:post_modified_gmt><![CDATA[2021-04-01 09:00:00]]></wp:post_modified_gmt>
<wp:comment_status><![CDATA[open]]></wp:comment_status>
<wp:ping_status><![CDATA[open]]></wp:ping_status>
<wp:post_name><![CDATA[hello]]></wp:post_name>
<wp:status><![CDATA[private]]></wp:status>
<wp:post_parent>7</wp:post_parent>
<wp:menu_order>3</wp:menu_order>
<wp:post_type><![CDATA[page]]></wp:post_type>
<wp:post_password><![CDATA[s3cret]]></wp:post_password>
<wp:is_sticky>1</wp:is_sticky>
<category domain="category" nicename="child"><![CDATA[Child Cat]]></category>
<category domain="post_tag" nicename="t-one"><![CDATA[Tag One]]></category>
<category domain="genre" nicename="jazz"><![CDATA[Jazz]]></category>
<wp:postmeta><wp:meta_key><![CDATA[_wp_old_slug]]></wp:meta_key><wp:meta_value><![CDATA[old-one]]></wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[57]]></wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key><![CDATA[_wp_old_slug]]></wp:meta_key><wp:meta_value><![CDATA[old-two]]></wp:meta_value></wp:postmeta>
<wp:postmeta><wp:meta_key>ser</wp:meta_key><wp:meta_value><![CDATA[a:1:{s:1:"k";s:2:"v&";}]]></wp:meta_value></wp:postmeta>
<wp:comment>
  <wp:comment_id>11</wp:comment_id>
  <wp:comment_author><![CDATA[Bob]]></wp:comment_author>
  <wp:comment_author_email><![CDATA[b@example.org]]></wp:comment_author_email>
  <wp:comment_author_url>https://bob.example/</wp:comment_author_url>
  <wp:comment_date><![CDATA[2021-03-02 10:00:00]]></wp:comment_date>
  <wp:comment_date_gmt><![CDATA[2021-03-02 09:00:00]]></wp:comment_date_gmt>
  <wp:comment_content><![CDATA[Nice post]]></wp:comment_content>
  <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
  <wp:comment_type><![CDATA[comment]]></wp:comment_type>
  <wp:comment_parent>0</wp:comment_parent>
  <wp:comment_user_id>0</wp:comment_user_id>
  <wp:commentmeta><wp:meta_key>x</wp:meta_key><wp:meta_value>y</wp:meta_value></wp:commentmeta>
</wp:comment>
<wp:comment>
  <wp:comment_id>12</wp:comment_id>
  <wp:comment_author><![CDATA[Alice]]></wp:comment_author>
  <wp:comment_content><![CDATA[Thanks]]></wp:comment_content>
  <wp:comment_approved><![CDATA[0]]></wp:comment_approved>
  <wp:comment_type><![CDATA[pingback]]></wp:comment_type>
  <wp:comment_parent>11</wp:comment_parent>
  <wp:comment_user_id>3</wp:comment_user_id>
</wp:comment>
</item>"""


def test_item_scalar_fields(tmp_path):
    r = read(tmp_path, export(FULL_ITEM), label="full.xml")
    it = r.only_item()
    assert it.source.file == "full.xml" and it.source.line == BODY_LINE
    assert it.id == 42
    assert it.type == "page"
    assert it.status == "private"
    assert it.slug == "hello"
    assert it.parent == 7
    assert it.menu_order == 3
    assert it.sticky is True
    assert it.password == "s3cret"
    assert it.title == "Hello &amp; welcome"  # CDATA: raw, entities not decoded
    assert it.link == "https://blog.example/hello/"
    assert it.guid == "https://blog.example/?p=42"
    assert it.pub_date == "Mon, 01 Mar 2021 09:00:00 +0000"
    assert it.creator == "alice"
    assert it.content == "<p>Body</p>"
    assert it.excerpt == "Excerpt"
    assert (it.date, it.date_gmt) == ("2021-03-01 10:00:00", "2021-03-01 09:00:00")
    assert (it.modified, it.modified_gmt) == ("2021-04-01 10:00:00", "2021-04-01 09:00:00")
    assert it.comment_status == "open"
    assert it.damage == []
    assert r.notices == []


def test_item_defaults_when_fields_are_absent(tmp_path):
    it = read(tmp_path, export("<item><wp:post_id>1</wp:post_id><wp:is_sticky>0</wp:is_sticky></item>")).only_item()
    assert (it.parent, it.menu_order, it.sticky, it.password, it.terms, it.meta, it.comments) == (
        0,
        0,
        False,
        "",
        [],
        [],
        [],
    )


def test_item_terms(tmp_path):
    it = read(tmp_path, export(FULL_ITEM)).only_item()
    assert it.terms == [
        ItemTerm("category", "child", "Child Cat"),
        ItemTerm("post_tag", "t-one", "Tag One"),
        ItemTerm("genre", "jazz", "Jazz"),
    ]


def test_legacy_wxr_1_0_category_without_domain_is_not_duplicated(tmp_path):
    body = """<item><wp:post_id>1</wp:post_id>
<category><![CDATA[News]]></category>
<category domain="category" nicename="news"><![CDATA[News]]></category>
<category><![CDATA[Only Legacy]]></category>
<category domain="tag" nicename="foo-bar"><![CDATA[Foo Bar]]></category>
</item>"""
    it = read(tmp_path, export(body, wp_ns=WP10, version="1.0")).only_item()
    categories = [t for t in it.terms if t.taxonomy == "category"]
    assert [t.name for t in categories].count("News") == 1
    assert ItemTerm("category", "news", "News") in categories
    assert any(t.name == "Only Legacy" for t in categories), "a legacy-only category must not be lost"
    assert ItemTerm("post_tag", "foo-bar", "Foo Bar") in it.terms  # domain "tag" means post_tag


def test_legacy_wxr_1_0_tag_without_nicename_is_not_duplicated(tmp_path):
    body = """<item><wp:post_id>1</wp:post_id>
<category domain="tag"><![CDATA[Foo Bar]]></category>
<category domain="tag" nicename="foo-bar"><![CDATA[Foo Bar]]></category>
</item>"""
    it = read(tmp_path, export(body, wp_ns=WP10, version="1.0")).only_item()
    assert it.terms == [ItemTerm("post_tag", "foo-bar", "Foo Bar")]


def test_item_postmeta_keeps_repeated_keys_in_order(tmp_path):
    it = read(tmp_path, export(FULL_ITEM)).only_item()
    assert it.meta == [
        ("_wp_old_slug", "old-one"),
        ("_thumbnail_id", "57"),
        ("_wp_old_slug", "old-two"),
        ("ser", 'a:1:{s:1:"k";s:2:"v&";}'),
    ]
    assert it.meta_values("_wp_old_slug") == ["old-one", "old-two"]


def test_item_comments(tmp_path):
    it = read(tmp_path, export(FULL_ITEM)).only_item()
    assert len(it.comments) == 2
    c1, c2 = it.comments
    assert (c1.id, c1.author, c1.author_url, c1.content) == (11, "Bob", "https://bob.example/", "Nice post")
    assert (c1.date, c1.date_gmt) == ("2021-03-02 10:00:00", "2021-03-02 09:00:00")
    assert (c1.approved, c1.type, c1.parent, c1.user_id) == ("1", "comment", 0, 0)
    assert (c2.id, c2.author, c2.content, c2.approved, c2.type, c2.parent, c2.user_id) == (
        12,
        "Alice",
        "Thanks",
        "0",
        "pingback",
        11,
        3,
    )


def test_comment_author_url_with_raw_ampersand(tmp_path):
    extra = (
        "<wp:comment><wp:comment_id>5</wp:comment_id>"
        "<wp:comment_author_url>http://spam.example/?a=1&b=2</wp:comment_author_url></wp:comment>"
    )
    r = read(tmp_path, export(item(30, extra=extra)))
    it = r.only_item()
    assert it.damage == []
    assert it.comments[0].author_url == "http://spam.example/?a=1&b=2"


def test_item_line_numbers(tmp_path):
    r = read(tmp_path, export(item(1) + "\n\n" + item(2) + "\n" + FULL_ITEM))
    assert [(i.id, i.source.line) for i in r.items] == [(1, BODY_LINE), (2, BODY_LINE + 2), (42, BODY_LINE + 3)]


# -- streaming -------------------------------------------------------------------------------------


def _tricky_export() -> str:
    """An export with many constructs whose boundaries could fall between two reads."""
    doctype = '<!DOCTYPE rss [\n<!ENTITY e "x">\n]>\n'
    body = "\n".join(
        [
            "<!-- a comment with <item> inside -->",
            '<atom:link href="https://blog.example/feed/" rel="self" />',
            HEADER,
            item(1, content="a]]]]><![CDATA[>b <item> &amp;"),
            item(2, content="x <![CDATA[ y ]]> z"),
            "<item><title>t &nbsp; &amp; </title><wp:post_id>3</wp:post_id>"
            "<wp:attachment_url>http://x/?a=1&b=2</wp:attachment_url></item>",
            FULL_ITEM,
            item(4, content="caf\u00e9 \u65e5\u672c \u0093q\u0094 \x10"),
            "<item/>",
            item(5),
        ]
    )
    return export(body).replace("<rss ", doctype + "<rss ", 1)


@pytest.mark.parametrize("block", [1, 2, 3, 5, 7, 13, 64, 1000])
def test_small_read_blocks_give_the_same_records(tmp_path, monkeypatch, block):
    path = write(tmp_path, _tricky_export())
    expected: list[Notice] = []
    want = list(read_export(path, expected.append))
    assert len([r for r in want if isinstance(r, Item)]) == 7
    monkeypatch.setattr(xmlstream, "BLOCK", block)
    got_notices: list[Notice] = []
    got = list(read_export(path, got_notices.append))
    assert got == want
    assert got_notices == expected


def test_read_export_is_lazy(tmp_path):
    path = write(tmp_path, export(item(1) + "\n" + item(2)))
    records = read_export(path, lambda n: None)
    first = next(records)
    assert isinstance(first, ChannelField)
    assert sum(isinstance(r, Item) for r in records) == 2


def test_many_items_are_all_read(tmp_path):
    n = 3000
    path = tmp_path / "many.xml"
    with open(path, "w", encoding="utf-8") as f:
        f.write(export("").split("\n</channel>")[0])
        for i in range(1, n + 1):
            f.write("\n" + item(i, content=f"Post number {i}"))
        f.write("\n</channel>\n</rss>\n")
    ids = [r.id for r in read_export(path, lambda n: None) if isinstance(r, Item)]
    assert len(ids) == n
    assert ids == list(range(1, n + 1))


def test_memory_stays_flat_on_a_large_export(tmp_path):
    n, size = 3000, 20_000
    body = ("<p>Lorem ipsum dolor sit amet, consectetur &amp; adipiscing.</p>\n" * (size // 60 + 1))[:size]
    path = tmp_path / "big.xml"
    with open(path, "w", encoding="utf-8") as f:
        f.write(export("").split("\n</channel>")[0])
        for i in range(1, n + 1):
            f.write("\n" + item(i, content=body))
        f.write("\n</channel>\n</rss>\n")
    file_size = path.stat().st_size
    assert file_size > 55_000_000

    tracemalloc.start()
    try:
        count = 0
        total_content = 0
        for record in read_export(path, lambda n: None):
            if isinstance(record, Item):
                count += 1
                total_content += len(record.content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == n
    assert total_content == n * len(body.strip())
    assert peak < 30_000_000, f"peak {peak / 1e6:.1f} MB for a {file_size / 1e6:.1f} MB file"
    assert peak < file_size / 5


# -- the fast paths read what the careful ones read --------------------------------------------------

_TRICKY_BODIES = [
    "plain <b>bold</b> &amp; more",
    "a ]] b ]> c ]]]",
    "holds <item> and </item> as text",
    "holds <![CDATA[ nested",
    "<!-- a comment --> and <?php echo 1; ?>",
    "x]]>y",  # a literal "]]>" of a pre-3.4 export
    "<script>//]]></script>",
    "caf\u00e9 \u0085 control",
    "</channel> inside",
]


def _records(path: Path) -> list:
    warnings: list = []
    records = [repr(r) for r in read_export(path, warnings.append)]
    return records + [repr(w) for w in warnings]


@pytest.mark.parametrize("fast", ["_plain_item_end", "_utf8"])
def test_fast_paths_give_the_records_of_the_careful_paths(tmp_path, monkeypatch, fast):
    """Each shortcut (one regex over an item of the common kind; parsing its bytes undecoded) only
    skips work: switched off, every record and warning is the same, on tricky items and the corpus."""
    tricky = tmp_path / "tricky.xml"
    outside = ["<!-- </item> -->", "<?pi </item> ?>", "<wp:note>a &amp; b</wp:note>", "<!-- unclosed"]
    items = [item(n, content=c) for n, c in enumerate(_TRICKY_BODIES, 1)]
    items += [item(n, extra=e) for n, e in enumerate(outside, 100)]
    tricky.write_text(export("\n".join(items)))
    files = [tricky, *sorted(SAMPLES.glob("*.xml")), *corpus_files()]
    fast_reads = [_records(f) for f in files]
    if fast == "_plain_item_end":
        monkeypatch.setattr(xmlstream.Scanner, "_plain_item_end", lambda self, pos: None)
    else:
        monkeypatch.setattr(xmlstream, "_utf8", lambda data: False)
    for path, read_fast in zip(files, fast_reads, strict=True):
        assert _records(path) == read_fast, path.name
