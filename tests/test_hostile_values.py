"""Values from the export that would break `zola build` (issue 7): each is planned so the site builds,
renamed or shortened deterministically, or kept out with a notice naming the item."""

from __future__ import annotations

import shutil
import time
import tomllib
import unicodedata

import pytest

from migrate.mappings import Mappings
from migrate.pipeline import plan_site
from migrate.zola.redirects import PATH, QUERY, Redirect, redirect_files

from .conftest import migrate, wxr_item

WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


def build(zola, site, tmp_path):
    copy = tmp_path / f"build-{zola.name.replace(' ', '-')}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy)
    result = zola.build(copy)
    assert result.returncode == 0, f"{zola.name} failed:\n{result.stdout}\n{result.stderr}"
    return copy / "public"


def front(plan, file):
    text = plan.files[file].data.decode()
    return tomllib.loads(text[4:].partition("+++\n")[0])


def messages(plan, item_id):
    return [n.message for n in plan.notices if n.item_id == item_id]


def page_at(public, path):
    return (public / path.strip("/") / "index.html").read_text()


def test_integers_beyond_64_bits_are_written_as_strings(tmp_path, write_export, zolas):
    huge = int("9" * 400)
    export = write_export(
        wxr_item(
            2**63,
            "Past i64",
            "past",
            type="page",
            parent=2**64,
            extra="<wp:menu_order>-1180591620717411303424</wp:menu_order>",
        ),
        wxr_item(2**63 - 1, "Edge", "edge", type="page", parent=-(2**63), extra="<wp:menu_order>-3</wp:menu_order>"),
        wxr_item(5, "Same", "same", type="page"),
        wxr_item(huge, "Same too", "same", type="page"),
    )
    site = tmp_path / "site"
    result = migrate([export], site)
    plan = result.plan
    past = front(plan, "content/past.md")["extra"]
    assert (past["wp_id"], past["wp_parent"], past["wp_menu_order"]) == (
        "9223372036854775808",
        "18446744073709551616",
        "-1180591620717411303424",
    )
    assert "wp_id, wp_parent, wp_menu_order beyond 64 bits: written as a string" in messages(plan, 2**63)
    edge = front(plan, "content/edge.md")["extra"]
    assert (edge["wp_id"], edge["wp_parent"], edge["wp_menu_order"]) == (2**63 - 1, -(2**63), -3)
    assert messages(plan, 2**63 - 1) == []
    # the 400-digit id tells its URL and file apart by a hash, and gets no ?p= folder of 400 digits
    other = next(o for o in plan.outcomes if o.id == huge)
    assert other.path.startswith("/same-id-") and len(other.path) < 30 and other.file.startswith("content/same-id-")
    assert all(len(s.encode()) <= 255 for f in plan.files for s in f.split("/"))
    assert front(plan, other.file)["extra"]["wp_id"] == "9" * 400
    for zola in zolas:
        public = build(zola, site, tmp_path)
        assert "Past i64" in page_at(public, "/past/") and "Same too" in page_at(public, other.path)
        assert "Edge" in page_at(public, "/edge/")


def _term(domain, slug, name):
    return f'<category domain="{domain}" nicename="{slug}"><![CDATA[{name}]]></category>'


