"""The `--report` JSON: every key fixed and described by the schema shipped in the package, which real
runs' reports satisfy and which refuses a report with a key more or a key less."""

from __future__ import annotations

import ast
import copy
import json
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.report import LINKS, REDIRECT_KINDS, SCHEMA, SCHEMA_VERSION
from migrate.site.apply import ACTIONS, UNCHANGED
from migrate.site.outcomes import DRAFT, PUBLISH, SKIP

from .conftest import ROOT, SAMPLES, corpus_files

jsonschema = pytest.importorskip("jsonschema")

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
UPLOADS = ["--uploads-dir", str(SAMPLES / "uploads")]
runner = CliRunner()


def validator():
    schema = json.loads(SCHEMA.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def migrate_report(tmp_path: Path, exports: list[Path], site: Path, *options: str) -> dict:
    report = tmp_path / "report.json"
    args = ["migrate", *map(str, exports), "--out", str(site), "--no-download", "-q", "-j", "1", *options]
    result = runner.invoke(app, [*args, "--report", str(report)])
    assert result.exit_code == 0, result.output
    return json.loads(report.read_text("utf-8"))


def existing_site_with_a_conflict(tmp_path: Path) -> Path:
    """A site of the user's (its own config and home section) that a first run filled, and a page of
    it edited by hand since."""
    site = tmp_path / "mine"
    (site / "content").mkdir(parents=True)
    (site / "config.toml").write_text('base_url = "https://mine.example"\ntaxonomies = [{ name = "tags" }]\n')
    (site / "content/_index.md").write_text('+++\ntitle = "My home"\n+++\n')
    migrate_report(tmp_path, [SAMPLE], site, *UPLOADS)
    about = site / "content/blog/about.md"
    about.write_text(about.read_text("utf-8") + "\nMy own words.\n")
    return site


def errors(report: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator().iter_errors(report)]


def test_the_schema_is_a_valid_draft_2020_12_schema_and_is_shipped():
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert SCHEMA.parent == ROOT / "migrate" / "report"  # package data: pyproject ships migrate/report/*.json
    result = runner.invoke(app, ["report-schema"])
    assert result.exit_code == 0 and Path(result.output.strip()) == SCHEMA


def test_the_sample_and_its_dry_run_validate(tmp_path):
    dry = migrate_report(tmp_path, [SAMPLE], tmp_path / "dry", "--dry-run", *UPLOADS)
    assert not (tmp_path / "dry").exists()
    real = migrate_report(tmp_path, [SAMPLE], tmp_path / "site", *UPLOADS)
    for report in (dry, real):
        assert errors(report) == []
        assert report["schema_version"] == SCHEMA_VERSION == 1
        assert report["tool_version"] == metadata.version("wp2zola")
    assert dry["dry_run"] is True and real["dry_run"] is False
    assert real["summary"]["items"]["read"] == len(real["items"]) == 13
    assert real["summary"]["redirects"]["query"] > 0 and real["summary"]["links"]["pages"] > 0


def test_a_run_into_an_existing_site_with_a_conflict_validates(tmp_path):
    site = existing_site_with_a_conflict(tmp_path)
    report = migrate_report(tmp_path, [SAMPLE], site, *UPLOADS)
    assert errors(report) == []
    files = report["summary"]["files"]
    assert files["conflict"] == 1 and files["kept"] >= 1 and report["summary"]["new_site"] is False
    listed = {f["path"]: f["action"] for f in report["files"]}
    assert listed["content/blog/about.md"] == "conflict" and listed["content/_index.md"] == "kept"
    assert report["config_required"]


def test_content_counts_are_lists_of_names(tmp_path, write_export):
    from .conftest import wxr_item

    export = write_export(
        wxr_item(1, "Codes", content="[fancybox]x[/fancybox] [mystery]y[/mystery] <!-- wp:latest-posts /-->"),
        wxr_item(2, "More", content="[fancybox]y[/fancybox]"),
    )
    report = migrate_report(tmp_path, [export], tmp_path / "site")
    assert errors(report) == []
    unknown = report["content"]["unknown_shortcodes"]
    assert unknown[0] == {"name": "fancybox", "items": 2}  # most used first
    assert {"name": "mystery", "items": 1} in unknown
    assert {"name": "block core/latest-posts", "items": 1} in report["content"]["dropped"]


# a handful of unlike sites: the theme unit tests (every block and shortcode), two real sites (one of
# WordPress.com), a damaged export, another tool's; any others when the corpus no longer has them
PICKED = {
    "ttd-themeunittestdata.xml",
    "ttd-64-block-test-data.xml",
    "real-parchlinux-fa.xml",
    "real-andysprague-wpcom.xml",
    "wpimp-malformed.xml",
    "hexo-wordpress.xml",
}
CORPUS = [p for p in corpus_files() if p.name in PICKED] or corpus_files()[:: max(1, len(corpus_files()) // 5)]


@pytest.mark.parametrize("export", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_reports_validate(tmp_path, export):
    report = migrate_report(tmp_path, [export], tmp_path / "site")
    assert errors(report) == []
    assert len(report["items"]) == report["summary"]["items"]["read"]


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("strict")
    report = migrate_report(tmp, [SAMPLE], existing_site_with_a_conflict(tmp), *UPLOADS)
    assert errors(report) == []
    return report


def _at(data, path: tuple):
    for key in path:
        data = data[key]
    return data


@pytest.mark.parametrize(
    "where",
    [
        (),
        ("summary",),
        ("summary", "files"),
        ("summary", "links"),
        ("items", 0),
        ("files", 0),
        ("media",),
        ("content",),
    ],
    ids=lambda where: "/".join(map(str, where)) or "top",
)
def test_the_schema_refuses_a_key_more(sample_report, where):
    report = copy.deepcopy(sample_report)
    _at(report, where)["surprise"] = 1
    assert any("surprise" in e for e in errors(report))


@pytest.mark.parametrize(
    "path",
    [
        ("schema_version",),
        ("tool_version",),
        ("summary", "skipped_by_reason"),
        ("summary", "files", "kept"),
        ("summary", "links", "pages"),
        ("summary", "redirects", "file"),
        ("summary", "skipped_by_reason", 0, "count"),
        ("warnings", 0, "message"),
        ("items", 0, "outcome"),
        ("files", 0, "action"),
        ("redirects", 0, "kind"),
        ("content", "dropped"),
    ],
    ids=lambda path: "/".join(map(str, path)),
)
def test_the_schema_refuses_a_key_less(sample_report, path):
    report = copy.deepcopy(sample_report)
    del _at(report, path[:-1])[path[-1]]
    assert any(f"'{path[-1]}' is a required property" in e for e in errors(report))


def test_every_object_of_the_schema_is_closed_and_requires_its_keys():
    """Every key of the report is always there, so each object says additionalProperties: false and
    requires every key it describes (an optional key would be a shape that changes with the data)."""
    open_objects = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                props = node.get("properties", {})
                if node.get("additionalProperties") is not False or sorted(node.get("required", [])) != sorted(props):
                    open_objects.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(json.loads(SCHEMA.read_text("utf-8")), "")
    assert open_objects == []


def test_the_schema_names_what_the_code_counts():
    """The fixed sets of names that are keys (file actions, link and redirect kinds) or enums (item
    outcomes) are the code's own: a kind added there and not here fails this test, not a user's script."""
    props = json.loads(SCHEMA.read_text("utf-8"))["properties"]
    summary = props["summary"]["properties"]
    assert list(summary["files"]["properties"]) == list(ACTIONS)
    assert list(summary["links"]["properties"]) == list(LINKS.values())
    assert list(summary["redirects"]["properties"]) == list(REDIRECT_KINDS)
    assert props["redirects"]["items"]["properties"]["kind"]["enum"] == list(REDIRECT_KINDS)
    assert props["files"]["items"]["properties"]["action"]["enum"] == [a for a in ACTIONS if a != UNCHANGED]
    assert props["items"]["items"]["properties"]["outcome"]["enum"] == [PUBLISH, DRAFT, SKIP]


def test_every_link_label_of_the_rewriter_has_a_report_key():
    """The rewriter counts links under labels (`counts["links to pages"] += 1`); the report names each
    by a key of its own (LINKS). A label without a key would stop the summary."""
    source = ROOT / "migrate" / "links" / "rewrite.py"
    labels: set[str] = set()

    def strings(node) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return strings(node.body) + strings(node.orelse)
        raise AssertionError(f"{source}:{node.lineno}: a link count whose label is not a literal")

    for node in ast.walk(ast.parse(source.read_text("utf-8"))):
        if isinstance(node, ast.Subscript):
            counts = node.value
            name = counts.attr if isinstance(counts, ast.Attribute) else getattr(counts, "id", "")
            if name == "counts":
                labels.update(strings(node.slice))
    assert labels == set(LINKS)
