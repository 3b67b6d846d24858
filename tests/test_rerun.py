"""A run of the same inputs into a site nobody touched since stops before planning (issue 9: "a re-run
of an unchanged export is much faster than the first run"), and anything that could change what a
run writes or finds makes it plan again."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import migrate.cli
from migrate import pipeline
from migrate.cli import app
from migrate.media.options import MediaOptions
from migrate.site.journal import JOURNAL
from migrate.site.lastrun import STATE

from .conftest import SAMPLES, wxr, wxr_item
from .httpserver import Response, TestServer

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
runner = CliRunner()
JPEG = b"\xff\xd8\xff\xe0" + bytes(60)


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """Copies of the sample export and its uploads, that a case may change."""
    shutil.copy(SAMPLE, tmp_path / "blog.xml")
    shutil.copytree(SAMPLES / "uploads", tmp_path / "uploads")
    return {"export": tmp_path / "blog.xml", "uploads": tmp_path / "uploads", "site": tmp_path / "site"}


def args(inputs: dict[str, Path], *more: str) -> list[str]:
    return [
        "migrate",
        str(inputs["export"]),
        "--out",
        str(inputs["site"]),
        "--uploads-dir",
        str(inputs["uploads"]),
        "--no-download",
        *more,
    ]


class Planned:
    """`migrate.cli.migrate`, counting the runs that plan."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls = 0
        real = migrate.cli.migrate

        def spy(*a, **k):
            self.calls += 1
            return real(*a, **k)

        monkeypatch.setattr(migrate.cli, "migrate", spy)


def snapshot(site: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(site).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(site.rglob("*"))
        if p.is_file() and ".wp2zola/lock" not in p.as_posix()
    }


def test_an_unchanged_rerun_stops_before_planning_and_touches_nothing(inputs, monkeypatch):
    first = runner.invoke(app, args(inputs))
    assert first.exit_code == 0, first.output
    assert (inputs["site"] / STATE).is_file()
    before = snapshot(inputs["site"])
    planned = Planned(monkeypatch)
    again = runner.invoke(app, args(inputs))
    assert again.exit_code == 0, again.output
    assert planned.calls == 0
    assert "nothing to do" in again.output and "--rerun plans it again" in again.output
    assert snapshot(inputs["site"]) == before  # not one file written, not even the record
    dry = runner.invoke(app, args(inputs, "--dry-run"))
    assert dry.exit_code == 0 and "nothing would change" in dry.output and planned.calls == 0


def _edit_page(i):
    page = next((i["site"] / "content").rglob("*.md"))
    page.write_text(page.read_text() + "\nmy own line\n")
    time.sleep(0.2)  # an edit made while a run ran is for the next run to find: this one is before it


def _remove_medium(i):
    next(p for p in (i["site"] / "static").rglob("*") if p.suffix in (".jpg", ".png")).unlink()


def _append_to_export(i):
    i["export"].write_text(i["export"].read_text() + "\n<!-- exported again -->\n")


def _add_upload(i):
    (i["uploads"] / "2023" / "extra.jpg").write_bytes(b"\xff\xd8\xff")


def _replace_template(i):
    template = next((i["site"] / "templates").glob("*.html"))
    template.write_text(template.read_text() + "\n")


def _journal(i):
    (i["site"] / JOURNAL).write_text("{}\n")


def _manifest(i):
    manifest = i["site"] / ".wp2zola" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["files"].pop(next(iter(data["files"])))
    manifest.write_text(json.dumps(data))


# each changes something a run reads or finds; the next run must plan
CHANGES = {
    "a page edited by hand": (_edit_page, ()),
    "a medium removed": (_remove_medium, ()),
    "a file added among the pages": (lambda i: (i["site"] / "content" / "mine.md").write_text("+++\n+++\n"), ()),
    "a template changed": (_replace_template, ()),
    "the export changed": (_append_to_export, ()),
    "a file added to the uploads copy": (_add_upload, ()),
    "an interrupted run's journal": (_journal, ()),
    "the manifest changed": (_manifest, ()),
    "another option": (lambda i: None, ("--no-comments",)),
    "--force": (lambda i: None, ("--force",)),
    "--bundles": (lambda i: None, ("--bundles",)),
    "--rerun": (lambda i: None, ("--rerun",)),
    "--report": (lambda i: None, ("--report", "REPORT")),
}