def test_taxonomies_that_slug_alike_are_one_and_empty_or_reserved_slugs_are_not_written(tmp_path, write_export, zolas):
    export = write_export(
        wxr_item(
            1,
            "Tagged",
            "tagged",
            extra=_term("Genre", "x", "X")
            + _term("genre", "y", "Y")
            + _term("galaxy_shape", "spiral", "Spiral")
            + _term("!!!", "q", "Q")
            + _term("post_tag", "aux", "AUX"),
        ),
        wxr_item(2, "Other", "other", extra=_term("genre", "x", "x")),
    )
    site = tmp_path / "site"
    plan = migrate([export], site).plan
    assert plan.taxonomies == ["author", "galaxy-shape", "genre", "tag"]
    config = tomllib.loads((site / "config.toml").read_text())
    assert [t["name"] for t in config["taxonomies"]] == plan.taxonomies
    terms = front(plan, "content/2021/03/tagged.md")["taxonomies"]
    assert terms == {"genre": ["X", "Y"], "galaxy-shape": ["Spiral"], "tag": ["AUX (tag)"], "author": ["Alice Liddell"]}
    assert messages(plan, 1) == ["term 'Q' of taxonomy '!!!' dropped: Zola would give it an empty URL"]
    moved = {(r.old, r.new) for r in plan.redirects if r.kind == "path"}
    assert {
        ("/galaxy_shape/spiral/", "/galaxy-shape/spiral/"),
        ("/Genre/x/", "/genre/x/"),
        ("/tag/aux/", "/tag/aux-tag/"),
    } <= moved
    for zola in zolas:
        public = build(zola, site, tmp_path)
        assert "Tagged" in page_at(public, "/genre/x/") and "Other" in page_at(public, "/genre/x/")
        assert "Tagged" in page_at(public, "/genre/y/") and "Tagged" in page_at(public, "/galaxy-shape/spiral/")
        assert "Tagged" in page_at(public, "/tag/aux-tag/")
        assert "Test Site" in (public / "index.html").read_text()  # the home page, not a taxonomy list


ZOLA_WRITES = [
    "sitemap.xml",
    "robots.txt",
    "rss.xml",
    "atom.xml",
    "search_index.en.js",
    "elasticlunr.min.js",
    "processed_images/x",
    "Sitemap.XML",
]


def test_pages_at_paths_zola_writes_itself_move_beside_them(tmp_path, write_export, zolas):
    items = [
        wxr_item(10 + i, f"Reserved {i}", f"r{i}", type="page", link=f"https://example.com/{url}")
        for i, url in enumerate(ZOLA_WRITES)
    ]
    items += [
        wxr_item(30, "Not found", "404", type="page", link="https://example.com/404.html"),
        wxr_item(31, "Tag list", "tag", type="page", link="https://example.com/tag/"),
        wxr_item(32, "Deeper", "sitemap-xml", type="page", link="https://example.com/deeper/sitemap.xml/"),
        wxr_item(33, "Tagged", "tagged", extra=_term("post_tag", "t", "T")),
        wxr_item(34, "Index", "index", type="page", link="https://example.com/index.html"),
        wxr_item(35, "Sub index", "index", type="page", link="https://example.com/deeper/index.html"),
        wxr_item(36, "Deeper home", "deeper", type="page", link="https://example.com/deeper/"),
    ]
    site = tmp_path / "site"
    plan = migrate([write_export(*items)], site).plan
    paths = {o.id: o.path for o in plan.outcomes}
    assert [paths[10 + i] for i in range(len(ZOLA_WRITES))] == [
        "/sitemap-page.xml/",
        "/robots-page.txt/",
        "/rss-page.xml/",
        "/atom-page.xml/",
        "/search_index-page.en.js/",
        "/elasticlunr-page.min.js/",
        "/processed_images-page/x/",
        "/Sitemap-page.XML-17/",  # two spellings of one name on a case-insensitive system
    ]
    assert messages(plan, 10) == [
        "URL /sitemap.xml/ cannot be kept (Zola writes /sitemap.xml itself); this item gets /sitemap-page.xml/"
    ]
    assert paths[30] == "/404/" and front(plan, "content/404.md").get("aliases") == ["/wp2zola/p/30/"]
    assert messages(plan, 30) == ["old URL /404.html cannot be an alias (Zola writes /404.html itself); no alias made"]
    assert paths[31] == "/tag-31/" and paths[32] == "/deeper/sitemap.xml/"
    assert messages(plan, 34) == ["old URL /index.html is the page at /; no alias made"]  # the home page's file
    assert messages(plan, 35) == ["old URL /deeper/index.html is the page at /deeper; no alias made"]
    for zola in zolas:
        public = build(zola, site, tmp_path)
        assert (public / "sitemap.xml").read_text().startswith("<?xml")
        assert "Sitemap" in (public / "robots.txt").read_text()
        assert "refresh" not in (public / "404.html").read_text()
        for i in range(len(ZOLA_WRITES)):
            assert f"Reserved {i}" in page_at(public, paths[10 + i])
        assert "Not found" in page_at(public, "/404/") and "Tag list" in page_at(public, "/tag-31/")
        assert "Deeper" in page_at(public, "/deeper/sitemap.xml/")
        assert "Deeper home" in page_at(public, "/deeper/") and "Test Site" in (public / "index.html").read_text()


