"""The `wp2zola` command: exit codes, one-line errors, dry-run diff, report, --config, python -m."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from migrate.cli import app

from .conftest import SAMPLES, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
runner = CliRunner()


OFFLINE = ["--uploads-dir", str(SAMPLES / "uploads"), "--no-download"]  # tests never reach the network


def run(*args: str):
    if args[:1] == ("migrate",) and "--help" not in args and not set(args) & {"--uploads-dir", "--no-download"}:
        args = (*args, *OFFLINE)
    return runner.invoke(app, list(args))


def test_help_of_every_command_has_an_example():
    commands = [c.name for c in app.registered_commands]
    assert {"migrate", "fidelity", "inspect", "batch", "report-schema"} <= set(commands)
    for args, example in (([], "migrate"), *(([name], name) for name in commands)):
        result = run(*args, "--help")
        assert result.exit_code == 0
        assert f"Example: wp2zola {example}" in result.output


def test_migrate_exit_0_and_summary(tmp_path):
    result = run("migrate", str(SAMPLE), "--out", str(tmp_path / "site"))
    assert result.exit_code == 0, result.output
    assert "published" in result.output and "drafts" in result.output
    assert (tmp_path / "site" / "config.toml").is_file()


def test_unreadable_export_is_one_line_naming_the_file(tmp_path):
    bad = tmp_path / "not-an-export.xml"
    bad.write_text("hello, this is not XML at all\n")
    result = subprocess.run(
        [sys.executable, "-m", "migrate", "migrate", str(bad), "--out", str(tmp_path / "s")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "Traceback" not in result.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "migrate", "migrate", str(tmp_path / "nope.xml"), "--out", str(tmp_path / "s")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "nope.xml" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s").exists()


def test_usage_errors_exit_2(tmp_path):
    assert run("migrate", str(SAMPLE)).exit_code == 2  # --out missing
    assert run("migrate", "--out", str(tmp_path)).exit_code == 2  # no export
    assert run("migrate", str(SAMPLE), "--out", str(tmp_path), "--bogus").exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_bad_config_file_is_one_line(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text("[taxonomies\n")
    result = run("migrate", str(SAMPLE), "--out", str(tmp_path / "s"), "--config", str(cfg))
    assert result.exit_code == 1 and str(cfg) in result.output
    cfg.write_text("[no_such_table]\nx = 1\n")
    result = run("migrate", str(SAMPLE), "--out", str(tmp_path / "s"), "--config", str(cfg))
    assert result.exit_code == 1 and "no_such_table" in result.output


def test_dry_run_prints_a_unified_diff_and_writes_nothing(tmp_path):
    site = tmp_path / "site"
    result = run("migrate", str(SAMPLE), "--out", str(site), "--dry-run")
    assert result.exit_code == 0
    assert not site.exists()
    assert "--- /dev/null\n+++ b/content/blog/about.md\n" in result.output
    assert '+title = "About"' in result.output
    assert "\x1b[" not in result.output  # no colour when not on a terminal
    assert "would be created" in result.output

    run("migrate", str(SAMPLE), "--out", str(site))
    about = site / "content/blog/about.md"
    about.write_text(about.read_text().replace('title = "About"', 'title = "About us"'))
    (site / ".wp2zola").joinpath("manifest.json").unlink()  # forget what we wrote: the file is foreign now
    diff = run("migrate", str(SAMPLE), "--out", str(site), "--dry-run", "--force")
    assert "--- a/content/blog/about.md\n+++ b/content/blog/about.md\n" in diff.output
    assert '-title = "About us"\n+title = "About"' in diff.output


def test_report_json_accounts_for_every_item(tmp_path):
    report = tmp_path / "out" / "report.json"
    result = run("migrate", str(SAMPLE), "--out", str(tmp_path / "site"), "--report", str(report), "--quiet")
    assert result.exit_code == 0 and result.output == ""
    data = json.loads(report.read_text())
    items = data["items"]
    counts = data["summary"]["items"]
    assert counts["read"] == len(items) == 13
    assert counts["written"] + counts["draft"] + counts["skipped"] == counts["read"]
    assert all(i["outcome"] != "skipped" or i["reason"] for i in items)
    by_id = {i["id"]: i for i in items}
    assert by_id[16]["outcome"] == "skipped" and by_id[16]["reason"] == "status trash"
    assert by_id[20]["outcome"] == "draft"  # private: never published
    assert any(w["item"] == 20 and "private" in w["message"] for w in data["warnings"])
    assert by_id[14]["path"] == "/blog/2023/05/03/tom-jerrys-telescope/"


def test_config_overrides_taxonomy_names(tmp_path, write_export):
    cfg = tmp_path / "names.toml"
    cfg.write_text('[taxonomies]\ncategory = "categories"\npost_tag = ""\n')
    export = write_export(
        wxr_item(
            1,
            "Post",
            extra='<category domain="category" nicename="news"><![CDATA[News]]></category>'
            '<category domain="post_tag" nicename="x"><![CDATA[X]]></category>',
        )
    )
    site = tmp_path / "site"
    assert run("migrate", str(export), "--out", str(site), "--config", str(cfg)).exit_code == 0
    page = (site / "content/2021/03/post.md").read_text()
    assert 'categories = [\n    "News",\n]' in page and "tag =" not in page
    assert '{ name = "categories" }' in (site / "config.toml").read_text()


def test_existing_site_gets_content_only_and_is_told_what_to_declare(tmp_path, write_export):
    site = tmp_path / "site"
    (site / "templates").mkdir(parents=True)
    (site / "content").mkdir()
    (site / "config.toml").write_text('base_url = "https://mine.example"\ntaxonomies = [{ name = "tag" }]\n')
    (site / "content/_index.md").write_text('+++\ntitle = "My home"\n+++\n')
    export = write_export(
        wxr_item(1, "Post", extra='<category domain="category" nicename="news"><![CDATA[News]]></category>')
    )
    report = tmp_path / "report.json"
    result = run("migrate", str(export), "--out", str(site), "--report", str(report))
    assert result.exit_code == 0
    advice = json.loads(report.read_text())["config_required"]
    # the wording is the planner's; the command prints each line of the report's, once
    assert "author" in " ".join(advice) and "category" in " ".join(advice)
    printed = [line.removeprefix("config: ") for line in result.output.splitlines() if line.startswith("config: ")]
    assert printed == advice
    assert (site / "config.toml").read_text().startswith('base_url = "https://mine.example"')
    assert (site / "content/_index.md").read_text() == '+++\ntitle = "My home"\n+++\n'
    assert not (site / "templates/page.html").exists()
    assert (site / "content/2021/03/post.md").is_file()


def test_fidelity_prints_a_table_and_the_worst_items(tmp_path, write_export):
    export = write_export(
        wxr_item(1, "Good", content="<p>Plain <em>words</em>.</p><ul><li>a</li></ul>"),
        wxr_item(2, "Form", content="<p>Pick: <select><option>one</option></select></p>"),
    )
    result = run("fidelity", str(export), "--worst", "1")
    assert result.exit_code == 0, result.output
    header, _rule, row = result.output.splitlines()[:3]
    assert header.split()[:3] == ["site", "items", "words"] and row.startswith("export.xml")
    assert row.split()[1] == "2" and "100.0%" in row
    assert run("fidelity", str(tmp_path / "missing.xml")).exit_code == 1


def test_python_dash_m_works(tmp_path):
    result = subprocess.run([sys.executable, "-m", "migrate", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "migrate" in result.stdout


def test_wheel_ships_mappings_and_templates(tmp_path):
    """`pip install .` (not editable) must carry the default mappings and the site templates."""
    import zipfile

    from .conftest import ROOT

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("wp2zola-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "migrate/default_mappings/taxonomies.toml",
        "migrate/default_mappings/content.toml",
        "migrate/zola/templates/page.html",
        "migrate/zola/templates/taxonomy_single.html",
        "migrate/report/schema.json",
    ):
        assert name in names
    for package in (ROOT / "migrate").rglob("__init__.py"):  # every sub-package, not only those listed today
        assert package.relative_to(ROOT).as_posix() in names


def test_diff_colours_keep_front_matter_lines_as_content():
    from migrate.cli import _colour_diff

    coloured = _colour_diff('--- /dev/null\n+++ b/x.md\n@@ -0,0 +1,2 @@\n++++\n+title = "x"\n')
    assert coloured.splitlines() == [
        "\x1b[1m--- /dev/null\x1b[0m",
        "\x1b[1m+++ b/x.md\x1b[0m",
        "\x1b[36m@@ -0,0 +1,2 @@\x1b[0m",
        "\x1b[32m++++\x1b[0m",
        '\x1b[32m+title = "x"\x1b[0m',
    ]


def test_an_interrupted_run_says_so_in_one_line(tmp_path, monkeypatch):
    import migrate.cli as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "migrate", interrupted)
    result = run("migrate", str(SAMPLE), "--out", str(tmp_path / "site"))
    assert result.exit_code == 130
    assert result.output.strip().splitlines() == [
        "wp2zola: interrupted; the same command again finishes the site (its journal in "
        f"{tmp_path / 'site' / '.wp2zola'} says what this run was writing)"
    ]


def test_many_warnings_of_a_kind_are_a_few_lines_and_the_report_has_every_one(tmp_path, write_export):
    # a big site has tens of thousands of private posts: each a warning, which the terminal counts
    items = [wxr_item(n, f"Private {n}", status="private") for n in range(1, 31)]
    items += [wxr_item(100 + n, f"Unknown {n}", status=f"odd{n}") for n in range(2)]
    export = write_export(*items)
    site, report = tmp_path / "site", tmp_path / "report.json"
    first = run("migrate", str(export), "--out", str(site), "--report", str(report))
    again = run("migrate", str(export), "--out", str(site))  # unchanged: what the run said, said again
    for result in (first, again):
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines() if line.startswith(("warning:", "note:"))]
        shown = [
            line for line in lines if line.endswith(": private: kept as a draft, never published") and " item " in line
        ]
        assert [line.split(": item ")[1].split(":")[0] for line in shown] == ["1", "2", "3", "4", "5"]
        assert all(line.startswith(f"warning: {export}:") for line in shown)  # where, and which item
        assert "warning: 25 more like this: private: kept as a draft, never published" in lines
        assert sum("unknown status 'odd" in line for line in lines) == 2  # each of another kind: shown
        assert lines[-1] == "note: --report FILE lists every warning, with its item"
    warnings = json.loads(report.read_text("utf-8"))["warnings"]
    assert sum("private: kept as a draft" in str(w) for w in warnings) == 30