@pytest.mark.parametrize("case", list(CHANGES))
def test_what_makes_the_next_run_plan_again(case, inputs, monkeypatch, tmp_path):
    change, more = CHANGES[case]
    assert runner.invoke(app, args(inputs)).exit_code == 0
    change(inputs)
    planned = Planned(monkeypatch)
    more = tuple(str(tmp_path / "report.json") if m == "REPORT" else m for m in more)
    result = runner.invoke(app, args(inputs, *more))
    assert result.exit_code == 0, result.output
    assert planned.calls == 1, case
    assert "nothing to do" not in result.output


def test_a_config_file_that_changed_makes_it_plan_again(inputs, monkeypatch, tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('[content]\nmarkup = "html"\n')
    assert runner.invoke(app, args(inputs, "--config", str(config))).exit_code == 0
    planned = Planned(monkeypatch)
    assert runner.invoke(app, args(inputs, "--config", str(config))).exit_code == 0 and planned.calls == 0
    config.write_text('[content]\nmarkup = "auto"\n')
    assert runner.invoke(app, args(inputs, "--config", str(config))).exit_code == 0 and planned.calls == 1


def test_what_a_run_never_reads_does_not_count(inputs, monkeypatch):
    """A built site (`public/`), a repository (`.git/`): a run neither reads nor writes them."""
    assert runner.invoke(app, args(inputs)).exit_code == 0
    (inputs["site"] / "public").mkdir()
    (inputs["site"] / "public" / "index.html").write_text("<p>built</p>")
    (inputs["site"] / ".git").mkdir()
    (inputs["site"] / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    planned = Planned(monkeypatch)
    result = runner.invoke(app, args(inputs))
    assert result.exit_code == 0 and planned.calls == 0, result.output


def test_what_needs_the_users_hand_is_said_again(inputs, monkeypatch):
    """A conflict (a page edited by hand) and the config advice of a site of the user's are told on
    every run, also by one that stops before planning, also with --quiet."""
    site = inputs["site"]
    site.mkdir()
    (site / "config.toml").write_text('base_url = "https://example.org"\ntitle = "Mine"\n')
    (site / "templates").mkdir()
    assert runner.invoke(app, args(inputs)).exit_code == 0
    _edit_page(inputs)
    planned = runner.invoke(app, args(inputs, "--quiet"))  # plans: finds the conflict, records it
    said = [line for line in planned.output.splitlines() if line.startswith(("conflict:", "config:"))]
    assert any(line.startswith("conflict:") for line in said) and any(line.startswith("config:") for line in said)
    spy = Planned(monkeypatch)
    again = runner.invoke(app, args(inputs, "--quiet"))
    assert spy.calls == 0 and again.exit_code == 0
    assert [line for line in again.output.splitlines() if line.startswith(("conflict:", "config:"))] == said


def test_strict_fails_again_while_files_are_missing(tmp_path, monkeypatch):
    (tmp_path / "x.xml").write_text(
        wxr(wxr_item(1, "Hello", content='<img src="https://example.com/wp-content/uploads/gone.jpg">'))
    )
    command = ["migrate", str(tmp_path / "x.xml"), "--out", str(tmp_path / "site"), "--no-download", "--strict"]
    first = runner.invoke(app, command)
    assert first.exit_code == 3
    spy = Planned(monkeypatch)
    again = runner.invoke(app, command)
    assert again.exit_code == 3 and spy.calls == 0
    said = [line for line in first.output.splitlines() if line.startswith(("missing:", "note:"))]
    assert len(said) == 2 and "gone.jpg" in said[0]
    assert [line for line in again.output.splitlines() if line.startswith(("missing:", "note:"))] == said


def test_missing_files_are_fetched_again_when_downloads_are_on(tmp_path, monkeypatch, no_network):
    """The record of a run that could not fetch a file does not stop a run that may: it plans and
    fetches it; the run after that has nothing to do."""
    with TestServer() as server:
        server.route("/wp-content/uploads/a.jpg", [Response(404), Response(200, {"Content-Type": "image/jpeg"}, JPEG)])
        export = tmp_path / "x.xml"
        export.write_text(wxr(wxr_item(1, "Hello", content=f'<img src="{server.url("/wp-content/uploads/a.jpg")}">')))
        command = ["migrate", str(export), "--out", str(tmp_path / "site"), "--allow-host", "127.0.0.1"]
        media = MediaOptions(allow_hosts=("127.0.0.1",))
        assert runner.invoke(app, command).exit_code == 0
        why, last = pipeline.unchanged([export], tmp_path / "site", media=media)
        assert last is None and why == "1 file(s) were missing: fetching them again"
        spy = Planned(monkeypatch)
        assert runner.invoke(app, command).exit_code == 0 and spy.calls == 1
        assert [p.read_bytes() for p in (tmp_path / "site" / "static").rglob("a.jpg")] == [JPEG]
        assert pipeline.unchanged([export], tmp_path / "site", media=media)[0] is None
        assert runner.invoke(app, command).exit_code == 0 and spy.calls == 1


def test_the_library_records_and_a_dry_run_does_not(inputs):
    media = MediaOptions(download=False, uploads_dir=inputs["uploads"])
    pipeline.migrate([inputs["export"]], inputs["site"], media=media, dry_run=True)
    assert not (inputs["site"] / STATE).exists()
    why, last = pipeline.unchanged([inputs["export"]], inputs["site"], media=media)
    assert last is None and why == "no earlier complete run"
    pipeline.migrate([inputs["export"]], inputs["site"], media=media)
    why, last = pipeline.unchanged([inputs["export"]], inputs["site"], media=media)
    assert why is None and last is not None and last.said["items"] > 0
    other = pipeline.unchanged([inputs["export"]], inputs["site"], media=media, comments=False)
    assert other == ("its inputs or options changed", None)


def test_batch_skips_a_site_migrated_by_hand_with_its_options(inputs, tmp_path):
    assert runner.invoke(app, args(inputs)).exit_code == 0
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(
        f'[jobs.blog]\nexports = ["{inputs["export"]}"]\nout = "{inputs["site"]}"\nno_download = true\n'
        f'uploads_dir = "{inputs["uploads"]}"\n'
    )
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["batch", str(jobs), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert [job["status"] for job in json.loads(report.read_text())["jobs"]] == ["skipped"]


def test_a_linked_theme_is_watched_through_its_link(inputs, monkeypatch, tmp_path):
    """A theme kept elsewhere and linked into themes/: its templates decide what the site renders."""
    theme = tmp_path / "elsewhere" / "mytheme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "index.html").write_text("{{ section.title }}")
    site = inputs["site"]
    (site / "themes").mkdir(parents=True)
    os.symlink(theme, site / "themes" / "mytheme")
    (site / "config.toml").write_text('base_url = "https://example.org"\ntheme = "mytheme"\n')
    assert runner.invoke(app, args(inputs)).exit_code == 0
    (theme / "templates" / "taxonomy_list.html").write_text("{{ terms }}")
    spy = Planned(monkeypatch)
    assert runner.invoke(app, args(inputs)).exit_code == 0 and spy.calls == 1


def test_a_library_upgrade_changes_the_key(inputs, monkeypatch):
    """What the tool runs on is part of it: another lxml or pyromark may write other bytes."""
    versions = pipeline._library_versions()
    assert {"lxml", "pyromark", "tomli-w", "urllib3"} <= set(versions)  # urllib3: what requests requires
    before = pipeline.run_key([inputs["export"]])
    monkeypatch.setattr(pipeline, "_library_versions", lambda: {**versions, "tomli-w": "99.0"})
    pipeline._code.cache_clear()
    try:
        assert pipeline.run_key([inputs["export"]]) != before
    finally:
        monkeypatch.undo()
        pipeline._code.cache_clear()
    assert pipeline.run_key([inputs["export"]]) == before


def test_an_edit_made_while_the_run_ran_is_found_by_the_next(inputs, monkeypatch):
    """The user edits a page while the run still works (fetching media, say): the run does not record
    the site as its own, so the next run plans and finds the edit."""
    assert runner.invoke(app, args(inputs)).exit_code == 0
    real_apply = pipeline.apply

    def apply_then_edit(*a, **k):
        real_apply(*a, **k)
        page = next((inputs["site"] / "content").rglob("*.md"))
        page.write_text(page.read_text() + "\nedited meanwhile\n")

    monkeypatch.setattr(pipeline, "apply", apply_then_edit)
    assert runner.invoke(app, args(inputs, "--no-comments")).exit_code == 0  # plans: another option
    monkeypatch.undo()
    assert not (inputs["site"] / STATE).exists()  # the older record went too
    spy = Planned(monkeypatch)
    result = runner.invoke(app, args(inputs, "--no-comments"))
    assert spy.calls == 1 and "conflict:" in result.output and "edited since wp2zola wrote it" in result.output


def test_a_renamed_export_plans_again(inputs, monkeypatch):
    """The export's name is in the config (`extra.wp2zola`) and in every message."""
    assert runner.invoke(app, args(inputs)).exit_code == 0
    renamed = inputs["export"].with_name("blog-2026-12-02.xml")
    inputs["export"].rename(renamed)
    inputs["export"] = renamed
    spy = Planned(monkeypatch)
    assert runner.invoke(app, args(inputs)).exit_code == 0 and spy.calls == 1


def test_a_linked_config_is_watched_through_its_link(inputs, monkeypatch, tmp_path):
    shared = tmp_path / "shared-config.toml"
    shared.write_text('base_url = "https://example.org"\ntitle = "Mine"\n')
    site = inputs["site"]
    site.mkdir()
    os.symlink(shared, site / "config.toml")
    (site / "templates").mkdir()
    assert runner.invoke(app, args(inputs)).exit_code == 0
    shared.write_text('base_url = "https://example.org"\ntitle = "Mine"\ntaxonomies = [{name = "tags"}]\n')
    spy = Planned(monkeypatch)
    assert runner.invoke(app, args(inputs)).exit_code == 0 and spy.calls == 1


def test_a_notice_about_the_site_as_found_is_not_said_again(inputs, monkeypatch):
    """A corrupt manifest is said once, by the run that found it (and wrote a good one)."""
    assert runner.invoke(app, args(inputs)).exit_code == 0
    (inputs["site"] / ".wp2zola" / "manifest.json").write_text("{not json")
    time.sleep(0.2)  # the config the first run wrote just now is the user's now: older than this run
    found = runner.invoke(app, args(inputs, "--force"))
    assert found.exit_code == 0 and "corrupt" in found.output
    spy = Planned(monkeypatch)
    again = runner.invoke(app, args(inputs, "--force"))
    assert spy.calls == 0 and "nothing to do" in again.output and "corrupt" not in again.output


def test_batch_runs_a_job_that_writes_a_report_or_a_review(inputs, tmp_path):
    """A report and a review are made from the whole plan: such a job is never skipped."""
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(
        f'[jobs.blog]\nexports = ["{inputs["export"]}"]\nout = "{inputs["site"]}"\nno_download = true\n'
        f'uploads_dir = "{inputs["uploads"]}"\nreport = "{tmp_path / "blog.json"}"\n'
    )
    report = tmp_path / "r.json"
    for _ in range(2):
        assert runner.invoke(app, ["batch", str(jobs), "--report", str(report)]).exit_code == 0
        assert [job["status"] for job in json.loads(report.read_text())["jobs"]] == ["ok"]
    assert (tmp_path / "blog.json").is_file()


def test_the_walk_of_a_folder_ends_at_links_that_loop_and_follows_a_shared_folder_once(tmp_path):
    """Links back up (a loop) are not followed; two links to one folder walk it once; what is
    behind a link still counts (a change there changes the state)."""
    from migrate.site.lastrun import _walk, folder_state

    top = tmp_path / "top"
    (top / "a" / "b").mkdir(parents=True)
    (top / "a" / "b" / "page.md").write_text("one")
    os.symlink("../..", top / "a" / "b" / "up")  # back to top: a loop
    os.symlink("a", top / "x")
    os.symlink("a", top / "y")
    seen: list[str] = []
    _walk(top, ".", lambda rel, st: seen.append(rel))
    assert seen.count("./a/b/page.md") == 1  # the real folder
    assert sum(rel.endswith("/page.md") for rel in seen) == 2  # and once more, through the first link
    assert not any("/up/" in rel for rel in seen)
    before = folder_state(top)
    (top / "a" / "b" / "page.md").write_text("two!")
    assert folder_state(top) != before
