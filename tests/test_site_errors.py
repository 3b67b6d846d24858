"""One line, never a traceback: what goes wrong with the site folder or the options names the path
and the reason, exits 1, and leaves the site as the next run can complete."""

from __future__ import annotations

import errno
import json
import os

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.pipeline import migrate
from migrate.site.manifest import MANIFEST

from .conftest import OFFLINE, SAMPLES, refuse_renames, tmpfs

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
UPLOADS = SAMPLES / "uploads"
runner = CliRunner()


def run(site, *extra):
    return runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--uploads-dir", str(UPLOADS), *extra])


def one_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("wp2zola: error: ")
    return lines[0]


def test_out_is_a_regular_file(tmp_path):
    out = tmp_path / "site"
    out.write_text("not a folder")
    line = one_line(run(out))
    assert str(out) in line and "not a folder" in line
    assert out.read_text() == "not a folder"


def test_the_manifest_path_is_a_folder(tmp_path):
    site = tmp_path / "site"
    (site / MANIFEST).mkdir(parents=True)
    line = one_line(run(site))
    assert MANIFEST in line and "folder" in line


def test_a_content_file_replaced_by_a_folder_is_a_conflict_even_forced(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    page = next(p for p in sorted((site / "content").rglob("*.md")) if p.name != "_index.md")
    page.unlink()
    page.mkdir()
    (page / "mine.txt").write_text("the user's")
    result = run(site, "--force")
    assert result.exit_code == 0, result.output
    assert "a folder is in its place" in result.output
    assert (page / "mine.txt").read_text() == "the user's"


def test_a_symlink_loop_in_the_site(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "config.toml").write_text('base_url = "https://mine.example"\n')  # a Zola site: written into
    (site / "content").symlink_to(site / "content")
    line = one_line(run(site))
    assert "symbolic link loop" in line and "content" in line


def test_a_name_too_long(tmp_path):
    out = tmp_path / ("x" * 300)
    line = one_line(run(out))
    assert "file name too long" in line


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.ENAMETOOLONG, errno.ENOSPC])
def test_write_errors_name_the_file(tmp_path, monkeypatch, code):
    """A file system that refuses a write, at the fifth file: one line naming the planned file (not a
    temporary one), and the next run completes the site."""
    site = tmp_path / "site"
    refuse_renames(monkeypatch, code, lambda src, dst, n: n == 5)
    line = one_line(run(site))
    monkeypatch.undo()
    assert ".part" not in line and ("content/" in line or "static/" in line or "templates/" in line or ".toml" in line)
    ok = run(site, "-q")
    assert ok.exit_code == 0 and ok.output == ""
    reference = tmp_path / "reference"
    migrate([SAMPLE], reference, media=OFFLINE)
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == sorted(
        p.relative_to(reference) for p in reference.rglob("*")
    )


def test_a_read_only_site_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders; the injected EROFS above covers it")
    site = tmp_path / "site"
    site.mkdir()
    site.chmod(0o555)
    try:
        line = one_line(run(site))
        assert str(site) in line and "permission denied" in line
    finally:
        site.chmod(0o755)


def test_a_corrupt_manifest_is_reported(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    (site / MANIFEST).write_text("{ half a manif")
    page = next(p for p in sorted((site / "content").rglob("*.md")) if p.name != "_index.md")
    page.write_text(page.read_text() + "\nAn edit of the user's.\n")
    result = run(site)
    assert result.exit_code == 0
    assert "is not a manifest wp2zola can read (corrupt)" in result.output
    assert "conflict:" in result.output  # without a record, a file that differs is the user's: kept
    assert page.read_text().endswith("An edit of the user's.\n")


def test_a_missing_manifest_is_reported(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    (site / MANIFEST).unlink()
    result = run(site)
    assert result.exit_code == 0
    assert f"{site / MANIFEST} is missing" in result.output


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        ('[shortcodes]\ncaption = "x"\n', "shortcodes.caption must be a table, not a string"),
        ("[taxonomies]\npost_tag = 3\n", "taxonomies.post_tag must be a string, not an integer"),
        ('skip_post_types = ["a"]\n', "skip_post_types must be a table, not an array"),
        ('[[providers]]\nname = "x"\npatterns = "^https://x"\n', "providers[0].patterns must be an array"),
        ("[shortcodes.mine]\nhandler = 1\n", "shortcodes.mine.handler must be a string, not an integer"),
        ("[statuses]\ndraft = true\n", "statuses.draft must be a string, not true or false"),
        ('[content]\nmarkup = "rst"\n', "content.markup must be one of"),
        # every regular expression of a config is checked
        (
            '[[providers]]\nname = "x"\npatterns = ["^https://x/(unclosed"]\n',
            "providers[0].patterns[0] is not a regular expression",
        ),
        (
            '[[providers]]\nname = "x"\npatterns = []\nmovies = ["(x"]\n',
            "providers[0].movies[0] is not a regular expression",
        ),
        ('[[widget_scripts]]\nname = "x"\nsrc = "(x"\n', "widget_scripts[0].src is not a regular expression"),
        ('[[code_tags]]\nname = "x"\ntag = "pre"\nmatch = "(x"\n', "code_tags[0].match is not a regular expression"),
    ],
)
def test_wrong_values_in_config(tmp_path, toml, said):
    config = tmp_path / "config.toml"
    config.write_text(toml)
    line = one_line(run(tmp_path / "site", "--config", str(config)))
    assert str(config) in line and said in line
    assert not (tmp_path / "site").exists()  # nothing made for a run that could not start


