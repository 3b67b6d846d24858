"""Plan → disk: dry run, byte-identical re-runs, hand-edit protection, atomic writes, containment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from migrate.mappings import Mappings
from migrate.pipeline import plan_site
from migrate.site.apply import MANIFEST, UnsafePath, apply, compare, safe_path, write_atomic
from migrate.site.lastrun import STATE
from migrate.site.lock import LOCK
from migrate.site.plan import Plan, PlannedFile

from .conftest import OFFLINE, SAMPLES, WXR_HEAD, migrate, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"


def snapshot(site: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(site)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(site.rglob("*")) if p.is_file()
    }


def test_dry_run_writes_nothing_and_lists_every_file(tmp_path):
    site = tmp_path / "site"
    result = migrate([SAMPLE], site, dry_run=True)
    assert not site.exists()
    planned = set(result.plan.files)
    assert {c.path for c in result.changes.changes} == planned
    assert all(c.action == "create" for c in result.changes.changes)
    assert "config.toml" in planned and "content/blog/about.md" in planned


def test_rerun_changes_no_byte(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site)
    before = snapshot(site)
    result = migrate([SAMPLE], site)
    assert result.changes.counts()["create"] == result.changes.counts()["change"] == 0
    assert snapshot(site) == before  # same bytes, and not even rewritten (same mtimes)


def test_hand_edit_is_a_conflict_unless_forced(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site)
    page = site / "content/blog/about.md"
    edited = page.read_bytes() + b"\nA paragraph added by hand.\n"
    page.write_bytes(edited)

    result = migrate([SAMPLE], site)
    conflicts = result.changes.by_action("conflict")
    assert [c.path for c in conflicts] == ["content/blog/about.md"]
    assert page.read_bytes() == edited
    again = migrate([SAMPLE], site)  # still a conflict on the next run: the manifest kept the old hash
    assert [c.path for c in again.changes.by_action("conflict")] == ["content/blog/about.md"]

    migrate([SAMPLE], site, force=True)
    assert page.read_bytes() != edited
    assert migrate([SAMPLE], site).changes.by_action("conflict") == []


def test_a_foreign_file_is_not_overwritten(tmp_path):
    site = tmp_path / "site"
    (site / "content/blog").mkdir(parents=True)
    (site / "config.toml").write_text('base_url = "https://mine.example"\n')  # a folder of no site is refused
    mine = site / "content/blog/contact.md"
    mine.write_text('+++\ntitle = "mine"\n+++\n')
    result = migrate([SAMPLE], site)
    assert [c.path for c in result.changes.by_action("conflict")] == ["content/blog/contact.md"]
    assert mine.read_text() == '+++\ntitle = "mine"\n+++\n'


def test_files_no_longer_planned_are_removed_unless_edited(tmp_path, write_export):
    site = tmp_path / "site"
    one = wxr_item(1, "Kept post")
    two = wxr_item(2, "Deleted post")
    three = wxr_item(3, "Edited post")
    migrate([write_export(one, two, three)], site)
    edited = site / "content/2021/03/edited-post.md"
    edited.write_text(edited.read_text() + "edit\n")
    result = migrate([write_export(one)], site)
    # the deleted post's file (its ?p= page was its alias: gone with it)
    assert [c.path for c in result.changes.by_action("remove")] == ["content/2021/03/deleted-post.md"]
    assert not (site / "content/2021/03/deleted-post.md").exists()
    assert edited.exists()
    assert "content/2021/03/edited-post.md" in [c.path for c in result.changes.by_action("conflict")]


def test_atomic_write_leaves_old_or_new_never_half(tmp_path, monkeypatch):
    target = tmp_path / "a" / "file.md"
    write_atomic(target, b"old")

    def broken_replace(src, dst):
        raise KeyboardInterrupt  # the run is interrupted between writing and renaming

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new content")
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["file.md"]  # no temporary file left


def test_interrupted_apply_is_finished_by_the_next_run(tmp_path, monkeypatch):
    site = tmp_path / "site"
    plan = plan_site([SAMPLE], Mappings.load(), media=OFFLINE)
    changes = compare(plan, site)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(KeyboardInterrupt):
        apply(changes)
    monkeypatch.setattr(os, "replace", real_replace)
    leftovers = [p for p in site.rglob("*") if p.name.endswith(".wp2zola-tmp")]
    assert leftovers == []
    for path in site.rglob("*.md"):  # every file there is complete
        rel = str(path.relative_to(site))
        assert path.read_bytes() == plan.files[rel].data
    result = migrate([SAMPLE], site)
    assert result.changes.by_action("conflict") == []
    assert {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()} == set(plan.files) | {
        MANIFEST,
        LOCK,
        STATE,
    }


@pytest.mark.parametrize("rel", ["../outside.md", "/etc/passwd", "content/../../x.md", "a/./b.md", "", "a\\..\\b"])
def test_safe_path_refuses_escapes(tmp_path, rel):
    with pytest.raises(UnsafePath):
        safe_path(tmp_path, rel)


def test_safe_path_refuses_symlink_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    site = tmp_path / "site"
    site.mkdir()
    (site / "content").symlink_to(outside)
    with pytest.raises(UnsafePath):
        safe_path(site, "content/x.md")


@pytest.mark.parametrize(
    ("link", "points_to", "rel", "leaves"),
    [
        ("content/x.md", "outside/x.md", "content/x.md", True),  # the file itself
        ("content/a", "outside", "content/a/b/c.md", True),  # a folder deep in the path
        ("content/a", "site/other", "content/a/b/c.md", False),  # a link that stays inside is followed
        ("content/a", "site/other/../../outside", "content/a/c.md", True),
        ("content/a/b", "site/content", "content/a/b/c.md", False),
    ],
)
def test_site_paths_follow_links_like_a_full_resolve(tmp_path, link, points_to, rel, leaves):
    """Each folder is resolved once from its parent and listed once for links: the verdict is the one
    resolving the whole path gives, for a link anywhere in it."""
    site = tmp_path / "site"
    (site / "other").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(tmp_path / points_to)
    full = (site / rel).resolve()
    assert leaves == (site.resolve() not in full.parents)
    if leaves:
        with pytest.raises(UnsafePath):
            safe_path(site, rel)
    else:
        assert safe_path(site, rel).resolve() == full


def test_apply_refuses_a_plan_that_leaves_the_site(tmp_path):
    plan = Plan()
    plan.files["../evil.md"] = PlannedFile("../evil.md", "content", b"x")
    with pytest.raises(UnsafePath):
        compare(plan, tmp_path / "site")
    assert not (tmp_path / "evil.md").exists()


HOSTILE = [
    ("../../../../tmp/escape", "https://example.com/../../../../tmp/escape/"),
    ("%2e%2e%2f%2e%2e%2fescape", "https://example.com/%2e%2e/%2e%2e/escape/"),
    ("a%2f..%2f..%2fb", "https://example.com/a%2F..%2F..%2Fb/"),
    ("nul%00byte", "https://example.com/nul%00byte/"),
    ("index", "https://example.com/index/"),
    (".hidden", "https://example.com/.hidden/"),
    ("x" * 300, "https://example.com/" + "%e6%97%a5" * 120 + "/"),
]


@pytest.mark.parametrize("slug,link", HOSTILE)
def test_no_slug_or_link_writes_outside_the_site(tmp_path, write_export, slug, link):
    site = tmp_path / "deep" / "site"
    export = write_export(
        wxr_item(7, "Hostile", slug, type="page", link=link),
        wxr_item(8, "Hostile draft", slug, type="page", status="draft", link="https://example.com/?page_id=8"),
    )
    result = migrate([export], site)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != export]
    assert written and all(site in p.parents for p in written)
    for path in result.plan.files:
        name = path.rsplit("/", 1)[-1]
        assert not name.startswith(".") and len(name.encode()) <= 124
        assert name not in ("index.md",)


def test_other_exports_into_the_same_site_remove_nothing(tmp_path, write_export):
    """A second site's export added to a site keeps the first site's files, even when both files have
    the same name; a newer export of the first site, under any name, still prunes what it dropped."""
    site = tmp_path / "site"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_export(wxr_item(1, "First post"), name="a/export.xml")
    migrate([first], site)
    other = WXR_HEAD.replace("https://example.com", "https://other.example.org")
    assert other != WXR_HEAD
    second = write_export(wxr_item(2, "Second post"), name="b/export.xml", head=other)
    result = migrate([second], site)
    assert result.changes.by_action("remove") == [] and result.changes.kept_from_other_exports >= 1
    assert (site / "content/2021/03/first-post.md").exists() and (site / "content/2021/03/second-post.md").exists()
    newer = write_export(wxr_item(3, "Third post"), name="example.WordPress.2026-12-01.xml")
    again = migrate([newer], site)
    assert [c.path for c in again.changes.by_action("remove")] == ["content/2021/03/first-post.md"]
    assert (site / "content/2021/03/second-post.md").exists()


def test_written_files_are_readable_like_others(tmp_path):
    site = tmp_path / "site"
    old = os.umask(0o022)
    try:
        migrate([SAMPLE], site)
    finally:
        os.umask(old)
    assert (site / "config.toml").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("mode", [0o600, 0o664, 0o755])
def test_a_file_written_again_keeps_its_mode(tmp_path, mode):
    """A file the tool replaces keeps the mode the user gave it, even bits the umask would take."""
    target = tmp_path / "page.md"
    target.write_text("old")
    os.chmod(target, mode)
    old = os.umask(0o022)
    try:
        write_atomic(target, b"new", tmp_path / "tmp")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == mode


def test_a_rerun_reads_no_file_it_wrote_that_is_untouched(tmp_path, monkeypatch):
    """The manifest records each file's size and time: a re-run of the same export compares digests
    and reads none of the files (a file edited since, with another size or time, is read and kept)."""
    import migrate.site.apply as apply_module

    site = tmp_path / "site"
    migrate([SAMPLE], site)
    read = []
    real = apply_module._read
    monkeypatch.setattr(apply_module, "_read", lambda path: read.append(path) or real(path))
    again = migrate([SAMPLE], site)
    assert [p for p in read if p.name != "manifest.json"] == []
    assert set(again.changes.counts()) and again.changes.counts()["unchanged"] == len(again.changes.changes)
    page = next(p for p in sorted((site / "content").rglob("*.md")) if p.name != "_index.md")
    page.write_text(page.read_text() + "\nMine.\n")
    edited = migrate([SAMPLE], site)
    assert [c.path for c in edited.changes.by_action("conflict")] == [str(page.relative_to(site))]
