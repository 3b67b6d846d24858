"""Where items go: permalink paths, the inferred structure, file names, several exports as one site."""

from __future__ import annotations

import pytest

from migrate.zola.urls import decode_path, file_for, link_path

from .conftest import WXR_HEAD, migrate, wxr_item


@pytest.mark.parametrize(
    "link,path",
    [
        ("https://example.com/2018/11/26/hello/", "/2018/11/26/hello/"),
        ("https://example.com/blog/about", "/blog/about/"),
        ("https://example.com/%e6%97%a5%e6%9c%ac/", "/日本/"),
        ("http://localhost:8080/a//b/./c/", "/a/b/c/"),
        ("https://example.com/../../etc/passwd", "/etc/passwd/"),
        ("https://example.com/", "/"),
        ("https://example.com/?p=123", None),
        ("https://example.com/blog/?page_id=4", None),
        ("https://example.com/?attachment_id=9", None),
        ("", None),
    ],
)
def test_link_path(link, path):
    assert link_path(link) == path


def test_decode_path_drops_control_characters():
    assert decode_path("/a%00b%0a/c") == "/ab/c/"


@pytest.mark.parametrize(
    "path,file",
    [
        ("/2018/11/hello/", "2018/11/hello.md"),
        ("/", "_index.md"),
        ("/index/", "index-page.md"),
        ("/_index/", "_index-page.md"),
        ("/.hidden/", "hidden.md"),
        ("/2018-11-26-dated/", "p-2018-11-26-dated.md"),
        ('/what?:*"<>|/', "what-------.md"),
        ("/.con/", "con-page.md"),  # a device name on Windows, once the leading dot is gone
        ("/aux.tar.gz/", "aux-page.tar.gz.md"),
        ("/com1/x/", "com1-page/x.md"),
    ],
)
def test_file_for(path, file):
    assert file_for(path) == file


def test_long_names_are_cut_at_a_character_boundary():
    name = file_for("/" + "日" * 200 + "/")
    assert name.endswith(".md") and len(name.encode()) <= 123
    name.encode("utf-8").decode("utf-8")
    assert name != file_for("/" + "日" * 200 + "x/")  # a hash of the whole name tells them apart


def test_structure_is_inferred_for_drafts_and_plain_links(tmp_path, write_export):
    items = [
        wxr_item(
            i,
            f"Post {i}",
            f"post-{i}",
            date=f"2020-0{i}-1{i} 10:00:00",
            date_gmt=f"2020-0{i}-1{i} 09:00:00",
            link=f"https://example.com/archives/2020/0{i}/post-{i}.html",
        )
        for i in range(1, 4)
    ]
    items.append(
        wxr_item(
            9,
            "Unfinished",
            "",
            status="draft",
            date="2020-09-19 10:00:00",
            date_gmt="0000-00-00 00:00:00",
            link="https://example.com/?p=9",
        )
    )
    result = migrate([write_export(*items)], tmp_path / "site", dry_run=True)
    paths = {o.id: o.path for o in result.plan.outcomes}
    assert paths[1] == "/archives/2020/01/post-1/"
    assert paths[9] == "/archives/2020/09/unfinished/"
    page = result.plan.files["content/archives/2020/01/post-1.md"].data.decode()
    assert 'aliases = [\n    "/archives/2020/01/post-1.html",\n    "/wp2zola/p/1/",\n]' in page
    assert result.plan.plain_urls == [("https://example.com/?p=9", "/archives/2020/09/unfinished/")]


def test_several_exports_are_one_site(tmp_path):
    """A site split into files (as `wp export --max_file_size` does): headers repeat, items do not."""
    first = tmp_path / "site.000.xml"
    second = tmp_path / "site.001.xml"
    post = wxr_item(1, "Post", extra='<category domain="category" nicename="news"><![CDATA[News]]></category>')
    first.write_text(WXR_HEAD + post + wxr_item(2, "Second") + "</channel></rss>")
    second.write_text(WXR_HEAD + wxr_item(3, "Third", parent=0) + post + "</channel></rss>")
    result = migrate([first, second], tmp_path / "site", dry_run=True)
    counts = result.plan.counts()
    assert counts == {"read": 4, "written": 3, "draft": 0, "skipped": 1, "warnings": 0}
    skipped = next(o for o in result.plan.outcomes if o.outcome == "skipped")
    assert skipped.source.file == str(second) and skipped.reason.startswith("duplicate: item 1 was read at")


def test_progress_is_reported_to_the_end(tmp_path, write_export):
    seen = []
    migrate(
        [write_export(wxr_item(1, "A"), wxr_item(2, "B"))],
        tmp_path / "s",
        dry_run=True,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (2, 2)


def test_a_draft_child_listed_before_its_draft_parent_gets_the_parent_prefix(tmp_path, write_export):
    child = wxr_item(
        105, "Child", "child", type="page", status="draft", parent=106, link="https://example.com/?page_id=105"
    )
    parent = wxr_item(
        106, "Parent", "parent-draft", type="page", status="draft", link="https://example.com/?page_id=106"
    )
    result = migrate([write_export(child, parent)], tmp_path / "site", dry_run=True)
    assert {o.id: o.path for o in result.plan.outcomes} == {105: "/parent-draft/child/", 106: "/parent-draft/"}


def test_drafts_listed_deepest_first_are_placed_from_the_top_down(tmp_path, write_export):
    """A page's computed path starts with its parent's: a grandchild listed before its parent and
    grandparent still gets the whole chain (the pages are placed by depth, not in export order)."""

    def draft(n: int, slug: str, parent: int = 0) -> str:
        return wxr_item(
            n, slug.title(), slug, type="page", status="draft", parent=parent, link=f"https://example.com/?page_id={n}"
        )

    export = write_export(draft(1, "grandchild", 2), draft(2, "child", 3), draft(3, "top"), draft(4, "other", 1))
    result = migrate([export], tmp_path / "site", dry_run=True)
    assert {o.id: o.path for o in result.plan.outcomes} == {
        1: "/top/child/grandchild/",
        2: "/top/child/",
        3: "/top/",
        4: "/top/child/grandchild/other/",
    }