def test_a_well_typed_config_with_new_entries_is_accepted(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[shortcodes.mine]\nhandler = "caption"\n[[providers]]\nname = "x"\npatterns = ["^https://x/(?P<id>\\\\d+)"]\n'
        'html = "<b>{id}</b>"\n[skip_post_types]\nproduct = "shop item"\n'
    )
    result = run(tmp_path / "site", "--config", str(config), "-q")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "site" / MANIFEST).read_text())["version"] == 3


def test_a_folder_on_another_file_system_is_written_through_a_file_there(tmp_path, monkeypatch):
    """static/ mounted from elsewhere: a rename from .wp2zola/tmp fails with EXDEV; the file still
    arrives whole (copied through a temporary file in its own folder), with nothing left beside it."""
    refuse_renames(monkeypatch, errno.EXDEV, lambda src, dst, n: "/.wp2zola/tmp/" in src and "/static/" in dst)
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    monkeypatch.undo()
    moon = site / "static/blog/wp-content/uploads/2023/04/moon.jpg"
    assert moon.read_bytes() == (UPLOADS / "2023/04/moon.jpg").read_bytes()
    assert not [p for p in site.rglob("*") if p.name.endswith((".wp2zola-tmp", ".part"))]


def test_a_file_copied_across_file_systems_is_recorded_as_it_is_there(tmp_path, monkeypatch):
    """The copy is a file of its own time, not the temporary file's: the manifest records the size and
    time the copy has (else the next run would take the site for edited and plan it again)."""
    import shutil
    import time

    real_copy = shutil.copyfileobj

    def slow_copy(*args, **kwargs):
        time.sleep(0.02)  # later than the temporary file, whatever the clock's tick
        return real_copy(*args, **kwargs)

    refuse_renames(monkeypatch, errno.EXDEV, lambda src, dst, n: "/.wp2zola/tmp/" in src and "/static/" in dst)
    monkeypatch.setattr(shutil, "copyfileobj", slow_copy)
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    monkeypatch.undo()
    stats = json.loads((site / MANIFEST).read_text())["stats"]
    copied = [rel for rel in stats if rel.startswith("static/")]
    assert "static/_redirects" in copied
    for rel in copied:
        st = os.stat(site / rel)
        assert stats[rel] == [st.st_size, st.st_mtime_ns], rel


def test_a_real_read_only_file_system(tmp_path):
    """A read-only tmpfs (where this machine lets us mount one): root or not, nothing can be written."""
    with tmpfs(tmp_path / "ro", "size=1m,ro") as mount:
        line = one_line(run(mount / "site"))
        assert str(mount / "site") in line and "read-only" in line, line


def test_a_full_temporary_folder_is_one_line_that_names_it(tmp_path, monkeypatch):
    """The planned files' bytes are set aside in the system's temporary folder: when it is full, the
    run says so (not a read error of the export, where the workers' error would otherwise surface)."""
    import tempfile

    with tmpfs(tmp_path / "tmp", "size=16k") as mount:
        monkeypatch.setattr(tempfile, "tempdir", str(mount))
        line = one_line(run(tmp_path / "site"))
        assert str(mount) in line and "cannot set aside the planned files" in line, line
        assert "no space left" in line and "nothing was written to the site" in line
        assert str(SAMPLE) not in line
        assert list(mount.iterdir()) == []  # the spool went with its run


def test_a_full_temporary_folder_on_a_re_run_is_one_line_too(tmp_path, monkeypatch):
    """A re-run sets the manifest's records aside in the temporary folder before it plans (and the
    shortcut of an unchanged re-run reads them): a full one is the same one line, not a traceback."""
    import tempfile

    site = tmp_path / "site"
    assert run(site).exit_code == 0
    (site / "content/blog/hello-world.md").write_text("edited\n")  # the shortcut must read the site
    with tmpfs(tmp_path / "tmp", "size=4k") as mount:
        monkeypatch.setattr(tempfile, "tempdir", str(mount))
        line = one_line(run(site))
        assert str(mount) in line and "cannot set aside the planned files" in line, line
        assert list(mount.iterdir()) == []
    assert (site / "content/blog/hello-world.md").read_text() == "edited\n"
