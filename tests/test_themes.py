"""Into a real Zola site with a real theme (../shared/themes): migrate, follow the printed advice as a
user would, and build with every Zola this machine runs.

Each site is made as the theme's README says (`theme = "NAME"`, the theme in `themes/NAME/`, the
`tags` taxonomy it documents), with a home section of the user's own that says no `sort_by`.
A theme that does not build with a Zola even without our content is skipped for that Zola, and the
skip says the theme's own error.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from migrate.pipeline import migrate as _migrate
from tests.conftest import CORPUS, OFFLINE, SAMPLES, SHARED, wxr, wxr_item

THEMES = SHARED / "themes"
THEME_NAMES = sorted(p.name for p in THEMES.iterdir() if (p / "theme.toml").is_file()) if THEMES.is_dir() else []
ROOT_INSTALL = CORPUS / "ttd-themeunittestdata.xml"  # a site at its domain's root: its home lists the posts

pytestmark = pytest.mark.skipif(not THEME_NAMES, reason="../shared/themes is not here")


def _theme_site(root: Path, theme: str) -> Path:
    site = root / theme
    (site / "themes").mkdir(parents=True)
    shutil.copytree(THEMES / theme, site / "themes" / theme)
    (site / "templates").mkdir()
    (site / "content").mkdir()
    (site / "config.toml").write_text(
        f'base_url = "https://mine.example"\ntitle = "My site"\ntheme = "{theme}"\ncompile_sass = true\n'
        'taxonomies = [{ name = "tags", feed = true }]\n\n[extra]\n',
        "utf-8",
    )
    (site / "content" / "_index.md").write_text('+++\ntitle = "Home"\n+++\n', "utf-8")
    return site


def follow(site: Path, advice: list[str]) -> None:
    """Do what each advice line says, literally; a line this cannot follow fails the test."""
    for line in advice:
        m = re.fullmatch(r"(config\.toml|zola\.toml): set (taxonomies = \[.*?\])(?: at its top level.*| \(.*\))?", line)
        if m:
            config = site / m.group(1)
            text = config.read_text("utf-8")
            pasted = m.group(2)
            old = re.search(r"(?m)^taxonomies\s*=.*$", text)
            if old:
                text = text[: old.start()] + pasted + text[old.end() :]
            else:
                text = pasted + "\n" + text
            config.write_text(text, "utf-8")
            tomllib.loads(text)  # what the user pasted is TOML
            continue
        m = re.fullmatch(r'content/(\S+): add (sort_by = "date") to its front matter.*', line)
        if m:
            section = site / "content" / m.group(1)
            section.write_text(section.read_text("utf-8").replace("+++\n", f"+++\n{m.group(2)}\n", 1), "utf-8")
            continue
        if line.startswith("templates/: make this folder"):
            (site / "templates").mkdir(exist_ok=True)
            continue
        raise AssertionError(f"advice a user cannot follow as printed: {line}")


def _exports() -> list[Path]:
    exports = [SAMPLES / "example-blog.wordpress.xml"]
    return exports + ([ROOT_INSTALL] if ROOT_INSTALL.is_file() else [])


@pytest.mark.parametrize("theme", THEME_NAMES)
def test_a_migrated_site_builds_in_a_real_theme_once_the_advice_is_followed(tmp_path, zolas, theme):
    for zola in zolas:
        bare = _theme_site(tmp_path / f"bare-{zola.name}", theme)
        before = zola.build(bare)
        if before.returncode != 0:  # the theme's own limit with this Zola, shown: not ours
            error = " / ".join(line.strip() for line in before.stderr.splitlines()[-4:])
            assert not (bare / "public").exists() or not list((bare / "public").rglob("*.md"))
            print(f"{theme} does not build with {zola.name} even without content: {error}")
            continue
        for export in _exports():
            site = _theme_site(tmp_path / f"{zola.name}-{export.stem}", theme)
            result = _migrate([export], site, media=OFFLINE)
            advice = result.plan.config_required
            follow(site, advice)
            print(f"{theme}, {zola.name}, {export.name}: advice followed: {advice}")
            built = zola.build(site)
            assert built.returncode == 0, (theme, zola.name, export.name, advice, built.stderr[-2000:])
            config = tomllib.loads((site / "config.toml").read_text("utf-8"))
            declared = {t["name"]: t for t in config["taxonomies"]}
            assert "tags" in declared and "tag" not in declared  # WordPress's post_tag went to the theme's tags
            assert not (site / "templates" / "page.html").exists()  # the theme's templates, not ours
            if export == ROOT_INSTALL:  # the user's own home section lists the posts: now by date
                assert 'sort_by = "date"' in (site / "content" / "_index.md").read_text("utf-8")
                assert any("sort_by" in line for line in advice)
            public = site / "public"
            for name, entry in declared.items():
                listed = public / name / "index.html"
                assert listed.is_file() == (entry.get("render") is not False), (name, theme)
            redirects = (site / "static" / "_redirects").read_text("utf-8")
            if export.name == "example-blog.wordpress.xml":  # its posts are tagged "astronomy"
                assert (public / "tags" / "astronomy" / "index.html").is_file()
                assert "/blog/tag/astronomy/ /tags/astronomy/ 301" in redirects


def test_the_sample_into_each_theme_is_advised_what_the_theme_lacks(tmp_path):
    """terminimal has templates for `tags` only; tabi has the generic taxonomy templates."""
    advice = {}
    for theme in THEME_NAMES:
        site = _theme_site(tmp_path, theme)
        advice[theme] = _migrate([SAMPLES / "example-blog.wordpress.xml"], site, media=OFFLINE).plan.config_required
    if "terminimal" in advice:
        assert advice["terminimal"][0].startswith(
            'config.toml: set taxonomies = [{ name = "tags", feed = true }, { name = "author", render = false }, '
            '{ name = "category", render = false }, { name = "genre", render = false }] (no templates for the pages '
            "of author, category, genre"
        )
    if "tabi" in advice:
        assert advice["tabi"] == [
            'config.toml: set taxonomies = [{ name = "tags", feed = true }, { name = "author" }, { name = "category" }, '
            '{ name = "genre" }]'
        ]


def test_a_site_of_its_own_home_section_is_told_to_sort_it(tmp_path):
    site = _theme_site(tmp_path, THEME_NAMES[0])
    export = tmp_path / "export.xml"
    export.write_text(
        wxr(wxr_item(1, "Post", extra='<category domain="post_tag" nicename="x"><![CDATA[X]]></category>'))
    )
    advice = _migrate([export], site, media=OFFLINE).plan.config_required
    assert 'content/_index.md: add sort_by = "date" to its front matter' in "\n".join(advice)
    assert (site / "content" / "_index.md").read_text("utf-8") == '+++\ntitle = "Home"\n+++\n'  # the user's, kept