def test_names_over_255_bytes_keep_a_prefix_and_a_hash(tmp_path, write_export, zolas):
    old = "c" * 300
    items = [
        wxr_item(1, "Long", "a" * 300, type="page"),
        wxr_item(2, "Long too", "a" * 300 + "b", type="page"),
        wxr_item(3, "Wide", "é" * 200, type="page", link="https://example.com/" + "%C3%A9" * 200 + "/"),
        wxr_item(
            4,
            "Renamed",
            "short",
            extra=f"<wp:postmeta><wp:meta_key>_wp_old_slug</wp:meta_key><wp:meta_value>{old}</wp:meta_value></wp:postmeta>",
        ),
    ]
    export = write_export(*items)
    site = tmp_path / "site"
    plan = migrate([export], site).plan
    again = plan_site([export], Mappings.load())
    paths = {o.id: o.path for o in plan.outcomes}
    assert paths == {o.id: o.path for o in again.outcomes}  # deterministic
    assert (
        paths[1] != paths[2]
        and paths[1].startswith("/" + "a" * 180 + "-")
        and paths[2].startswith("/" + "a" * 180 + "-")
    )
    assert paths[3].startswith("/" + "é" * 90 + "-")
    for o in plan.outcomes:
        assert all(len(s.encode()) <= 255 for s in o.path.split("/") + o.file.split("/")), o.id
    assert len({o.file for o in plan.outcomes}) == 4
    assert messages(plan, 4) == [
        f"old URL /2021/03/{old}/ cannot be an alias (a name is longer than 255 bytes); no alias made"
    ]
    for zola in zolas:
        public = build(zola, site, tmp_path)
        for o in plan.outcomes:
            assert o.title in page_at(public, o.path)


WINDOWS_LINKS = {
    1: "a%5Cb/",
    2: "c:d/",
    3: "con/",
    4: "aux.html",
    5: "nul.md/",
    6: "LPT1/",
    7: "trail./",
    8: "space%20/",
    9: "Case/",
    10: "case/",
    11: "caf%C3%A9/",
    12: "cafe%CC%81/",
    13: "com1.txt/",
}


def test_paths_build_on_windows_and_case_insensitive_file_systems(tmp_path, write_export, zolas):
    items = [
        wxr_item(i, f"Page {i}", f"p{i}", type="page", link=f"https://example.com/{url}")
        for i, url in WINDOWS_LINKS.items()
    ]
    links = '<p><a href="https://example.com/con/">con</a> <a href="/c:d/">cd</a> <a href="/aux.html">aux</a></p>'
    items.append(wxr_item(20, "Links", "links", content=links))
    site = tmp_path / "site"
    plan = migrate([write_export(*items)], site).plan
    placed = [o for o in plan.outcomes if o.path]
    paths = {o.id: o.path for o in placed}
    assert [paths[i] for i in WINDOWS_LINKS] == [
        "/a-b/",
        "/c-d/",
        "/con-page/",
        "/aux-page/",
        "/nul-page.md/",
        "/LPT1-page/",
        "/trail/",
        "/space/",
        "/Case/",
        "/case-10/",
        "/café/",
        "/café-12/",
        "/com1-page.txt/",
    ]
    assert "old URL /aux.html cannot be an alias ('aux.html' is a device name on Windows); no alias made" in messages(
        plan, 4
    )
    names = set()
    for o in placed:
        fm = front(plan, o.file)
        for path in [fm["path"], *fm.get("aliases", []), o.file.removeprefix("content/")]:
            for segment in filter(None, path.split("/")):
                assert "\\" not in segment and ":" not in segment and segment == segment.rstrip(" ."), path
                assert segment.split(".")[0].casefold() not in WINDOWS_DEVICES, path
        for name in (fm["path"], o.file):
            names.add(unicodedata.normalize("NFC", name.casefold()))
    assert len(names) == 2 * len(placed)  # no two alike without case or normalisation
    moved = {(r.old, r.new) for r in plan.redirects}
    for old, new in (("/a\\b/", "/a-b/"), ("/c:d/", "/c-d/"), ("/aux.html", "/aux-page/"), ("/con/", "/con-page/")):
        assert (old, new) in moved, old  # servers still send the old URLs no alias could keep to the new pages
    assert "/c:d/" in plan.files["redirects/nginx-http.conf"].data.decode()
    body = plan.files["content/2021/03/links.md"].data.decode()
    assert "[con](@/con-page.md)" in body and "[cd](@/c-d.md)" in body and "[aux](@/aux-page.md)" in body
    for zola in zolas:
        public = build(zola, site, tmp_path)
        for o in placed:
            assert o.title in page_at(public, o.path)


