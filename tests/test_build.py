"""Integration: migrated sites build with real Zola (0.17.2, and 0.22.0 where it can run), URLs kept."""

from __future__ import annotations

import html
import re
import shutil

from migrate.media.options import MediaOptions

from .conftest import SAMPLES, WXR_HEAD, migrate, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"


def build(zola, site, tmp_path):
    """Build a copy of the site (each Zola gets its own, so one's output cannot hide the other's)."""
    copy = tmp_path / f"build-{zola.name.replace(' ', '-')}"
    shutil.copytree(site, copy)
    result = zola.build(copy)
    assert result.returncode == 0, f"{zola.name} failed:\n{result.stdout}\n{result.stderr}"
    return copy / "public"


def test_samples_build_and_keep_every_url(tmp_path, zolas):
    site = tmp_path / "site"
    migrate([SAMPLE], site)
    for zola in zolas:
        public = build(zola, site, tmp_path)
        post = (public / "blog/2023/05/03/tom-jerrys-telescope/index.html").read_text()
        assert "Tom &amp; Jerry’s telescope" in post
        assert "for eyepiece_mm in (25, 12, 6):" in html.unescape(post)
        for url in (
            "blog/about",
            "blog/about/team",
            "blog/contact",
            "blog/2023/04/12/first-light",
            "blog/2023/06/18/why-we-still-sketch-at-the-eyepiece",
            "blog/2023/08/28/saturn-at-opposition",
        ):
            assert (public / url / "index.html").is_file(), url
        alias = (public / "blog/2023/08/28/saturn-opposition-2023/index.html").read_text()
        assert "https://example.org/blog/2023/08/28/saturn-at-opposition/" in alias  # old slug redirects
        home = (public / "blog/index.html").read_text()
        assert "First Light" in home and "About" not in home.split("<main>")[1]
        assert (public / "category/field-notes/index.html").is_file()
        assert (public / "author/alice-martin/index.html").is_file()
        assert (public / "genre/essay/index.html").is_file()
        # drafts, private, scheduled: not published
        assert not (public / "blog/2023/07/05/equipment-loan-register/index.html").exists()
        assert not (public / "blog/2023/09/14/light-pollution-survey-first-results/index.html").exists()


def test_drafts_build_with_drafts_flag(tmp_path, zola017):
    site = tmp_path / "site"
    migrate([SAMPLE], site)
    result = zola017.build(site, "--drafts")
    assert result.returncode == 0, result.stderr
    assert (site / "public/blog/2023/09/14/light-pollution-survey-first-results/index.html").is_file()


def test_template_syntax_in_content_shows_literally(tmp_path, write_export, zolas):
    body = (
        "<p>Text {{ foo() }} and {% raw %} and {{ user.name }}.</p>"
        "<p>Inline <code>{{ bar(x=1) }}</code> and {%- if x -%} and {{{triple}}}.</p>"
        '<pre><code class="language-jinja">{% for x in y %}\n  {{ x }}\n{% endfor %}</code></pre>'
    )
    export = write_export(
        wxr_item(1, "Braces {{ title() }} {% x %}", "braces", content=body, excerpt="About {{ foo() }}")
    )
    site = tmp_path / "site"
    migrate([export], site)
    page = (site / "content/2021/03/braces.md").read_bytes()
    assert b"{{" not in page and b"{%" not in page
    for zola in zolas:
        public = build(zola, site, tmp_path)
        shown = html.unescape((public / "2021/03/braces/index.html").read_text())
        for text in [
            "{{ foo() }}",
            "{% raw %}",
            "{{ user.name }}",
            "{{ bar(x=1) }}",
            "{%- if x -%}",
            "{{{triple}}}",
            "{% for x in y %}\n  {{ x }}\n{% endfor %}",
            "Braces {{ title() }} {% x %}",
        ]:
            assert text in shown, (zola.name, text)


