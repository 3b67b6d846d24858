"""Every export in ../shared/corpus/wxr migrates without an exception, accounts for every item, and builds.

The item count is checked against an independent count of `<item>` elements (CDATA sections and
comments removed, then a regex), not against the reader's own idea of an item.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from .conftest import corpus_files, migrate

FILES = corpus_files()
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/corpus/wxr is not here")


def independent_item_count(data: bytes) -> int:
    data = re.sub(rb"<!\[CDATA\[.*?\]\]>", b"", data, flags=re.S)
    data = re.sub(rb"<!--.*?-->", b"", data, flags=re.S)
    return len(re.findall(rb"<item[\s>/]", data))


def well_formed(data: bytes) -> bool:
    try:
        ET.fromstring(data)
        return True
    except ET.ParseError:
        return False


@pytest.mark.parametrize("export", FILES, ids=[f.stem for f in FILES])
def test_corpus_export_migrates_and_builds(export, tmp_path, zolas):
    data = export.read_bytes()
    site = tmp_path / "site"
    result = migrate([export], site)
    plan = result.plan
    counts = plan.counts()

    assert counts["read"] == independent_item_count(data)
    assert counts["written"] + counts["draft"] + counts["skipped"] == counts["read"]
    assert all(o.reason for o in plan.outcomes if o.outcome == "skipped")
    assert all(o.file for o in plan.outcomes if o.outcome != "skipped")
    if not well_formed(data):
        assert plan.notices, "a malformed export must produce warnings"
        assert all(n.source is None or n.source.file == str(export) for n in plan.notices)
    for path, planned in plan.files.items():
        if path.startswith("content/"):
            assert b"{{" not in planned.data and b"{%" not in planned.data, path

    for zola in zolas:
        copy = tmp_path / zola.name.replace(" ", "-")
        shutil.copytree(site, copy)
        built = zola.build(copy)
        assert built.returncode == 0, f"{zola.name}: {built.stderr[-2000:]}"