def _deep_site(tmp_path, write_export, n):
    deep = "/".join(f"s{i}" for i in range(n))
    paged = "/".join(["page/2"] * n)
    export = write_export(
        wxr_item(1, "Deep", "deep", link=f"https://example.com/{deep}/deep/"),
        wxr_item(
            2, "Links", "links", content=f'<p><a href="/{deep}/deep/">deep</a> <a href="/x/{paged}/">paged</a></p>'
        ),
        name=f"deep-{n}.xml",
    )
    site = tmp_path / f"site-{n}"
    start = time.perf_counter()
    result = migrate([export], site)
    return time.perf_counter() - start, result.plan, site


def test_a_2000_segment_permalink_is_linear_and_builds(tmp_path, write_export, zola017):
    n = 500
    small = min(_deep_site(tmp_path / "a", write_export, n)[0] for _ in range(2))
    times, plan, site = zip(*(_deep_site(tmp_path / "b", write_export, 4 * n) for _ in range(2)), strict=True)
    assert min(times) < 8 * small, (small, times)  # quadratic would be 16×
    plan, site = plan[0], site[0]
    deep = next(o for o in plan.outcomes if o.id == 1)
    assert deep.path.count("/") <= 33 and deep.path.startswith("/s0/s1/") and "/deep-" in deep.path
    assert any(m.startswith("URL /s0/s1/s2/s3/") and "2001 folders deep" in m for m in messages(plan, 1))
    assert messages(plan, 2) == []  # the 2,000 `page/2` link is resolved (unknown), not a conversion failure
    body = plan.files["content/2021/03/links.md"].data.decode()
    assert f"[deep](@/{deep.file.removeprefix('content/')})" in body
    public = build(zola017, site, tmp_path)
    assert "Deep" in page_at(public, deep.path)


@pytest.mark.parametrize("suffix", ["comment-page-2/", "2/comment-page-2/feed/"])
def test_a_url_with_a_few_suffixes_still_resolves(tmp_path, write_export, suffix):
    """The bound on feed/page suffixes keeps what WordPress itself reads: a feed of a paged comment page."""
    export = write_export(
        wxr_item(1, "Target", "target"),
        wxr_item(2, "Links", "links", content=f'<p><a href="/2021/03/target/{suffix}">t</a></p>'),
    )
    plan = plan_site([export], Mappings.load())
    body = plan.files["content/2021/03/links.md"].data.decode()
    assert "(/2021/03/target/)" in body or "(@/2021/03/target.md)" in body


def test_static_redirect_pages_are_folders_every_system_takes():
    redirects = [
        Redirect(PATH, "/Old/", "/new/"),
        Redirect(PATH, "/old/", "/new-too/"),  # the same folder on Windows and macOS: the first is kept
        Redirect(PATH, "/con/", "/new/"),
        Redirect(PATH, "/a:b/", "/new/"),
        Redirect(PATH, "/sitemap.xml/", "/new/"),
        Redirect(PATH, "/" + "x" * 300 + "/", "/new/"),
        Redirect(QUERY, "p=" + "9" * 300, "/new/"),
        Redirect(QUERY, "p=12", "/new/"),
    ]
    pages = [f for f, _ in redirect_files(redirects, set()) if f.endswith("index.html")]
    assert pages == ["static/Old/index.html", "static/wp2zola/p/12/index.html"]
