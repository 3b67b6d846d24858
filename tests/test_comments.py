"""Comments come along as data: what is written, what never is, threading, the template that shows
them (built with real Zolas), and the export that Remark42 and Isso import."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import lxml.html
import pyromark
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.comments.content import comment_markdown
from tests.conftest import SAMPLES, migrate, wxr, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
WP = "{http://wordpress.org/export/1.2/}"


def comment(
    cid: int,
    content: str = "Nice.",
    *,
    approved: str = "1",
    type: str = "comment",
    parent: int = 0,
    author: str = "Ann",
    url: str = "",
    date: str = "2021-03-02 10:00:00",
    gmt: str = "2021-03-02 09:00:00",
) -> str:
    return (
        f"<wp:comment><wp:comment_id>{cid}</wp:comment_id><wp:comment_author><![CDATA[{author}]]></wp:comment_author>"
        f"<wp:comment_author_email>{author.lower()}@mail.example</wp:comment_author_email>"
        f"<wp:comment_author_url>{url}</wp:comment_author_url><wp:comment_author_IP>198.51.100.{cid}</wp:comment_author_IP>"
        f"<wp:comment_date>{date}</wp:comment_date><wp:comment_date_gmt>{gmt}</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[{content}]]></wp:comment_content><wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_type>{type}</wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
    )


THREAD = "".join(
    [
        comment(1, "First!", date="2021-03-02 10:00:00", gmt="2021-03-02 09:00:00", url="https://ann.example/"),
        comment(2, "A reply to 1.", parent=1, author="Bob", date="2021-03-03 10:00:00", gmt="2021-03-03 09:00:00"),
        comment(3, "Second, but earlier than 2.", author="Cy", date="2021-03-02 12:00:00", gmt="2021-03-02 11:00:00"),
        comment(4, "A reply to 2.", parent=2, author="Di", date="2021-03-04 10:00:00", gmt="2021-03-04 09:00:00"),
        comment(5, "Buy pills", approved="spam"),
        comment(6, "Pending", approved="0"),
        comment(7, "Binned", approved="trash"),
        comment(
            8, "A reply to a pending one.", parent=6, author="Ed", date="2021-03-05 10:00:00", gmt="2021-03-05 09:00:00"
        ),
        comment(9, "[…] linked here […]", type="pingback", url="https://other.example/post/"),
        comment(10, "tracked", type="trackback", url="javascript:alert(1)"),
        comment(
            11,
            '<a href="javascript:alert(1)">x</a><script>alert(2)</script> <b>bold</b>',
            author="Mal",
            date="2021-03-06 10:00:00",
            gmt="2021-03-06 09:00:00",
        ),
        comment(12, "order note", type="order_note"),
    ]
)


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "export.xml"
    path.write_text(
        wxr(
            wxr_item(1, "Talked about", extra=THREAD),
            wxr_item(2, "A draft", status="draft", extra=comment(20, "on a draft")),
            wxr_item(
                3,
                "Links",
                content="<p>Body.</p>",
                extra=comment(30, "See https://example.com/2021/03/talked-about/ here"),
            ),
            wxr_item(4, "Readme", slug="readme.md-notes", extra=comment(40, "about the readme")),
        ),
        "utf-8",
    )
    return path


def test_the_approved_comments_of_published_posts_are_written_threaded_in_date_order(tmp_path):
    site = tmp_path / "site"
    result = migrate([_export(tmp_path)], site)
    data = json.loads((site / "comments/2021/03/talked-about.json").read_text())
    assert data["post"] == {"wp_id": 1, "path": "/2021/03/talked-about/"}
    assert [(c["id"], c["parent"], c["depth"]) for c in data["comments"]] == [
        (1, 0, 0),
        (2, 1, 1),
        (4, 2, 2),
        (3, 0, 0),  # top level in date order, each thread under its comment
        (8, 0, 0),  # its parent is not shown: at the top, as WordPress shows orphans
        (11, 0, 0),
    ]
    assert {c["id"]: c["replies"] for c in data["comments"]} == {1: [2], 2: [4], 4: [], 3: [], 8: [], 11: []}
    first = data["comments"][0]
    assert first["author"] == "Ann" and first["author_url"] == "https://ann.example/"
    assert first["date"] == "2021-03-02T10:00:00+01:00" and first["content"] == "First!\n"
    assert data["comments"][-1]["content"] == "x **bold**\n"  # no script, no javascript: link
    assert [(p["id"], p["type"], p["author_url"]) for p in data["pings"]] == [
        (9, "pingback", "https://other.example/post/"),
        (10, "trackback", ""),
    ]
    assert result.plan.comments == {"read": 15, "written": 10}
    assert result.plan.comments_left_out == {
        "spam": 1,
        "awaiting moderation": 1,
        "in the trash": 1,
        "type order_note": 1,
        "its post is not published": 1,
    }
    assert not (site / "comments/2021/03/a-draft.json").exists()
    linked = json.loads((site / "comments/2021/03/links.json").read_text())
    assert linked["comments"][0]["content"] == (  # shown as WordPress showed it, linked to the new site's page
        "See [https://example.com/2021/03/talked-about/](/2021/03/talked-about/) here\n"
    )


def test_no_email_ip_or_unapproved_text_is_written_anywhere(tmp_path):
    site = tmp_path / "site"
    migrate([_export(tmp_path)], site)
    everything = b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())
    for secret in (b"@mail.example", b"198.51.100.", b"Buy pills", b"Pending", b"Binned", b"on a draft"):
        assert secret not in everything, secret
    sample = tmp_path / "sample"
    migrate([SAMPLE], sample)
    everything = b"".join(p.read_bytes() for p in sample.rglob("*") if p.is_file())
    for secret in (b"marta.novak@example.net", b"203.0.113.24", b"198.51.100.7", b"visit my site for offers"):
        assert secret not in everything, secret


def test_no_comments_and_a_mapping_that_leaves_pings_out(tmp_path):
    export = _export(tmp_path)
    none = migrate([export], tmp_path / "none", comments=False)
    assert not (tmp_path / "none/comments").exists()
    assert none.plan.comments == {"read": 15, "written": 0}
    assert none.plan.comments_left_out == {"--no-comments": 14, "its post is not published": 1}
    config = tmp_path / "map.toml"
    config.write_text("[comments]\npings = false\n")
    quiet = migrate([export], tmp_path / "nopings", config=config)
    data = json.loads((tmp_path / "nopings/comments/2021/03/talked-about.json").read_text())
    assert data["pings"] == [] and quiet.plan.comments_left_out["pingback (left out by the mappings)"] == 1


def test_the_export_is_what_remark42_and_isso_read(tmp_path):
    """Isso's importer reads each item's link and title, and of each comment its id, author, email,
    url, IP, GMT date, content, approval and parent (it fails on a missing element); Remark42's the
    item's link and the comment's id, author, GMT date, content, approval and parent."""
    site = tmp_path / "site"
    migrate([_export(tmp_path)], site)
    tree = ET.parse(site / "comments/import.wordpress.xml")
    items = tree.findall("channel/item")
    assert [i.findtext("link") for i in items] == [
        "https://example.com/2021/03/talked-about/",
        "https://example.com/2021/03/links/",
        "https://example.com/2021/03/readme.md-notes/",
    ]
    comments = items[0].findall(f"{WP}comment")
    assert [int(c.findtext(f"{WP}comment_id") or 0) for c in comments] == [1, 2, 3, 4, 8, 9, 10, 11]
    for c in comments:
        for name in ("author", "author_email", "author_url", "author_IP", "date_gmt", "content", "approved", "parent"):
            assert c.find(f"{WP}comment_{name}") is not None, name
        assert not (c.findtext(f"{WP}comment_author_email") or c.findtext(f"{WP}comment_author_IP"))
        assert c.findtext(f"{WP}comment_approved") == "1"
    by_id = {c.findtext(f"{WP}comment_id"): c for c in comments}
    assert by_id["2"].findtext(f"{WP}comment_parent") == "1"
    assert by_id["8"].findtext(f"{WP}comment_parent") == "0"  # shown at the top: its parent is not there
    assert by_id["10"].findtext(f"{WP}comment_author_url") == ""
    assert by_id["1"].findtext(f"{WP}comment_date_gmt") == "2021-03-02 09:00:00"


def test_the_scaffold_shows_them_threaded_with_every_zola(tmp_path, zolas):
    site = tmp_path / "site"
    migrate([_export(tmp_path)], site)
    for zola in zolas:
        built = zola.build(site)
        assert built.returncode == 0, (zola.name, built.stderr[-1500:])
        page = lxml.html.parse(str(site / "public/2021/03/talked-about/index.html")).getroot()
        shown = page.xpath("//section[@class='comments']/article[@class='comment']")
        assert [a.get("id") for a in shown] == [f"comment-{n}" for n in (1, 2, 4, 3, 8, 11)]
        assert [a.get("style") for a in shown][:3] == [f"margin-left: {d}rem" for d in (0, 2, 4)]
        assert shown[0].xpath(".//a")[0].get("href") == "https://ann.example/"
        assert not page.xpath("//section[@class='comments']//script")
        assert [li.get("id") for li in page.xpath("//section[@class='pings']//li")] == ["comment-9", "comment-10"]
        bare = lxml.html.parse(str(site / "public/2021/03/links/index.html")).getroot()
        assert len(bare.xpath("//article[@class='comment']")) == 1 and not bare.xpath("//section[@class='pings']")
        dotted = lxml.html.parse(str(site / "public/2021/03/readme.md-notes/index.html")).getroot()
        assert len(dotted.xpath("//article[@class='comment']")) == 1  # a ".md" inside the slug


_ALLOWED = {"p", "br", "a", "strong", "em", "code", "pre", "blockquote", "del", "ul", "ol", "li", "hr"}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<b>",
                "</b>",
                "<i>",
                "</i>",
                "<a href='javascript:x'>",
                "<a href=https://e.example/>",
                "</a>",
                "<script>",
                "</script>",
                "<img src=x onerror=y>",
                "<q>",
                "</q>",
                "<div>",
                "</div>",
                "\n\n",
                "<",
                ">",
                "&lt;script&gt;",
                "`",
                "*",
                "_",
                "[",
                "](javascript:x)",
                "<!--",
                "-->",
                "&",
                "http://x.example/a_b",
                "<style>",
                "<iframe>",
                "<svg onload=x>",
                "[a[b]]",
                "(javascript:x)",
                '<a href="@/x.md">',
                '<a href="#comment-1">',
                "![i](x.png)",
            ]
        )
        | st.text(max_size=8),
        max_size=25,
    ).map("".join)
)
def test_any_comment_becomes_markdown_that_zola_renders_without_raw_html(text):
    html = pyromark.html(comment_markdown(text), options=pyromark.Options.ENABLE_STRIKETHROUGH)
    if not html.strip():
        return
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    for el in tree.iter():
        if el is tree:
            continue
        assert isinstance(el.tag, str) and el.tag in _ALLOWED, (text, html)
        href = el.get("href", "")
        assert not href.lower().lstrip().startswith(("javascript:", "data:", "vbscript:", "@")), (text, html)


def _safe_html(markdown: str) -> str:
    html = pyromark.html(markdown, options=pyromark.Options.ENABLE_STRIKETHROUGH)
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    assert all(not h.lower().startswith(("javascript:", "@")) for h in tree.xpath("//@href")), html
    return html


def test_what_a_review_found_stays_fixed():
    # nested brackets around a javascript: link once made a working link, through the plain fallback
    assert _safe_html(comment_markdown("[a[b]](javascript:alert(1))")) == "<p>[a[b]](javascript:alert(1))</p>\n"
    # a Zola internal link in a comment would fail the build (the markdown filter cannot resolve it)
    assert comment_markdown('<a href="@/nope.md">x</a>') == "x\n"
    # a bare URL after a link is a link too
    assert "<http://b.example/x>" in comment_markdown('see <a href="http://a.example/">a</a> then http://b.example/x')
    # a link to another comment of the thread points at the post's page
    md = comment_markdown('<a href="#comment-2">@Bob</a> yes', page="/2021/03/p/")
    assert md == "[@Bob](/2021/03/p/#comment-2) yes\n"
    # no raw HTML at all, not even an allowed element's
    assert "<" not in _safe_html(comment_markdown("&lt;é<i>- </b>)")).replace("<p>", "").replace("</p>", "")


def test_parents_in_a_loop_and_repeated_ids_are_shown_not_lost(tmp_path):
    looped = "".join(
        [
            comment(1, "top", date="2021-03-02 10:00:00", gmt="2021-03-02 09:00:00"),
            comment(3, "loop a", parent=4, date="2021-03-03 10:00:00", gmt="2021-03-03 09:00:00"),
            comment(4, "loop b", parent=3, date="2021-03-04 10:00:00", gmt="2021-03-04 09:00:00"),
            comment(5, "self", parent=5, date="2021-03-05 10:00:00", gmt="2021-03-05 09:00:00"),
            comment(5, "same id", date="2021-03-06 10:00:00", gmt="2021-03-06 09:00:00"),
            comment(6, "no GMT date", date="2021-03-07 10:00:00", gmt=""),
        ]
    )
    export = tmp_path / "loop.xml"
    export.write_text(wxr(wxr_item(1, "Looped", extra=looped)), "utf-8")
    site = tmp_path / "site"
    result = migrate([export], site)
    data = json.loads((site / "comments/2021/03/looped.json").read_text())
    assert sorted(c["content"] for c in data["comments"]) == sorted(
        ["top\n", "loop a\n", "loop b\n", "self\n", "same id\n", "no GMT date\n"]
    )
    assert result.plan.comments == {"read": 6, "written": 6} and not result.plan.comments_left_out
    tree = ET.parse(site / "comments/import.wordpress.xml")
    ids = [c.findtext(f"{WP}comment_id") for c in tree.iter(f"{WP}comment")]
    assert sorted(ids) == ["1", "3", "4", "5", "6"]  # each id once: Isso's importer fails on a repeat
    for c in tree.iter(f"{WP}comment"):
        assert len(c.findtext(f"{WP}comment_date_gmt") or "") == 19  # never empty: Isso parses every one
    no_gmt = next(c for c in tree.iter(f"{WP}comment") if c.findtext(f"{WP}comment_id") == "6")
    assert no_gmt.findtext(f"{WP}comment_date_gmt") == "2021-03-07 09:00:00"  # the site's offset, +01:00
