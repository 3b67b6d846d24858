"""The folder a site goes into: a folder of the user's is not scaffolded over, and a second site's
export does not rewrite the first site's config."""

from __future__ import annotations

import tomllib

import pytest

from migrate.site.apply import SiteError
from tests.conftest import SAMPLES, migrate, wxr, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_folder_of_the_users_that_is_no_zola_site_is_refused_without_force(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    (folder / "photos").mkdir()
    with pytest.raises(SiteError, match=r"mine: not a Zola site and not empty \(notes.txt, photos\).*--force"):
        migrate([SAMPLE], folder)
    assert _tree(folder) == {"notes.txt": b"my notes"} and sorted(p.name for p in folder.iterdir()) == [
        "notes.txt",
        "photos",
    ]
    dry = migrate([SAMPLE], folder, dry_run=True)  # writes nothing, and says what a run would do
    assert "a run would refuse without --force" in str(dry.plan.notices[0])
    assert _tree(folder) == {"notes.txt": b"my notes"}
    migrate([SAMPLE], folder, force=True)
    assert (folder / "config.toml").is_file() and (folder / "notes.txt").read_text() == "my notes"


@pytest.mark.parametrize("names", [[], [".git"], [".DS_Store", ".gitignore"]])
def test_an_empty_folder_or_a_fresh_repository_is_a_place_for_a_site(tmp_path, names):
    folder = tmp_path / "site"
    folder.mkdir()
    for name in names:
        (folder / name).mkdir() if name == ".git" else (folder / name).write_text("")
    migrate([SAMPLE], folder)
    assert (folder / "config.toml").is_file()


def test_a_second_sites_export_keeps_the_config_of_the_first(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site)
    config = (site / "config.toml").read_bytes()
    other = tmp_path / "other.xml"
    other.write_text(
        wxr(wxr_item(7, "Elsewhere", extra='<category domain="series" nicename="s1"><![CDATA[S1]]></category>')),
        "utf-8",
    )
    result = migrate([other], site)
    assert (site / "config.toml").read_bytes() == config  # base_url and title of the first site
    assert tomllib.loads(config.decode())["base_url"] == "https://example.org"
    said = [str(n) for n in result.plan.notices]
    assert any("config.toml was written for another site (https://example.org/blog): kept as it is" in s for s in said)
    assert [line for line in result.plan.config_required if line.startswith("config.toml: set taxonomies")] == [
        'config.toml: set taxonomies = [{ name = "author" }, { name = "category" }, { name = "genre" }, '
        '{ name = "tag" }, { name = "series" }]'
    ]
    assert (site / "content/2021/03/elsewhere.md").is_file()
    again = migrate([SAMPLE], site)  # the first site again: its config is its own, nothing to say
    assert (site / "config.toml").read_bytes() == config and again.plan.config_required == []
    assert (site / "content/2021/03/elsewhere.md").is_file()  # the other site's pages stay


def test_a_second_site_keeps_the_files_the_first_site_wrote(tmp_path):
    """Two sites into one folder: the second keeps what the first wrote at paths they both want (the
    home section, the redirect maps, the comments' export), and says so."""
    site = tmp_path / "site"
    migrate([SAMPLE], site)
    shared = ["content/_index.md", "redirects/nginx-http.conf", "static/_redirects"]
    shared.append("comments/import.wordpress.xml")
    before = {rel: (site / rel).read_bytes() for rel in shared}
    other = tmp_path / "other.xml"
    other.write_text(wxr(wxr_item(10, "Same id elsewhere", extra="")), "utf-8")
    result = migrate([other], site)
    assert {rel: (site / rel).read_bytes() for rel in shared} == before
    kept = {c.path: c.reason for c in result.changes.by_action("kept")}
    assert kept["static/_redirects"] == "written from another site's exports"
    assert (site / "content/2021/03/same-id-elsewhere.md").is_file()
    forced = migrate([other], site, force=True)  # --force takes them over, as for any file
    assert "static/_redirects" not in {c.path for c in forced.changes.by_action("kept")}
    assert (site / "static/_redirects").read_bytes() != before["static/_redirects"]
