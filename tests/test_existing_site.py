"""Migrating into a Zola site of the user's: what it declares and provides is read, and the advice
says exactly what it must add (tests/test_themes.py follows it in real themes and builds)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from migrate.mappings import Mappings
from migrate.zola.existing import ExistingSite, advice, fit_mappings, read_site, renders
from tests.conftest import migrate, wxr, wxr_item

TERMS = (
    '<category domain="category" nicename="news"><![CDATA[News]]></category>'
    '<category domain="post_tag" nicename="rust"><![CDATA[Rust]]></category>'
)


def _site(root: Path, config: str, templates: tuple[str, ...] = (), home: str | None = None) -> Path:
    site = root / "site"
    (site / "templates").mkdir(parents=True)
    for name in templates:
        (site / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "templates" / name).write_text("{{ now() }}")
    (site / "config.toml").write_text(config, "utf-8")
    if home is not None:
        (site / "content").mkdir()
        (site / "content" / "_index.md").write_text(home, "utf-8")
    return site


def _export(root: Path, link: str = "https://example.com") -> Path:
    path = root / "export.xml"
    head = wxr().split("<item>")[0].split("</channel>")[0].replace("https://example.com", link)
    path.write_text(wxr(wxr_item(1, "Post", extra=TERMS), head=head), "utf-8")
    return path


def test_wordpress_taxonomies_go_to_the_names_the_site_declares(tmp_path):
    site = _site(
        tmp_path,
        'base_url = "https://mine.example"\ntaxonomies = [{ name = "tags" }, { name = "categories" }]\n',
        ("taxonomy_list.html", "taxonomy_single.html"),
    )
    result = migrate([_export(tmp_path)], site)
    page = (site / "content/2021/03/post.md").read_text()
    assert 'tags = [\n    "Rust",\n]' in page and 'categories = [\n    "News",\n]' in page
    assert "\ntag = " not in page and "\ncategory = " not in page
    assert result.plan.config_required == [
        'config.toml: set taxonomies = [{ name = "tags" }, { name = "categories" }, { name = "author" }]'
    ]
    redirects = (site / "static/_redirects").read_text()
    assert "/tag/rust/ /tags/rust/ 301" in redirects and "/category/news/ /categories/news/ 301" in redirects


def test_the_users_own_mapping_wins_over_the_sites_names(tmp_path):
    site = _site(tmp_path, 'base_url = "https://mine.example"\ntaxonomies = [{ name = "tags" }]\n')
    config = tmp_path / "map.toml"
    config.write_text('[taxonomies]\npost_tag = "keywords"\n')
    fitted = fit_mappings(Mappings.load(config), read_site(site))
    assert fitted.taxonomy("post_tag") == "keywords" and fitted.taxonomy("category") == "category"
    assert fit_mappings(Mappings.load(), read_site(site)).taxonomy("post_tag") == "tags"
    config.write_text('[taxonomies]\npost_tag = "tag"\n')  # the default, but said: the user's choice
    assert fit_mappings(Mappings.load(config), read_site(site)).taxonomy("post_tag") == "tag"


def test_a_taxonomy_the_theme_cannot_show_is_advised_without_pages_and_its_archives_lead_home(tmp_path):
    site = _site(
        tmp_path,
        'base_url = "https://mine.example"\ntitle = "Mine"\n\n[extra]\nx = 1\n',
        ("tags/list.html", "tags/single.html", "category/list.html"),  # no category/single.html
    )
    export = tmp_path / "export.xml"
    export.write_text(
        wxr(
            wxr_item(1, "Post", extra=TERMS),
            wxr_item(2, "Links", content='<p><a href="https://example.com/category/news/">news</a></p>'),
        )
    )
    result = migrate([export], site)
    (line,) = result.plan.config_required
    assert line.startswith(
        'config.toml: set taxonomies = [{ name = "author", render = false }, { name = "category", render = false }, '
        '{ name = "tags" }] at its top level (above its first [table]) (no templates for the pages '
        "of author, category in"
    )  # the theme shows `tags`, so WordPress's tags go there although the config does not say it yet
    linking = (site / "content/2021/03/links.md").read_text()
    assert "[news](/)" in linking  # the archive has no page here: the home has its posts
    assert "/category/news/ / 301" in (site / "static/_redirects").read_text()


def test_a_declared_taxonomy_without_templates_is_turned_off_in_the_advice(tmp_path):
    site = ExistingSite(config={"taxonomies": [{"name": "tag", "feed": True}, {"name": "series"}]})
    assert advice(site, ["tag"], []) == [
        'config.toml: set taxonomies = [{ name = "tag", feed = true, render = false }, { name = "series" }] '
        "(no templates for the pages of tag in the site or its theme — NAME/list.html and NAME/single.html, or "
        "taxonomy_list.html and taxonomy_single.html — so render = false: the terms stay in each page's front "
        "matter, and their old archive URLs lead to the home page)"
    ]
    done = ExistingSite(config={"taxonomies": [{"name": "tag", "render": False}]}, templates=frozenset({"page.html"}))
    assert advice(done, ["tag"], []) == []
    assert tomllib.loads("t = " + advice(site, ["tag"], [])[0].split(" = ", 1)[1].split(" (")[0])


def test_what_the_advice_says_is_what_renders_decides(tmp_path):
    site = _site(
        tmp_path,
        'base_url = "https://mine.example"\ntaxonomies = [{ name = "tags", render = false }]\n',
        ("taxonomy_list.html", "taxonomy_single.html"),
    )
    fitted = fit_mappings(Mappings.load(), read_site(site))
    assert not renders(fitted, "tags") and renders(fitted, "category")
    assert renders(Mappings.load(), "anything")  # a site wp2zola makes has templates for every taxonomy


def test_zola_toml_is_read_and_named_in_the_advice(tmp_path):
    site = tmp_path / "site"
    (site / "templates").mkdir(parents=True)
    (site / "zola.toml").write_text('base_url = "https://mine.example"\ntaxonomies = [{ name = "tags" }]\n')
    result = migrate([_export(tmp_path)], site)
    assert result.plan.config_required[0].startswith('zola.toml: set taxonomies = [{ name = "tags"')
    assert not (site / "config.toml").exists()


def test_the_home_section_of_the_site_is_told_to_sort_by_date_in_either_front_matter(tmp_path):
    for home, told in (
        ('+++\ntitle = "Home"\n+++\n', True),
        ('+++\ntitle = "Home"\nsort_by = "date"\n+++\n', False),
        ("---\ntitle: Home\n---\n", True),
        ("---\ntitle: Home\nsort_by: date\n---\n", False),
    ):
        root = tmp_path / str(len(list(tmp_path.iterdir())))
        site = _site(root, 'base_url = "https://mine.example"\n', home=home)
        lines = migrate([_export(root)], site).plan.config_required
        said = 'content/_index.md: add sort_by = "date" to its front matter' in "\n".join(lines)
        assert said == told, home
        assert (site / "content/_index.md").read_text() == home


def test_a_sub_directory_install_is_sorted_by_its_own_section(tmp_path):
    site = _site(tmp_path, 'base_url = "https://mine.example"\n', home='+++\ntitle = "Home"\n+++\n')
    (site / "content" / "blog").mkdir()
    (site / "content" / "blog" / "_index.md").write_text('+++\ntitle = "Blog"\n+++\n')
    lines = migrate([_export(tmp_path, "https://example.com/blog")], site).plan.config_required
    assert [line for line in lines if "sort_by" in line] == [
        'content/blog/_index.md: add sort_by = "date" to its front matter (its posts are listed in no order without it)'
    ]


def test_an_unreadable_config_is_said_and_a_missing_templates_folder_too(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "config.toml").write_text("base_url = \n")
    lines = migrate([_export(tmp_path)], site).plan.config_required
    assert lines[0].startswith(f"{site / 'config.toml'}: cannot be read (")
    assert lines[-1].startswith("templates/: make this folder")
    assert (site / "config.toml").read_text() == "base_url = \n"


def test_the_sites_taxonomy_root_and_slugify_setting_are_read(tmp_path):
    site = _site(
        tmp_path,
        'base_url = "https://mine.example"\ntaxonomy_root = "blog"\ntaxonomies = [{ name = "tags" }]\n\n'
        '[slugify]\ntaxonomies = "safe"\n',
        ("taxonomy_list.html", "taxonomy_single.html"),
    )
    result = migrate([_export(tmp_path)], site)
    assert "/tag/rust/ /blog/tags/rust/ 301" in (site / "static/_redirects").read_text()
    assert any('slugify.taxonomies = "safe"' in str(n) for n in result.plan.notices)


def test_the_advice_and_the_urls_follow_one_rule_of_templates(tmp_path):
    """Zola takes `NAME/list.html` or `taxonomy_list.html`, and `NAME/single.html` or
    `taxonomy_single.html`: a mix of the two kinds gives pages, so no render = false, and the old
    archive URLs lead to the term pages, not home."""
    site = _site(
        tmp_path,
        'base_url = "https://mine.example"\ntaxonomies = [{ name = "tags" }, { name = "category" }, { name = "author" }]\n',
        ("tags/list.html", "taxonomy_single.html", "category/list.html", "author/list.html"),
    )
    result = migrate([_export(tmp_path)], site)
    assert result.plan.config_required == []
    redirects = (site / "static/_redirects").read_text()
    assert "/tag/rust/ /tags/rust/ 301" in redirects and "/category/news/ /category/news/" not in redirects