def test_collisions_both_survive_and_build(tmp_path, write_export, zolas):
    export = write_export(
        wxr_item(1, "Same", "same", type="page", link="https://example.com/same/"),
        wxr_item(2, "Same too", "same", type="page", link="https://example.com/same/"),
        wxr_item(3, "Case", "Case", type="page", link="https://example.com/Case/"),
        wxr_item(4, "case", "case", type="page", link="https://example.com/case/"),
    )
    site = tmp_path / "site"
    result = migrate([export], site)
    paths = sorted(o.path for o in result.plan.outcomes)
    assert paths == ["/Case/", "/case-4/", "/same-2/", "/same/"]
    assert sum("is taken by" in n.message for n in result.plan.notices) == 2
    for zola in zolas:
        public = build(zola, site, tmp_path)
        assert "Same too" in (public / "same-2/index.html").read_text()


def test_front_page_and_subdirectory_install(tmp_path, write_export, zolas):
    head_blog = WXR_HEAD.replace("<link>https://example.com</link>", "<link>https://example.com/blog</link>")
    export = write_export(
        wxr_item(1, "Welcome", "welcome", type="page", link="https://example.com/blog/", content="<p>Hello front.</p>"),
        wxr_item(2, "Post", "post", link="https://example.com/blog/2021/03/post/"),
        head=head_blog,
    )
    site = tmp_path / "site"
    result = migrate([export], site)
    front = next(o for o in result.plan.outcomes if o.id == 1)
    assert front.outcome == "written" and front.file == "content/blog/_index.md"
    for zola in zolas:
        public = build(zola, site, tmp_path)
        home = (public / "blog/index.html").read_text()
        assert "Hello front." in home and "Post" in home
        assert (public / "blog/2021/03/post/index.html").is_file()


def test_redirects_land_where_they_should_after_a_build(tmp_path, zolas):
    """Static redirect pages point at pages and files the built site has, and none replaced a page."""
    site = tmp_path / "site"
    migrate([SAMPLE], site)
    for zola in zolas:
        public = build(zola, site, tmp_path)
        for old, new in (
            ("blog/tag/astronomy", "/tag/astronomy/"),  # a sub-directory install's term archive
            ("blog/category/field-notes/night-sky", "/category/night-sky/"),  # a child category
            ("blog/2023/04/12/first-light/moon", "/blog/wp-content/uploads/2023/04/moon.jpg"),  # an attachment page
            ("wp2zola/p/10", "/blog/2023/04/12/first-light/"),  # where ?p=10 lands: the post's alias
        ):
            page = (public / old / "index.html").read_text()
            # a static page of ours names the path; an alias page of Zola's the whole URL
            assert re.search(f'content="0; ?url=(https?://[^/"]+)?{re.escape(new)}"', page), old
            assert (public / new.strip("/")).exists() or (public / new.strip("/") / "index.html").is_file(), new
        assert "First Light" in (public / "blog/2023/04/12/first-light/index.html").read_text()
        rules = (public / "_redirects").read_text()
        assert "/blog/tag/astronomy/ /tag/astronomy/ 301" in rules


def test_page_bundles_build_with_their_own_files(tmp_path, zolas):
    """--bundles: the post the image was uploaded to becomes first-light/index.md beside moon-1024x683.jpg."""
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=MediaOptions(download=False, uploads_dir=SAMPLES / "uploads", bundles=True))
    bundle = site / "content/blog/2023/04/12/first-light"
    assert sorted(p.name for p in bundle.iterdir()) == ["index.md", "moon-1024x683.jpg", "moon.jpg"]
    assert "](moon-1024x683.jpg)" in (bundle / "index.md").read_text()
    assert not (site / "content/blog/2023/04/12/first-light.md").exists()
    assert not (site / "static/blog/wp-content/uploads/2023/04/moon.jpg").exists()
    nginx = (site / "redirects/nginx-http.conf").read_text()  # old upload URLs redirect to the bundle
    assert '"/blog/wp-content/uploads/2023/04/moon.jpg" "/blog/2023/04/12/first-light/moon.jpg";' in nginx
    for zola in zolas:
        public = build(zola, site, tmp_path)
        post = public / "blog/2023/04/12/first-light"
        assert (post / "moon-1024x683.jpg").is_file() and (post / "moon.jpg").is_file()
        assert "/blog/2023/04/12/first-light/moon-1024x683.jpg" in (post / "index.html").read_text()
