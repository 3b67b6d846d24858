"""Golden front-matter cases: tests/cases/frontmatter/NAME.xml → NAME.out.

Each input is a small export written for the case (its comment says what it shows); the expected
output lists the content files the migration plans for it, then the warnings. They read as the
documentation of what wp2zola writes. To accept a deliberate change: WP2ZOLA_UPDATE_GOLDEN=1 pytest.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from migrate.mappings import Mappings
from migrate.pipeline import plan_site

CASES = sorted((Path(__file__).parent / "cases" / "frontmatter").glob("*.xml"))


def render_case(export: Path) -> str:
    plan = plan_site([export], Mappings.load())
    out = []
    for path in sorted(p for p, f in plan.files.items() if f.role == "content"):
        out.append(f"=== {path}\n{plan.files[path].data.decode()}")
    for media in sorted(plan.media(), key=lambda f: f.path):
        out.append(f"=== {media.path} ← {media.ref.url} (used by {', '.join(media.used_by)})\n")
    for notice in plan.notices:
        out.append(
            f"warning: line {notice.source.line if notice.source else '-'}: "
            f"{'item ' + str(notice.item_id) + ': ' if notice.item_id is not None else ''}{notice.message}\n"
        )
    return "\n".join(out)


@pytest.mark.parametrize("export", CASES, ids=[c.stem for c in CASES])
def test_golden_front_matter(export):
    got = render_case(export)
    expected_file = export.with_suffix(".out")
    if os.environ.get("WP2ZOLA_UPDATE_GOLDEN"):
        expected_file.write_text(got)
    assert got == expected_file.read_text()


@pytest.mark.parametrize("export", CASES, ids=[c.stem for c in CASES])
def test_front_matter_is_toml_zola_reads(export):
    plan = plan_site([export], Mappings.load())
    for path, planned in plan.files.items():
        if planned.role not in ("content", "section"):
            continue
        text = planned.data.decode()
        assert text.startswith("+++\n")
        front, sep, _ = text[4:].partition("+++\n")
        assert sep, path  # a newline after the closing +++
        data = tomllib.loads(front)
        if planned.role == "content":
            assert set(data) <= {
                "title",
                "description",
                "date",
                "updated",
                "path",
                "aliases",
                "draft",
                "taxonomies",
                "extra",
            }
            assert data["path"].startswith("/") and data["path"].endswith("/")
            assert all(term.strip() for terms in data.get("taxonomies", {}).values() for term in terms)
            assert data["date"].tzinfo is not None
